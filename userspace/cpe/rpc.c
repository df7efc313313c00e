/* Dispatch of the ACS's RPCs and the parameter ones (see rpc.h). */
#include "cpe/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "cpe/faults.h"

static const char *const supported_methods[] = {
	"GetRPCMethods", "GetParameterValues", "SetParameterValues", "GetParameterNames", "Download",
};

int rpc_encode_fault(enum cwmp_version version, const char *id, unsigned int code, const char *string, char **body,
		     size_t *length)
{
	struct cwmp_message message;

	cwmp_fault_message(&message, version, id, code, string);
	return cwmp_encode(&message, body, length);
}

static void start_response(struct cwmp_message *response, const struct cwmp_message *request,
			   enum cwmp_message_type type)
{
	memset(response, 0, sizeof(*response));
	response->version = request->version;
	response->id = request->id;
	response->type = type;
}

static unsigned int get_parameter_values(struct rpc_context *context, const struct cwmp_message *request,
					 char **body, size_t *length, char *why, size_t why_size)
{
	const struct cwmp_get_parameter_values *arguments = &request->body.get_parameter_values;
	struct parameter_list list;
	struct cwmp_message response;
	const char *bad_name = NULL;
	unsigned int fault;

	fault = parameter_store_get_values(context->parameters, arguments->names, arguments->name_count, &list,
					   &bad_name);
	if (fault) {
		if (bad_name)
			snprintf(why, why_size, "no parameter %.200s", bad_name);
		return fault;
	}
	start_response(&response, request, CWMP_GET_PARAMETER_VALUES_RESPONSE);
	response.body.get_parameter_values_response.parameters = list.values;
	response.body.get_parameter_values_response.parameter_count = list.count;
	fault = cwmp_encode(&response, body, length) < 0 ? FAULT_INTERNAL_ERROR : 0;
	parameter_list_free(&list);
	return fault;
}

static unsigned int get_parameter_names(struct rpc_context *context, const struct cwmp_message *request,
					char **body, size_t *length, char *why, size_t why_size)
{
	const struct cwmp_get_parameter_names *arguments = &request->body.get_parameter_names;
	struct parameter_name_list list;
	struct cwmp_message response;
	unsigned int fault;

	fault = parameter_store_get_names(context->parameters, arguments->parameter_path, arguments->next_level, &list);
	if (fault == FAULT_INVALID_PARAMETER_NAME)
		snprintf(why, why_size, "no parameter or object %.200s", arguments->parameter_path);
	else if (fault == FAULT_INVALID_ARGUMENTS)
		snprintf(why, why_size, "NextLevel true on the parameter %.200s", arguments->parameter_path);
	if (fault)
		return fault;
	start_response(&response, request, CWMP_GET_PARAMETER_NAMES_RESPONSE);
	response.body.get_parameter_names_response.parameters = list.names;
	response.body.get_parameter_names_response.parameter_count = list.count;
	fault = cwmp_encode(&response, body, length) < 0 ? FAULT_INTERNAL_ERROR : 0;
	parameter_name_list_free(&list);
	return fault;
}

/* SetParameterValues: all or nothing; per-parameter faults in the detail. */
static int set_parameter_values(struct rpc_context *context, const struct cwmp_message *request, char **body,
				size_t *length)
{
	const struct cwmp_set_parameter_values *arguments = &request->body.set_parameter_values;
	struct cwmp_set_parameter_values_fault *faults = calloc(arguments->parameter_count + 1, sizeof(*faults));
	struct cwmp_message response;
	size_t fault_count = 0;
	unsigned int fault;
	int result;

	if (!faults)
		return rpc_encode_fault(request->version, request->id, FAULT_INTERNAL_ERROR, NULL, body, length);
	fault = parameter_store_set_values(context->parameters, arguments->parameters, arguments->parameter_count,
					   arguments->parameter_key, faults, &fault_count);
	if (fault) {
		cwmp_fault_message(&response, request->version, request->id, fault, NULL);
		response.body.fault.set_parameter_values_faults = faults;
		response.body.fault.set_parameter_values_fault_count = fault_count;
		for (size_t i = 0; i < fault_count; i++)
			log_info("SetParameterValues refused: %s: fault %u (%s)", faults[i].parameter_name,
				 faults[i].code, faults[i].string);
	} else {
		start_response(&response, request, CWMP_SET_PARAMETER_VALUES_RESPONSE);
		response.body.set_parameter_values_response.status = 0;
		for (size_t i = 0; i < arguments->parameter_count; i++) {
			const struct cwmp_parameter_value *set = &arguments->parameters[i];

			/* Passwords stay out of the log as they stay out of reads. */
			log_info("SetParameterValues: %s = %.120s", set->name,
				 parameter_store_is_secret(context->parameters, set->name) ? "(secret)"
				 : set->value						     ? set->value
											     : "");
		}
	}
	result = cwmp_encode(&response, body, length);
	free(faults);
	return result;
}

int rpc_handle(struct rpc_context *context, const struct cwmp_message *request, char **body, size_t *length)
{
	struct cwmp_message response;
	char why[300] = "";
	unsigned int fault = 0;

	*body = NULL;
	*length = 0;
	switch (request->type) {
	case CWMP_GET_RPC_METHODS:
		start_response(&response, request, CWMP_GET_RPC_METHODS_RESPONSE);
		response.body.get_rpc_methods_response.methods = (const char **)supported_methods;
		response.body.get_rpc_methods_response.count = sizeof(supported_methods) / sizeof(supported_methods[0]);
		if (cwmp_encode(&response, body, length) < 0)
			fault = FAULT_INTERNAL_ERROR;
		break;
	case CWMP_GET_PARAMETER_VALUES:
		fault = get_parameter_values(context, request, body, length, why, sizeof(why));
		break;
	case CWMP_GET_PARAMETER_NAMES:
		fault = get_parameter_names(context, request, body, length, why, sizeof(why));
		break;
	case CWMP_SET_PARAMETER_VALUES:
		if (set_parameter_values(context, request, body, length) < 0)
			fault = FAULT_INTERNAL_ERROR;
		break;
	case CWMP_DOWNLOAD:
		fault = rpc_download(context, &request->body.download, why, sizeof(why));
		if (!fault) {
			start_response(&response, request, CWMP_DOWNLOAD_RESPONSE);
			response.body.download_response.status = 1; /* TransferComplete follows */
			if (cwmp_encode(&response, body, length) < 0)
				fault = FAULT_INTERNAL_ERROR;
		}
		break;
	default:
		fault = FAULT_METHOD_NOT_SUPPORTED;
		snprintf(why, sizeof(why), "%s is not supported by cascade-cpe", cwmp_message_type_name(request->type));
		break;
	}
	if (!fault)
		return 0;
	free(*body);
	*body = NULL;
	log_info("%s answered with fault %u: %s", cwmp_message_type_name(request->type), fault,
		 why[0] ? why : cwmp_fault_string(fault));
	return rpc_encode_fault(request->version, request->id, fault, why[0] ? why : NULL, body, length);
}
