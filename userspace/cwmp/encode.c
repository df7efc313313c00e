/* cwmp_encode: writes a struct cwmp_message as a SOAP 1.1 envelope with
 * libxml2's text writer (which escapes all text), in the message's cwmp
 * namespace, with the cwmp:ID / HoldRequests / NoMoreRequests headers. */
#include "cwmp/cwmp.h"

#include <errno.h>
#include <inttypes.h>
#include <libxml/chvalid.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct encoder {
	xmlTextWriter *writer;
	int failed;
};

static void start(struct encoder *encoder, const char *name)
{
	if (!encoder->failed && xmlTextWriterStartElement(encoder->writer, (const xmlChar *)name) < 0)
		encoder->failed = -ENOMEM;
}

static void end(struct encoder *encoder)
{
	if (!encoder->failed && xmlTextWriterEndElement(encoder->writer) < 0)
		encoder->failed = -ENOMEM;
}

static void attribute(struct encoder *encoder, const char *name, const char *value)
{
	if (!encoder->failed &&
	    xmlTextWriterWriteAttribute(encoder->writer, (const xmlChar *)name, (const xmlChar *)value) < 0)
		encoder->failed = -ENOMEM;
}

/* The code point of the strict UTF-8 sequence at text (at most available
 * bytes), its length in *size; -1 for a malformed, overlong or truncated
 * sequence. (libxml2 2.9's xmlGetUTF8Char takes a stray continuation byte
 * for a lead byte, so it cannot tell what its own parser will refuse.) */
static int utf8_character(const unsigned char *text, size_t available, int *size)
{
	static const int minimum[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	int length, character;

	if (text[0] < 0x80)
		length = 1, character = text[0];
	else if ((text[0] & 0xe0) == 0xc0)
		length = 2, character = text[0] & 0x1f;
	else if ((text[0] & 0xf0) == 0xe0)
		length = 3, character = text[0] & 0x0f;
	else if ((text[0] & 0xf8) == 0xf0)
		length = 4, character = text[0] & 0x07;
	else
		return -1;
	if ((size_t)length > available)
		return -1;
	for (int i = 1; i < length; i++) {
		if ((text[i] & 0xc0) != 0x80)
			return -1;
		character = (character << 6) | (text[i] & 0x3f);
	}
	if (character < minimum[length])
		return -1;
	*size = length;
	return character;
}

/* libxml2 writes text bytes as they are, so text that is not UTF-8 or
 * holds characters XML 1.0 forbids (controls, surrogates, U+FFFE, ...)
 * would make a document no parser reads back: e.g. a fault whose message
 * quotes hostile input. Such bytes are written as '?'. Returns 0 with
 * *copy NULL when value is fine as it is, 0 with a malloc'd *copy, or
 * -ENOMEM. */
static int xml_safe_text(const char *value, char **copy)
{
	size_t length = strlen(value), offset = 0;

	*copy = NULL;
	while (offset < length) {
		int size = 0;
		int character = utf8_character((const unsigned char *)value + offset, length - offset, &size);

		if (character >= 0 && xmlIsCharQ(character)) {
			offset += (size_t)size;
			continue;
		}
		if (!*copy && !(*copy = strdup(value)))
			return -ENOMEM;
		(*copy)[offset++] = '?';
	}
	return 0;
}

static void text(struct encoder *encoder, const char *value)
{
	char *copy = NULL;

	if (encoder->failed || !value || !value[0])
		return;
	if (xml_safe_text(value, &copy) < 0) {
		encoder->failed = -ENOMEM;
		return;
	}
	if (xmlTextWriterWriteString(encoder->writer, (const xmlChar *)(copy ? copy : value)) < 0)
		encoder->failed = -ENOMEM;
	free(copy);
}

static void text_element(struct encoder *encoder, const char *name, const char *value)
{
	start(encoder, name);
	text(encoder, value ? value : "");
	end(encoder);
}

static void unsigned_element(struct encoder *encoder, const char *name, uint64_t value)
{
	char digits[24];

	snprintf(digits, sizeof(digits), "%" PRIu64, value);
	text_element(encoder, name, digits);
}

static void start_array(struct encoder *encoder, const char *name, const char *item_type, size_t count)
{
	char array_type[64];

	snprintf(array_type, sizeof(array_type), "%s[%zu]", item_type, count);
	start(encoder, name);
	attribute(encoder, "SOAP-ENC:arrayType", array_type);
}

static void require(struct encoder *encoder, const void *pointer)
{
	if (!pointer && !encoder->failed)
		encoder->failed = -EINVAL;
}

static void parameter_values(struct encoder *encoder, const struct cwmp_parameter_value *parameters,
			     size_t count)
{
	if (count)
		require(encoder, parameters);
	start_array(encoder, "ParameterList", "cwmp:ParameterValueStruct", count);
	for (size_t i = 0; i < count && !encoder->failed; i++) {
		require(encoder, parameters[i].name);
		start(encoder, "ParameterValueStruct");
		text_element(encoder, "Name", parameters[i].name);
		start(encoder, "Value");
		attribute(encoder, "xsi:type",
			  parameters[i].type && parameters[i].type[0] ? parameters[i].type : "xsd:string");
		text(encoder, parameters[i].value);
		end(encoder);
		end(encoder);
	}
	end(encoder);
}

static void string_list(struct encoder *encoder, const char *name, const char **strings, size_t count)
{
	if (count)
		require(encoder, strings);
	start_array(encoder, name, "xsd:string", count);
	for (size_t i = 0; i < count && !encoder->failed; i++) {
		require(encoder, strings[i]);
		text_element(encoder, "string", strings[i]);
	}
	end(encoder);
}

static void encode_inform(struct encoder *encoder, const struct cwmp_inform *inform)
{
	require(encoder, inform->device_id.oui);
	require(encoder, inform->device_id.serial_number);
	if (inform->event_count)
		require(encoder, inform->events);
	start(encoder, "DeviceId");
	text_element(encoder, "Manufacturer", inform->device_id.manufacturer);
	text_element(encoder, "OUI", inform->device_id.oui);
	text_element(encoder, "ProductClass", inform->device_id.product_class);
	text_element(encoder, "SerialNumber", inform->device_id.serial_number);
	end(encoder);
	start_array(encoder, "Event", "cwmp:EventStruct", inform->event_count);
	for (size_t i = 0; i < inform->event_count && !encoder->failed; i++) {
		require(encoder, inform->events[i].code);
		start(encoder, "EventStruct");
		text_element(encoder, "EventCode", inform->events[i].code);
		text_element(encoder, "CommandKey", inform->events[i].command_key);
		end(encoder);
	}
	end(encoder);
	unsigned_element(encoder, "MaxEnvelopes", inform->max_envelopes ? inform->max_envelopes : 1);
	text_element(encoder, "CurrentTime", inform->current_time ? inform->current_time : "0001-01-01T00:00:00Z");
	unsigned_element(encoder, "RetryCount", inform->retry_count);
	parameter_values(encoder, inform->parameters, inform->parameter_count);
}

static void encode_transfer_complete(struct encoder *encoder, const struct cwmp_transfer_complete *transfer)
{
	text_element(encoder, "CommandKey", transfer->command_key);
	start(encoder, "FaultStruct");
	unsigned_element(encoder, "FaultCode", transfer->fault.code);
	text_element(encoder, "FaultString", transfer->fault.string);
	end(encoder);
	text_element(encoder, "StartTime", transfer->start_time ? transfer->start_time : "0001-01-01T00:00:00Z");
	text_element(encoder, "CompleteTime",
		     transfer->complete_time ? transfer->complete_time : "0001-01-01T00:00:00Z");
}

static void encode_download(struct encoder *encoder, const struct cwmp_download *download)
{
	text_element(encoder, "CommandKey", download->command_key);
	text_element(encoder, "FileType", download->file_type ? download->file_type : CWMP_FILE_TYPE_FIRMWARE);
	text_element(encoder, "URL", download->url);
	text_element(encoder, "Username", download->username);
	text_element(encoder, "Password", download->password);
	unsigned_element(encoder, "FileSize", download->file_size);
	text_element(encoder, "TargetFileName", download->target_file_name);
	unsigned_element(encoder, "DelaySeconds", download->delay_seconds);
	text_element(encoder, "SuccessURL", download->success_url);
	text_element(encoder, "FailureURL", download->failure_url);
}

static void encode_download_response(struct encoder *encoder, const struct cwmp_download_response *response)
{
	unsigned_element(encoder, "Status", (uint64_t)(response->status ? 1 : 0));
	text_element(encoder, "StartTime", response->start_time ? response->start_time : "0001-01-01T00:00:00Z");
	text_element(encoder, "CompleteTime",
		     response->complete_time ? response->complete_time : "0001-01-01T00:00:00Z");
}

static void encode_get_parameter_names_response(struct encoder *encoder,
						const struct cwmp_get_parameter_names_response *response)
{
	if (response->parameter_count)
		require(encoder, response->parameters);
	start_array(encoder, "ParameterList", "cwmp:ParameterInfoStruct", response->parameter_count);
	for (size_t i = 0; i < response->parameter_count && !encoder->failed; i++) {
		require(encoder, response->parameters[i].name);
		start(encoder, "ParameterInfoStruct");
		text_element(encoder, "Name", response->parameters[i].name);
		text_element(encoder, "Writable", response->parameters[i].writable ? "1" : "0");
		end(encoder);
	}
	end(encoder);
}

/* Client for faults the sender caused, Server for the receiver's own. */
static const char *soap_fault_code_for(unsigned int code)
{
	unsigned int kind = code % 1000;

	if (kind == 2 || kind == 4 || kind == 5 || (code >= 9010 && code <= 9020))
		return "Server";
	return "Client";
}

static void encode_fault(struct encoder *encoder, const struct cwmp_fault *fault)
{
	start(encoder, "SOAP-ENV:Fault");
	text_element(encoder, "faultcode", fault->soap_fault_code && fault->soap_fault_code[0]
						   ? fault->soap_fault_code
						   : soap_fault_code_for(fault->code));
	text_element(encoder, "faultstring", fault->soap_fault_string && fault->soap_fault_string[0]
						     ? fault->soap_fault_string
						     : "CWMP fault");
	start(encoder, "detail");
	start(encoder, "cwmp:Fault");
	unsigned_element(encoder, "FaultCode", fault->code);
	text_element(encoder, "FaultString", fault->string ? fault->string : cwmp_fault_string(fault->code));
	if (fault->set_parameter_values_fault_count)
		require(encoder, fault->set_parameter_values_faults);
	for (size_t i = 0; i < fault->set_parameter_values_fault_count && !encoder->failed; i++) {
		const struct cwmp_set_parameter_values_fault *entry = &fault->set_parameter_values_faults[i];

		require(encoder, entry->parameter_name);
		start(encoder, "SetParameterValuesFault");
		text_element(encoder, "ParameterName", entry->parameter_name);
		unsigned_element(encoder, "FaultCode", entry->code);
		text_element(encoder, "FaultString", entry->string ? entry->string : cwmp_fault_string(entry->code));
		end(encoder);
	}
	end(encoder);
	end(encoder);
	end(encoder);
}

static void encode_body(struct encoder *encoder, const struct cwmp_message *message)
{
	char element[64];
	const char *name = cwmp_message_type_name(message->type);

	if (message->type == CWMP_FAULT) {
		encode_fault(encoder, &message->body.fault);
		return;
	}
	snprintf(element, sizeof(element), "cwmp:%s", name);
	start(encoder, element);
	switch (message->type) {
	case CWMP_INFORM:
		encode_inform(encoder, &message->body.inform);
		break;
	case CWMP_INFORM_RESPONSE:
		unsigned_element(encoder, "MaxEnvelopes", message->body.inform_response.max_envelopes
								  ? message->body.inform_response.max_envelopes
								  : 1);
		break;
	case CWMP_TRANSFER_COMPLETE:
		encode_transfer_complete(encoder, &message->body.transfer_complete);
		break;
	case CWMP_GET_RPC_METHODS_RESPONSE:
		string_list(encoder, "MethodList", message->body.get_rpc_methods_response.methods,
			    message->body.get_rpc_methods_response.count);
		break;
	case CWMP_DOWNLOAD:
		encode_download(encoder, &message->body.download);
		break;
	case CWMP_DOWNLOAD_RESPONSE:
		encode_download_response(encoder, &message->body.download_response);
		break;
	case CWMP_SET_PARAMETER_VALUES:
		parameter_values(encoder, message->body.set_parameter_values.parameters,
				 message->body.set_parameter_values.parameter_count);
		text_element(encoder, "ParameterKey", message->body.set_parameter_values.parameter_key);
		break;
	case CWMP_SET_PARAMETER_VALUES_RESPONSE:
		unsigned_element(encoder, "Status", message->body.set_parameter_values_response.status ? 1 : 0);
		break;
	case CWMP_GET_PARAMETER_VALUES:
		string_list(encoder, "ParameterNames", message->body.get_parameter_values.names,
			    message->body.get_parameter_values.name_count);
		break;
	case CWMP_GET_PARAMETER_VALUES_RESPONSE:
		parameter_values(encoder, message->body.get_parameter_values_response.parameters,
				 message->body.get_parameter_values_response.parameter_count);
		break;
	case CWMP_GET_PARAMETER_NAMES:
		text_element(encoder, "ParameterPath", message->body.get_parameter_names.parameter_path);
		text_element(encoder, "NextLevel", message->body.get_parameter_names.next_level ? "1" : "0");
		break;
	case CWMP_GET_PARAMETER_NAMES_RESPONSE:
		encode_get_parameter_names_response(encoder, &message->body.get_parameter_names_response);
		break;
	case CWMP_REBOOT:
		text_element(encoder, "CommandKey", message->body.reboot.command_key);
		break;
	default: /* responses without arguments, GetRPCMethods */
		break;
	}
	end(encoder);
}

static void encode_header(struct encoder *encoder, const struct cwmp_message *message)
{
	if (!message->id && !message->hold_requests && !message->no_more_requests)
		return;
	start(encoder, "SOAP-ENV:Header");
	if (message->id) {
		start(encoder, "cwmp:ID");
		attribute(encoder, "SOAP-ENV:mustUnderstand", "1");
		text(encoder, message->id);
		end(encoder);
	}
	if (message->hold_requests) {
		start(encoder, "cwmp:HoldRequests");
		attribute(encoder, "SOAP-ENV:mustUnderstand", "1");
		text(encoder, "1");
		end(encoder);
	}
	if (message->no_more_requests)
		text_element(encoder, "cwmp:NoMoreRequests", "1");
	end(encoder);
}

int cwmp_encode(const struct cwmp_message *message, char **data, size_t *length)
{
	struct encoder encoder = { 0 };
	xmlBuffer *buffer;
	const char *namespace = cwmp_namespace(message->version);
	int result = 0;

	*data = NULL;
	*length = 0;
	if (!namespace || !cwmp_message_type_name(message->type))
		return -EINVAL;
	buffer = xmlBufferCreate();
	if (!buffer)
		return -ENOMEM;
	encoder.writer = xmlNewTextWriterMemory(buffer, 0);
	if (!encoder.writer) {
		xmlBufferFree(buffer);
		return -ENOMEM;
	}
	if (xmlTextWriterStartDocument(encoder.writer, "1.0", "UTF-8", NULL) < 0)
		encoder.failed = -ENOMEM;
	start(&encoder, "SOAP-ENV:Envelope");
	attribute(&encoder, "xmlns:SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/");
	attribute(&encoder, "xmlns:SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/");
	attribute(&encoder, "xmlns:xsd", "http://www.w3.org/2001/XMLSchema");
	attribute(&encoder, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
	attribute(&encoder, "xmlns:cwmp", namespace);
	encode_header(&encoder, message);
	start(&encoder, "SOAP-ENV:Body");
	encode_body(&encoder, message);
	end(&encoder);
	end(&encoder);
	if (!encoder.failed && xmlTextWriterEndDocument(encoder.writer) < 0)
		encoder.failed = -ENOMEM;
	xmlFreeTextWriter(encoder.writer); /* flushes into buffer */
	result = encoder.failed;
	if (result == 0) {
		size_t size = (size_t)xmlBufferLength(buffer);

		*data = malloc(size + 1);
		if (!*data) {
			result = -ENOMEM;
		} else {
			memcpy(*data, xmlBufferContent(buffer), size);
			(*data)[size] = '\0';
			*length = size;
		}
	}
	xmlBufferFree(buffer);
	return result;
}
