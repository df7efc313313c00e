/* Unit tests for the CWMP codec: every RPC encodes and decodes back to the
 * same fields in each of the three namespaces, headers included, and the
 * namespace of the reply is the one the message carried. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cwmp/cwmp.h"

static enum cwmp_version current_version;

/* Encodes message, checks the namespace text, decodes it again. */
static struct cwmp_message *round_trip(const struct cwmp_message *message)
{
	struct cwmp_message *decoded = NULL;
	struct cwmp_error error;
	char *data = NULL;
	size_t length = 0;

	assert_int_equal(cwmp_encode(message, &data, &length), 0);
	assert_non_null(data);
	assert_int_equal(strlen(data), length);
	assert_non_null(strstr(data, cwmp_namespace(message->version)));
	if (cwmp_decode(data, length, NULL, &decoded, &error) != 0)
		fail_msg("decode failed: %s\n%s", error.message, data);
	free(data);
	assert_int_equal(decoded->version, message->version);
	assert_int_equal(decoded->type, message->type);
	if (message->id)
		assert_string_equal(decoded->id, message->id);
	else
		assert_null(decoded->id);
	assert_int_equal(decoded->hold_requests, message->hold_requests);
	assert_int_equal(decoded->no_more_requests, message->no_more_requests);
	return decoded;
}

static void base(struct cwmp_message *message, enum cwmp_message_type type)
{
	memset(message, 0, sizeof(*message));
	message->version = current_version;
	message->type = type;
	message->id = "session-1 <&>";
}

static void assert_parameters_equal(const struct cwmp_parameter_value *expected,
				    const struct cwmp_parameter_value *actual, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		assert_string_equal(actual[i].name, expected[i].name);
		assert_string_equal(actual[i].value, expected[i].value);
		assert_string_equal(actual[i].type, expected[i].type ? expected[i].type : "xsd:string");
	}
}

static struct cwmp_parameter_value sample_parameters[] = {
	{ "Device.DeviceInfo.SoftwareVersion", "1.2.3 & <beta>", "xsd:string" },
	{ "Device.X_CASCADE_CPUOccupancy", "1250", "xsd:unsignedInt" },
	{ "Device.X_CASCADE_FileServer.Enable", "true", "xsd:boolean" },
	{ "Device.ManagementServer.ConnectionRequestURL", "http://10.0.0.1:7547/cr/abc", NULL },
	{ "Device.DeviceInfo.Description", "", "xsd:string" },
};

static void test_inform(void **state)
{
	struct cwmp_event events[] = { { "0 BOOTSTRAP", "" }, { "M Download", "campaign-7" } };
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_INFORM);
	message.body.inform = (struct cwmp_inform){
		.device_id = { "Cascade Labs", "00D09E", "HGW-1", "SN0001" },
		.events = events,
		.event_count = 2,
		.max_envelopes = 1,
		.current_time = "2026-11-25T08:00:00Z",
		.retry_count = 3,
		.parameters = sample_parameters,
		.parameter_count = 5,
	};
	decoded = round_trip(&message);
	assert_string_equal(decoded->body.inform.device_id.manufacturer, "Cascade Labs");
	assert_string_equal(decoded->body.inform.device_id.oui, "00D09E");
	assert_string_equal(decoded->body.inform.device_id.product_class, "HGW-1");
	assert_string_equal(decoded->body.inform.device_id.serial_number, "SN0001");
	assert_int_equal(decoded->body.inform.event_count, 2);
	assert_string_equal(decoded->body.inform.events[1].code, "M Download");
	assert_string_equal(decoded->body.inform.events[1].command_key, "campaign-7");
	assert_true(cwmp_inform_has_event(&decoded->body.inform, "0 BOOTSTRAP"));
	assert_false(cwmp_inform_has_event(&decoded->body.inform, "1 BOOT"));
	assert_int_equal(decoded->body.inform.max_envelopes, 1);
	assert_string_equal(decoded->body.inform.current_time, "2026-11-25T08:00:00Z");
	assert_int_equal(decoded->body.inform.retry_count, 3);
	assert_int_equal(decoded->body.inform.parameter_count, 5);
	assert_parameters_equal(sample_parameters, decoded->body.inform.parameters, 5);
	assert_non_null(cwmp_find_parameter_any_root(decoded->body.inform.parameters, 5, "X_CASCADE_CPUOccupancy"));
	cwmp_message_free(decoded);
}

static void test_inform_response_with_headers(void **state)
{
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_INFORM_RESPONSE);
	message.hold_requests = true;
	message.body.inform_response.max_envelopes = 1;
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.inform_response.max_envelopes, 1);
	cwmp_message_free(decoded);

	base(&message, CWMP_INFORM_RESPONSE);
	message.id = NULL;
	message.no_more_requests = true;
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.inform_response.max_envelopes, 1);
	cwmp_message_free(decoded);
}

static void test_transfer_complete(void **state)
{
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_TRANSFER_COMPLETE);
	message.body.transfer_complete = (struct cwmp_transfer_complete){
		.command_key = "c1-d42",
		.fault = { 9018, "Download failure: file corrupted" },
		.start_time = "2026-11-25T08:00:00Z",
		.complete_time = "2026-11-25T08:00:09Z",
	};
	decoded = round_trip(&message);
	assert_string_equal(decoded->body.transfer_complete.command_key, "c1-d42");
	assert_int_equal(decoded->body.transfer_complete.fault.code, 9018);
	assert_string_equal(decoded->body.transfer_complete.fault.string, "Download failure: file corrupted");
	assert_string_equal(decoded->body.transfer_complete.start_time, "2026-11-25T08:00:00Z");
	assert_string_equal(decoded->body.transfer_complete.complete_time, "2026-11-25T08:00:09Z");
	cwmp_message_free(decoded);

	base(&message, CWMP_TRANSFER_COMPLETE_RESPONSE);
	decoded = round_trip(&message);
	cwmp_message_free(decoded);
}

static void test_get_rpc_methods(void **state)
{
	const char *methods[] = { "Inform", "TransferComplete", "GetRPCMethods" };
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_GET_RPC_METHODS);
	decoded = round_trip(&message);
	cwmp_message_free(decoded);

	base(&message, CWMP_GET_RPC_METHODS_RESPONSE);
	message.body.get_rpc_methods_response = (struct cwmp_method_list){ methods, 3 };
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.get_rpc_methods_response.count, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(decoded->body.get_rpc_methods_response.methods[i], methods[i]);
	cwmp_message_free(decoded);
}

static void test_download(void **state)
{
	struct cwmp_message message, *decoded;
	struct cwmp_download *download;

	(void)state;
	base(&message, CWMP_DOWNLOAD);
	message.body.download = (struct cwmp_download){
		.command_key = "c7",
		.file_type = CWMP_FILE_TYPE_FIRMWARE,
		.url = "http://10.0.0.5:8080/images/fw.bin?group=3&x=1",
		.username = "user",
		.password = "p<a>ss",
		.file_size = 5368709120ull,
		.target_file_name = "fw.bin",
		.delay_seconds = 5,
		.success_url = "",
		.failure_url = "http://fail",
	};
	decoded = round_trip(&message);
	download = &decoded->body.download;
	assert_string_equal(download->command_key, "c7");
	assert_string_equal(download->file_type, "1 Firmware Upgrade Image");
	assert_string_equal(download->url, "http://10.0.0.5:8080/images/fw.bin?group=3&x=1");
	assert_string_equal(download->username, "user");
	assert_string_equal(download->password, "p<a>ss");
	assert_true(download->file_size == 5368709120ull);
	assert_string_equal(download->target_file_name, "fw.bin");
	assert_int_equal(download->delay_seconds, 5);
	assert_string_equal(download->success_url, "");
	assert_string_equal(download->failure_url, "http://fail");
	cwmp_message_free(decoded);

	/* spv mode: empty URL */
	message.body.download.url = "";
	decoded = round_trip(&message);
	assert_string_equal(decoded->body.download.url, "");
	cwmp_message_free(decoded);

	base(&message, CWMP_DOWNLOAD_RESPONSE);
	message.body.download_response = (struct cwmp_download_response){ 1, "0001-01-01T00:00:00Z",
									   "0001-01-01T00:00:00Z" };
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.download_response.status, 1);
	assert_string_equal(decoded->body.download_response.start_time, "0001-01-01T00:00:00Z");
	cwmp_message_free(decoded);
}

static void test_set_parameter_values(void **state)
{
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_SET_PARAMETER_VALUES);
	message.body.set_parameter_values = (struct cwmp_set_parameter_values){ sample_parameters, 5, "key-1" };
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.set_parameter_values.parameter_count, 5);
	assert_parameters_equal(sample_parameters, decoded->body.set_parameter_values.parameters, 5);
	assert_string_equal(decoded->body.set_parameter_values.parameter_key, "key-1");
	cwmp_message_free(decoded);

	base(&message, CWMP_SET_PARAMETER_VALUES_RESPONSE);
	message.body.set_parameter_values_response.status = 1;
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.set_parameter_values_response.status, 1);
	cwmp_message_free(decoded);
}

static void test_get_parameter_values(void **state)
{
	const char *names[] = { "Device.DeviceInfo.", "InternetGatewayDevice.DeviceInfo.SoftwareVersion" };
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_GET_PARAMETER_VALUES);
	message.body.get_parameter_values = (struct cwmp_get_parameter_values){ names, 2 };
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.get_parameter_values.name_count, 2);
	assert_string_equal(decoded->body.get_parameter_values.names[0], names[0]);
	assert_string_equal(decoded->body.get_parameter_values.names[1], names[1]);
	cwmp_message_free(decoded);

	base(&message, CWMP_GET_PARAMETER_VALUES_RESPONSE);
	message.body.get_parameter_values_response = (struct cwmp_get_parameter_values_response){ sample_parameters, 5 };
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.get_parameter_values_response.parameter_count, 5);
	assert_parameters_equal(sample_parameters, decoded->body.get_parameter_values_response.parameters, 5);
	cwmp_message_free(decoded);

	/* an empty list is legal both ways */
	message.body.get_parameter_values_response = (struct cwmp_get_parameter_values_response){ NULL, 0 };
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.get_parameter_values_response.parameter_count, 0);
	cwmp_message_free(decoded);
}

static void test_get_parameter_names(void **state)
{
	struct cwmp_parameter_info infos[] = { { "Device.DeviceInfo.", false }, { "Device.X_CASCADE_MasterURL", true } };
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_GET_PARAMETER_NAMES);
	message.body.get_parameter_names = (struct cwmp_get_parameter_names){ "Device.", true };
	decoded = round_trip(&message);
	assert_string_equal(decoded->body.get_parameter_names.parameter_path, "Device.");
	assert_true(decoded->body.get_parameter_names.next_level);
	cwmp_message_free(decoded);

	base(&message, CWMP_GET_PARAMETER_NAMES_RESPONSE);
	message.body.get_parameter_names_response = (struct cwmp_get_parameter_names_response){ infos, 2 };
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.get_parameter_names_response.parameter_count, 2);
	assert_string_equal(decoded->body.get_parameter_names_response.parameters[1].name, infos[1].name);
	assert_false(decoded->body.get_parameter_names_response.parameters[0].writable);
	assert_true(decoded->body.get_parameter_names_response.parameters[1].writable);
	cwmp_message_free(decoded);
}

static void test_reboot(void **state)
{
	struct cwmp_message message, *decoded;

	(void)state;
	base(&message, CWMP_REBOOT);
	message.body.reboot.command_key = "reboot-1";
	decoded = round_trip(&message);
	assert_string_equal(decoded->body.reboot.command_key, "reboot-1");
	cwmp_message_free(decoded);
	base(&message, CWMP_REBOOT_RESPONSE);
	decoded = round_trip(&message);
	cwmp_message_free(decoded);
}

static void test_fault(void **state)
{
	struct cwmp_set_parameter_values_fault entries[] = {
		{ "Device.X_CASCADE_MasterURL", 9007, "Invalid parameter value" },
		{ "Device.Bogus", 9005, NULL },
	};
	struct cwmp_message message, *decoded;

	(void)state;
	cwmp_fault_message(&message, current_version, "id-9", 9003, NULL);
	message.body.fault.set_parameter_values_faults = entries;
	message.body.fault.set_parameter_values_fault_count = 2;
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.fault.code, 9003);
	assert_string_equal(decoded->body.fault.string, "Invalid arguments");
	assert_string_equal(decoded->body.fault.soap_fault_code, "Client");
	assert_string_equal(decoded->body.fault.soap_fault_string, "CWMP fault");
	assert_int_equal(decoded->body.fault.set_parameter_values_fault_count, 2);
	assert_string_equal(decoded->body.fault.set_parameter_values_faults[0].parameter_name, entries[0].parameter_name);
	assert_int_equal(decoded->body.fault.set_parameter_values_faults[1].code, 9005);
	assert_string_equal(decoded->body.fault.set_parameter_values_faults[1].string, "Invalid parameter name");
	cwmp_message_free(decoded);

	cwmp_fault_message(&message, current_version, "id-10", 8002, NULL);
	decoded = round_trip(&message);
	assert_int_equal(decoded->body.fault.code, 8002);
	assert_string_equal(decoded->body.fault.soap_fault_code, "Server");
	cwmp_message_free(decoded);
}

static void test_encode_rejects_incomplete(void **state)
{
	struct cwmp_message message;
	char *data;
	size_t length;

	(void)state;
	base(&message, CWMP_INFORM);
	message.body.inform.device_id.oui = "00D09E"; /* no serial number */
	assert_int_equal(cwmp_encode(&message, &data, &length), -EINVAL);
	assert_null(data);
	base(&message, (enum cwmp_message_type)999);
	assert_int_equal(cwmp_encode(&message, &data, &length), -EINVAL);
	base(&message, CWMP_INFORM_RESPONSE);
	message.version = (enum cwmp_version)7;
	assert_int_equal(cwmp_encode(&message, &data, &length), -EINVAL);
}

static int set_version(void **state)
{
	current_version = (enum cwmp_version)(uintptr_t)*state;
	return 0;
}

#define IN_EVERY_VERSION(test)                                                           \
	cmocka_unit_test_prestate_setup_teardown(test, set_version, NULL, (void *)0),    \
		cmocka_unit_test_prestate_setup_teardown(test, set_version, NULL, (void *)1), \
		cmocka_unit_test_prestate_setup_teardown(test, set_version, NULL, (void *)2)

int main(void)
{
	const struct CMUnitTest tests[] = {
		IN_EVERY_VERSION(test_inform),
		IN_EVERY_VERSION(test_inform_response_with_headers),
		IN_EVERY_VERSION(test_transfer_complete),
		IN_EVERY_VERSION(test_get_rpc_methods),
		IN_EVERY_VERSION(test_download),
		IN_EVERY_VERSION(test_set_parameter_values),
		IN_EVERY_VERSION(test_get_parameter_values),
		IN_EVERY_VERSION(test_get_parameter_names),
		IN_EVERY_VERSION(test_reboot),
		IN_EVERY_VERSION(test_fault),
		cmocka_unit_test(test_encode_rejects_incomplete),
	};

	cwmp_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
