/* Decoders for each CWMP RPC body and the SOAP Fault, from the libxml2
 * element to the fields of struct cwmp_message. Child elements are matched
 * by local name in any namespace, as devices in the field qualify them in
 * different ways. */
#include "cwmp/decoder_internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* Allocates an array of count entries of size bytes in the arena. */
static int allocate_array(struct decoder *decoder, size_t count, size_t size, void **array)
{
	*array = cwmp_arena_alloc(decoder->arena, (count ? count : 1) * size);
	if (!*array)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INTERNAL, -ENOMEM, "out of memory");
	return 0;
}

/* The xsi:type of a ParameterValueStruct's Value, as "xsd:LOCAL" when its
 * prefix maps to XML Schema, else as written; "xsd:string" when absent. */
static int value_type(struct decoder *decoder, xmlNode *value, const char **type)
{
	xmlChar *raw = xmlGetNsProp(value, (const xmlChar *)"type", (const xmlChar *)XSI_NS);
	const char *colon;
	char *copy;
	size_t length;

	if (!raw) {
		*type = "xsd:string";
		return 0;
	}
	colon = strchr((const char *)raw, ':');
	if (colon) {
		char prefix[64];
		size_t prefix_length = (size_t)(colon - (const char *)raw);
		xmlNs *ns = NULL;

		if (prefix_length < sizeof(prefix)) {
			memcpy(prefix, raw, prefix_length);
			prefix[prefix_length] = '\0';
			ns = xmlSearchNs(value->doc, value, (const xmlChar *)prefix);
		}
		if (ns && ns->href && strcmp((const char *)ns->href, XSD_NS) == 0) {
			length = strlen(colon + 1) + 4;
			copy = cwmp_arena_alloc(decoder->arena, length + 1);
			if (copy) {
				memcpy(copy, "xsd:", 4);
				memcpy(copy + 4, colon + 1, length - 4 + 1);
			}
			goto done;
		}
	}
	copy = cwmp_arena_strndup(decoder->arena, (const char *)raw, strlen((const char *)raw));
done:
	xmlFree(raw);
	if (!copy)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INTERNAL, -ENOMEM, "out of memory");
	*type = copy;
	return 0;
}

/* A ParameterList of ParameterValueStruct (Inform, SPV, GPV response). */
static int decode_parameter_values(struct decoder *decoder, xmlNode *list,
				   struct cwmp_parameter_value **parameters, size_t *count)
{
	size_t total, index = 0;
	int result = cwmp_count_children(decoder, list, &total);

	if (result < 0)
		return result;
	result = allocate_array(decoder, total, sizeof(**parameters), (void **)parameters);
	if (result < 0)
		return result;
	for (xmlNode *entry = cwmp_first_element(list); entry; entry = cwmp_next_element(entry)) {
		struct cwmp_parameter_value *parameter = &(*parameters)[index];
		xmlNode *value;

		if (!cwmp_element_is(entry, "ParameterValueStruct"))
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "unexpected %s in ParameterList", (const char *)entry->name);
		result = cwmp_required_text(decoder, entry, "Name", &parameter->name);
		if (result < 0)
			return result;
		if (parameter->name[0] == '\0')
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "empty parameter Name in ParameterList");
		value = cwmp_child_element(entry, "Value");
		if (!value)
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "missing Value of %.80s", parameter->name);
		result = cwmp_element_text(decoder, value, &parameter->value);
		if (result < 0)
			return result;
		result = value_type(decoder, value, &parameter->type);
		if (result < 0)
			return result;
		index++;
	}
	*count = index;
	return 0;
}

/* A list of <string> (GPV names, GetRPCMethods method list). */
static int decode_string_list(struct decoder *decoder, xmlNode *list, const char ***strings, size_t *count)
{
	size_t total, index = 0;
	int result = cwmp_count_children(decoder, list, &total);

	if (result < 0)
		return result;
	result = allocate_array(decoder, total, sizeof(**strings), (void **)strings);
	if (result < 0)
		return result;
	for (xmlNode *entry = cwmp_first_element(list); entry; entry = cwmp_next_element(entry)) {
		if (!cwmp_element_is(entry, "string"))
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "unexpected %s in %s", (const char *)entry->name,
						 (const char *)list->name);
		result = cwmp_element_text(decoder, entry, &(*strings)[index]);
		if (result < 0)
			return result;
		index++;
	}
	*count = index;
	return 0;
}

static xmlNode *required_child(struct decoder *decoder, xmlNode *parent, const char *name, int *result)
{
	xmlNode *node = cwmp_child_element(parent, name);

	*result = node ? 0 : cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "missing %s", name);
	return node;
}

static int decode_inform(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_inform *inform = &decoder->message->body.inform;
	xmlNode *device_id, *event_list, *parameter_list;
	uint64_t number;
	size_t total, index = 0;
	int result;

	device_id = required_child(decoder, rpc, "DeviceId", &result);
	if (!device_id)
		return result;
	if ((result = cwmp_required_text(decoder, device_id, "Manufacturer", &inform->device_id.manufacturer)) < 0 ||
	    (result = cwmp_required_text(decoder, device_id, "OUI", &inform->device_id.oui)) < 0 ||
	    (result = cwmp_required_text(decoder, device_id, "ProductClass", &inform->device_id.product_class)) < 0 ||
	    (result = cwmp_required_text(decoder, device_id, "SerialNumber", &inform->device_id.serial_number)) < 0)
		return result;
	if (inform->device_id.oui[0] == '\0' || inform->device_id.serial_number[0] == '\0')
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
					 "DeviceId needs a non-empty OUI and SerialNumber");
	event_list = required_child(decoder, rpc, "Event", &result);
	if (!event_list)
		return result;
	result = cwmp_count_children(decoder, event_list, &total);
	if (result < 0)
		return result;
	result = allocate_array(decoder, total, sizeof(*inform->events), (void **)&inform->events);
	if (result < 0)
		return result;
	for (xmlNode *entry = cwmp_first_element(event_list); entry; entry = cwmp_next_element(entry)) {
		struct cwmp_event *event = &inform->events[index];

		if (!cwmp_element_is(entry, "EventStruct"))
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "unexpected %s in Event", (const char *)entry->name);
		if ((result = cwmp_required_text(decoder, entry, "EventCode", &event->code)) < 0 ||
		    (result = cwmp_optional_text(decoder, entry, "CommandKey", "", &event->command_key)) < 0)
			return result;
		index++;
	}
	inform->event_count = index;
	if ((result = cwmp_required_unsigned(decoder, rpc, "MaxEnvelopes", UINT_MAX, &number)) < 0)
		return result;
	inform->max_envelopes = (unsigned int)number;
	if ((result = cwmp_required_text(decoder, rpc, "CurrentTime", &inform->current_time)) < 0)
		return result;
	if ((result = cwmp_required_unsigned(decoder, rpc, "RetryCount", UINT_MAX, &number)) < 0)
		return result;
	inform->retry_count = (unsigned int)number;
	parameter_list = cwmp_child_element(rpc, "ParameterList");
	if (parameter_list)
		return decode_parameter_values(decoder, parameter_list, &inform->parameters,
					       &inform->parameter_count);
	inform->parameters = NULL;
	return 0;
}

static int decode_inform_response(struct decoder *decoder, xmlNode *rpc)
{
	uint64_t number;
	int result = cwmp_required_unsigned(decoder, rpc, "MaxEnvelopes", UINT_MAX, &number);

	decoder->message->body.inform_response.max_envelopes = (unsigned int)number;
	return result;
}

static int decode_fault_struct(struct decoder *decoder, xmlNode *parent, struct cwmp_fault_struct *fault)
{
	uint64_t code;
	int result;
	xmlNode *node = required_child(decoder, parent, "FaultStruct", &result);

	if (!node)
		return result;
	if ((result = cwmp_required_unsigned(decoder, node, "FaultCode", UINT_MAX, &code)) < 0)
		return result;
	fault->code = (unsigned int)code;
	return cwmp_optional_text(decoder, node, "FaultString", "", &fault->string);
}

static int decode_transfer_complete(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_transfer_complete *transfer = &decoder->message->body.transfer_complete;
	int result;

	if ((result = cwmp_required_text(decoder, rpc, "CommandKey", &transfer->command_key)) < 0 ||
	    (result = decode_fault_struct(decoder, rpc, &transfer->fault)) < 0 ||
	    (result = cwmp_optional_text(decoder, rpc, "StartTime", "0001-01-01T00:00:00Z", &transfer->start_time)) < 0)
		return result;
	return cwmp_optional_text(decoder, rpc, "CompleteTime", "0001-01-01T00:00:00Z", &transfer->complete_time);
}

static int decode_no_arguments(struct decoder *decoder, xmlNode *rpc)
{
	(void)decoder;
	(void)rpc;
	return 0;
}

static int decode_get_rpc_methods_response(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_method_list *list = &decoder->message->body.get_rpc_methods_response;
	int result;
	xmlNode *node = required_child(decoder, rpc, "MethodList", &result);

	return node ? decode_string_list(decoder, node, &list->methods, &list->count) : result;
}

static int decode_download(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_download *download = &decoder->message->body.download;
	uint64_t number;
	int result;

	if ((result = cwmp_required_text(decoder, rpc, "CommandKey", &download->command_key)) < 0 ||
	    (result = cwmp_required_text(decoder, rpc, "FileType", &download->file_type)) < 0 ||
	    (result = cwmp_required_text(decoder, rpc, "URL", &download->url)) < 0 ||
	    (result = cwmp_optional_text(decoder, rpc, "Username", "", &download->username)) < 0 ||
	    (result = cwmp_optional_text(decoder, rpc, "Password", "", &download->password)) < 0 ||
	    (result = cwmp_optional_unsigned(decoder, rpc, "FileSize", UINT64_MAX, 0, &download->file_size)) < 0 ||
	    (result = cwmp_optional_text(decoder, rpc, "TargetFileName", "", &download->target_file_name)) < 0 ||
	    (result = cwmp_optional_unsigned(decoder, rpc, "DelaySeconds", UINT_MAX, 0, &number)) < 0 ||
	    (result = cwmp_optional_text(decoder, rpc, "SuccessURL", "", &download->success_url)) < 0)
		return result;
	download->delay_seconds = (unsigned int)number;
	return cwmp_optional_text(decoder, rpc, "FailureURL", "", &download->failure_url);
}

static int decode_download_response(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_download_response *response = &decoder->message->body.download_response;
	uint64_t status;
	int result;

	if ((result = cwmp_required_unsigned(decoder, rpc, "Status", 1, &status)) < 0 ||
	    (result = cwmp_optional_text(decoder, rpc, "StartTime", "0001-01-01T00:00:00Z", &response->start_time)) < 0)
		return result;
	response->status = (int)status;
	return cwmp_optional_text(decoder, rpc, "CompleteTime", "0001-01-01T00:00:00Z", &response->complete_time);
}

static int decode_set_parameter_values(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_set_parameter_values *set = &decoder->message->body.set_parameter_values;
	int result;
	xmlNode *list = required_child(decoder, rpc, "ParameterList", &result);

	if (!list)
		return result;
	result = decode_parameter_values(decoder, list, &set->parameters, &set->parameter_count);
	if (result < 0)
		return result;
	return cwmp_optional_text(decoder, rpc, "ParameterKey", "", &set->parameter_key);
}

static int decode_set_parameter_values_response(struct decoder *decoder, xmlNode *rpc)
{
	uint64_t status;
	int result = cwmp_required_unsigned(decoder, rpc, "Status", 1, &status);

	decoder->message->body.set_parameter_values_response.status = (int)status;
	return result;
}

static int decode_get_parameter_values(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_get_parameter_values *get = &decoder->message->body.get_parameter_values;
	int result;
	xmlNode *list = required_child(decoder, rpc, "ParameterNames", &result);

	return list ? decode_string_list(decoder, list, &get->names, &get->name_count) : result;
}

static int decode_get_parameter_values_response(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_get_parameter_values_response *response = &decoder->message->body.get_parameter_values_response;
	int result;
	xmlNode *list = required_child(decoder, rpc, "ParameterList", &result);

	return list ? decode_parameter_values(decoder, list, &response->parameters, &response->parameter_count)
		    : result;
}

static int decode_get_parameter_names(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_get_parameter_names *get = &decoder->message->body.get_parameter_names;
	int result = cwmp_required_text(decoder, rpc, "ParameterPath", &get->parameter_path);

	return result < 0 ? result : cwmp_required_boolean(decoder, rpc, "NextLevel", &get->next_level);
}

static int decode_get_parameter_names_response(struct decoder *decoder, xmlNode *rpc)
{
	struct cwmp_get_parameter_names_response *response = &decoder->message->body.get_parameter_names_response;
	size_t total, index = 0;
	int result;
	xmlNode *list = required_child(decoder, rpc, "ParameterList", &result);

	if (!list)
		return result;
	if ((result = cwmp_count_children(decoder, list, &total)) < 0 ||
	    (result = allocate_array(decoder, total, sizeof(*response->parameters), (void **)&response->parameters)) < 0)
		return result;
	for (xmlNode *entry = cwmp_first_element(list); entry; entry = cwmp_next_element(entry)) {
		struct cwmp_parameter_info *info = &response->parameters[index];

		if (!cwmp_element_is(entry, "ParameterInfoStruct"))
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "unexpected %s in ParameterList", (const char *)entry->name);
		if ((result = cwmp_required_text(decoder, entry, "Name", &info->name)) < 0 ||
		    (result = cwmp_required_boolean(decoder, entry, "Writable", &info->writable)) < 0)
			return result;
		index++;
	}
	response->parameter_count = index;
	return 0;
}

static int decode_reboot(struct decoder *decoder, xmlNode *rpc)
{
	return cwmp_required_text(decoder, rpc, "CommandKey", &decoder->message->body.reboot.command_key);
}

int cwmp_decode_fault(struct decoder *decoder, xmlNode *soap_fault)
{
	struct cwmp_fault *fault = &decoder->message->body.fault;
	xmlNode *detail, *cwmp_fault;
	size_t total, index = 0;
	uint64_t code;
	int result;

	decoder->context = "Fault";
	decoder->message->type = CWMP_FAULT;
	if ((result = cwmp_optional_text(decoder, soap_fault, "faultcode", "", &fault->soap_fault_code)) < 0 ||
	    (result = cwmp_optional_text(decoder, soap_fault, "faultstring", "", &fault->soap_fault_string)) < 0)
		return result;
	/* detail/cwmp:Fault in any namespace; a device that put FaultCode
	 * straight into its Fault (no detail) is read as well */
	detail = cwmp_child_element(soap_fault, "detail");
	if (!detail && cwmp_child_element(soap_fault, "FaultCode")) {
		cwmp_fault = soap_fault;
	} else {
		if (!detail)
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "missing detail");
		cwmp_fault = required_child(decoder, detail, "Fault", &result);
		if (!cwmp_fault)
			return result;
	}
	if ((result = cwmp_required_unsigned(decoder, cwmp_fault, "FaultCode", UINT_MAX, &code)) < 0 ||
	    (result = cwmp_optional_text(decoder, cwmp_fault, "FaultString", "", &fault->string)) < 0)
		return result;
	fault->code = (unsigned int)code;
	if ((result = cwmp_count_children(decoder, cwmp_fault, &total)) < 0 ||
	    (result = allocate_array(decoder, total, sizeof(*fault->set_parameter_values_faults),
				     (void **)&fault->set_parameter_values_faults)) < 0)
		return result;
	for (xmlNode *entry = cwmp_first_element(cwmp_fault); entry; entry = cwmp_next_element(entry)) {
		struct cwmp_set_parameter_values_fault *entry_fault = &fault->set_parameter_values_faults[index];

		if (!cwmp_element_is(entry, "SetParameterValuesFault"))
			continue;
		if ((result = cwmp_required_text(decoder, entry, "ParameterName", &entry_fault->parameter_name)) < 0 ||
		    (result = cwmp_required_unsigned(decoder, entry, "FaultCode", UINT_MAX, &code)) < 0 ||
		    (result = cwmp_optional_text(decoder, entry, "FaultString", "", &entry_fault->string)) < 0)
			return result;
		entry_fault->code = (unsigned int)code;
		index++;
	}
	fault->set_parameter_values_fault_count = index;
	return 0;
}

struct rpc_decoder {
	enum cwmp_message_type type;
	int (*decode)(struct decoder *decoder, xmlNode *rpc);
};

static const struct rpc_decoder rpc_decoders[] = {
	{ CWMP_INFORM, decode_inform },
	{ CWMP_INFORM_RESPONSE, decode_inform_response },
	{ CWMP_TRANSFER_COMPLETE, decode_transfer_complete },
	{ CWMP_TRANSFER_COMPLETE_RESPONSE, decode_no_arguments },
	{ CWMP_GET_RPC_METHODS, decode_no_arguments },
	{ CWMP_GET_RPC_METHODS_RESPONSE, decode_get_rpc_methods_response },
	{ CWMP_DOWNLOAD, decode_download },
	{ CWMP_DOWNLOAD_RESPONSE, decode_download_response },
	{ CWMP_SET_PARAMETER_VALUES, decode_set_parameter_values },
	{ CWMP_SET_PARAMETER_VALUES_RESPONSE, decode_set_parameter_values_response },
	{ CWMP_GET_PARAMETER_VALUES, decode_get_parameter_values },
	{ CWMP_GET_PARAMETER_VALUES_RESPONSE, decode_get_parameter_values_response },
	{ CWMP_GET_PARAMETER_NAMES, decode_get_parameter_names },
	{ CWMP_GET_PARAMETER_NAMES_RESPONSE, decode_get_parameter_names_response },
	{ CWMP_REBOOT, decode_reboot },
	{ CWMP_REBOOT_RESPONSE, decode_no_arguments },
};

int cwmp_decode_rpc(struct decoder *decoder, xmlNode *rpc)
{
	for (size_t i = 0; i < sizeof(rpc_decoders) / sizeof(rpc_decoders[0]); i++) {
		const char *name = cwmp_message_type_name(rpc_decoders[i].type);

		if (strcmp(name, (const char *)rpc->name) != 0)
			continue;
		decoder->message->type = rpc_decoders[i].type;
		decoder->context = name;
		return rpc_decoders[i].decode(decoder, rpc);
	}
	return cwmp_decoder_fail(decoder, CWMP_ERROR_METHOD_NOT_SUPPORTED, -EOPNOTSUPP, "method %.80s is not supported",
				 (const char *)rpc->name);
}
