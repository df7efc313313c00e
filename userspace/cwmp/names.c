/* The codec's fixed vocabulary: namespaces, RPC element names, fault
 * strings, default limits, and small helpers for reading and building
 * messages. */
#include "cwmp/cwmp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const namespaces[CWMP_VERSION_COUNT] = {
	"urn:dslforum-org:cwmp-1-0",
	"urn:dslforum-org:cwmp-1-1",
	"urn:dslforum-org:cwmp-1-2",
};

const char *cwmp_namespace(enum cwmp_version version)
{
	if ((unsigned int)version >= CWMP_VERSION_COUNT)
		return NULL;
	return namespaces[version];
}

static const char *const type_names[] = {
	[CWMP_INFORM] = "Inform",
	[CWMP_INFORM_RESPONSE] = "InformResponse",
	[CWMP_TRANSFER_COMPLETE] = "TransferComplete",
	[CWMP_TRANSFER_COMPLETE_RESPONSE] = "TransferCompleteResponse",
	[CWMP_GET_RPC_METHODS] = "GetRPCMethods",
	[CWMP_GET_RPC_METHODS_RESPONSE] = "GetRPCMethodsResponse",
	[CWMP_DOWNLOAD] = "Download",
	[CWMP_DOWNLOAD_RESPONSE] = "DownloadResponse",
	[CWMP_SET_PARAMETER_VALUES] = "SetParameterValues",
	[CWMP_SET_PARAMETER_VALUES_RESPONSE] = "SetParameterValuesResponse",
	[CWMP_GET_PARAMETER_VALUES] = "GetParameterValues",
	[CWMP_GET_PARAMETER_VALUES_RESPONSE] = "GetParameterValuesResponse",
	[CWMP_GET_PARAMETER_NAMES] = "GetParameterNames",
	[CWMP_GET_PARAMETER_NAMES_RESPONSE] = "GetParameterNamesResponse",
	[CWMP_REBOOT] = "Reboot",
	[CWMP_REBOOT_RESPONSE] = "RebootResponse",
	[CWMP_FAULT] = "Fault",
};

const char *cwmp_message_type_name(enum cwmp_message_type type)
{
	if ((unsigned int)type >= sizeof(type_names) / sizeof(type_names[0]) || !type_names[type])
		return NULL;
	return type_names[type];
}

bool cwmp_message_is_response(enum cwmp_message_type type)
{
	switch (type) {
	case CWMP_INFORM_RESPONSE:
	case CWMP_TRANSFER_COMPLETE_RESPONSE:
	case CWMP_GET_RPC_METHODS_RESPONSE:
	case CWMP_DOWNLOAD_RESPONSE:
	case CWMP_SET_PARAMETER_VALUES_RESPONSE:
	case CWMP_GET_PARAMETER_VALUES_RESPONSE:
	case CWMP_GET_PARAMETER_NAMES_RESPONSE:
	case CWMP_REBOOT_RESPONSE:
	case CWMP_FAULT:
		return true;
	default:
		return false;
	}
}

struct fault_name {
	unsigned int code;
	const char *string;
};

static const struct fault_name fault_names[] = {
	{ 8000, "Method not supported" },
	{ 8001, "Request denied" },
	{ 8002, "Internal error" },
	{ 8003, "Invalid arguments" },
	{ 8004, "Resources exceeded" },
	{ 8005, "Retry request" },
	{ 8006, "ACS version incompatible" },
	{ 9000, "Method not supported" },
	{ 9001, "Request denied" },
	{ 9002, "Internal error" },
	{ 9003, "Invalid arguments" },
	{ 9004, "Resources exceeded" },
	{ 9005, "Invalid parameter name" },
	{ 9006, "Invalid parameter type" },
	{ 9007, "Invalid parameter value" },
	{ 9008, "Attempt to set a non-writable parameter" },
	{ 9009, "Notification request rejected" },
	{ 9010, "Download failure" },
	{ 9011, "Upload failure" },
	{ 9012, "File transfer server authentication failure" },
	{ 9013, "Unsupported protocol for file transfer" },
	{ 9014, "Download failure: unable to join multicast group" },
	{ 9015, "Download failure: unable to contact file server" },
	{ 9016, "Download failure: unable to access file" },
	{ 9017, "Download failure: unable to complete download" },
	{ 9018, "Download failure: file corrupted" },
	{ 9019, "Download failure: file authentication failure" },
	{ 9020, "Download failure: unable to complete download within specified time windows" },
};

const char *cwmp_fault_string(unsigned int code)
{
	for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
		if (fault_names[i].code == code)
			return fault_names[i].string;
	return "Fault";
}

void cwmp_limits_default(struct cwmp_limits *limits)
{
	limits->max_document_bytes = 1u << 20;
	limits->max_depth = 32;
	limits->max_text_bytes = 32u << 10;
	limits->max_list_entries = 10000;
}

const struct cwmp_parameter_value *cwmp_find_parameter(const struct cwmp_parameter_value *parameters,
							size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (parameters[i].name && strcmp(parameters[i].name, name) == 0)
			return &parameters[i];
	return NULL;
}

static bool name_has_root_and_suffix(const char *name, const char *root, const char *suffix)
{
	size_t root_length = strlen(root);

	return strncmp(name, root, root_length) == 0 && strcmp(name + root_length, suffix) == 0;
}

const struct cwmp_parameter_value *cwmp_find_parameter_any_root(const struct cwmp_parameter_value *parameters,
								 size_t count, const char *suffix)
{
	for (size_t i = 0; i < count; i++) {
		const char *name = parameters[i].name;

		if (!name)
			continue;
		if (name_has_root_and_suffix(name, "Device.", suffix) ||
		    name_has_root_and_suffix(name, "InternetGatewayDevice.", suffix))
			return &parameters[i];
	}
	return NULL;
}

bool cwmp_inform_has_event(const struct cwmp_inform *inform, const char *code)
{
	for (size_t i = 0; i < inform->event_count; i++)
		if (inform->events[i].code && strcmp(inform->events[i].code, code) == 0)
			return true;
	return false;
}

void cwmp_fault_message(struct cwmp_message *message, enum cwmp_version version, const char *id,
			unsigned int code, const char *string)
{
	memset(message, 0, sizeof(*message));
	message->version = version;
	message->type = CWMP_FAULT;
	message->id = id;
	message->body.fault.code = code;
	message->body.fault.string = string ? string : cwmp_fault_string(code);
}

void cwmp_format_time(uint64_t seconds, char *out, size_t out_size)
{
	time_t when = (time_t)seconds;
	struct tm utc;

	gmtime_r(&when, &utc);
	strftime(out, out_size, "%Y-%m-%dT%H:%M:%SZ", &utc);
}
