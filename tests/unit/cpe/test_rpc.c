/* Unit tests for cascade-cpe's RPC handlers, through the real codec both
 * ways: requests are encoded and decoded as they would arrive, answers are
 * decoded as the ACS would read them. GetRPCMethods, GetParameterValues,
 * SetParameterValues faults (credentials too long to read back among
 * them), GetParameterNames, Download checks and
 * queueing (spv mode's empty URL), unknown methods, and the cwmp:ID of a
 * message the codec refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpe/data_model.h"
#include "cpe/download_queue.h"
#include "cpe/faults.h"
#include "cwmp/cwmp.h"
#include "cpe/rpc.h"

struct fixture {
	char folder[64];
	struct cpe_config config;
	struct cpe_cpu_meter cpu;
	struct data_model_context model;
	struct parameter_store store;
	struct download_queue queue;
	struct rpc_context rpc;
};

static uint64_t plenty_of_space(const struct cpe_config *config)
{
	(void)config;
	return 1ull << 30;
}

static int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));
	char path[128];

	snprintf(fixture->folder, sizeof(fixture->folder), "/tmp/cpe-unit-rpc.XXXXXX");
	assert_non_null(mkdtemp(fixture->folder));
	cpe_config_defaults(&fixture->config);
	snprintf(fixture->config.acs_url, sizeof(fixture->config.acs_url), "http://127.0.0.1:1/");
	snprintf(fixture->config.data_dir, sizeof(fixture->config.data_dir), "%s", fixture->folder);
	snprintf(fixture->config.serial, sizeof(fixture->config.serial), "SN1");
	fixture->config.cpu_meter = CPE_CPU_METER_OFF;
	fixture->config.max_image_size = 100 << 20;
	cpe_cpu_meter_open(&fixture->cpu, &fixture->config);
	fixture->model = (struct data_model_context){ &fixture->config, &fixture->cpu, 0 };
	snprintf(path, sizeof(path), "%s/parameters.json", fixture->folder);
	assert_int_equal(parameter_store_init(&fixture->store, "Device.", path), 0);
	assert_int_equal(data_model_build(&fixture->store, &fixture->model), 0);
	assert_int_equal(download_queue_open(&fixture->queue, fixture->folder), 0);
	fixture->rpc = (struct rpc_context){ &fixture->config, &fixture->store, &fixture->queue, plenty_of_space };
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;
	char command[128];

	download_queue_close(&fixture->queue);
	parameter_store_destroy(&fixture->store);
	cpe_cpu_meter_close(&fixture->cpu);
	snprintf(command, sizeof(command), "rm -rf %s", fixture->folder);
	assert_int_equal(system(command), 0);
	free(fixture);
	return 0;
}

/* Encodes request, decodes it as the CPE would, handles it, decodes the answer. */
static struct cwmp_message *call(struct fixture *fixture, const struct cwmp_message *request)
{
	struct cwmp_message *received = NULL, *answer = NULL;
	char *wire = NULL, *body = NULL;
	size_t length = 0, body_length = 0;

	assert_int_equal(cwmp_encode(request, &wire, &length), 0);
	assert_int_equal(cwmp_decode(wire, length, NULL, &received, NULL), 0);
	assert_int_equal(rpc_handle(&fixture->rpc, received, &body, &body_length), 0);
	assert_int_equal(cwmp_decode(body, body_length, NULL, &answer, NULL), 0);
	assert_string_equal(answer->id, request->id);
	assert_int_equal(answer->version, request->version);
	cwmp_message_free(received);
	free(wire);
	free(body);
	return answer;
}

static struct cwmp_message request_of(enum cwmp_message_type type)
{
	struct cwmp_message message = { 0 };

	message.version = CWMP_VERSION_1_0;
	message.type = type;
	message.id = "acs-7";
	return message;
}

static void test_get_rpc_methods(void **state)
{
	struct cwmp_message request = request_of(CWMP_GET_RPC_METHODS);
	struct cwmp_message *answer = call(*state, &request);
	bool download = false;

	assert_int_equal(answer->type, CWMP_GET_RPC_METHODS_RESPONSE);
	for (size_t i = 0; i < answer->body.get_rpc_methods_response.count; i++)
		download |= strcmp(answer->body.get_rpc_methods_response.methods[i], "Download") == 0;
	assert_true(download);
	cwmp_message_free(answer);
}

static void test_get_parameter_values(void **state)
{
	const char *names[] = { "Device.DeviceInfo.", "Device.X_CASCADE_FileServer.Enable" };
	struct cwmp_message request = request_of(CWMP_GET_PARAMETER_VALUES);
	struct cwmp_message *answer;
	const struct cwmp_parameter_value *found;

	request.body.get_parameter_values = (struct cwmp_get_parameter_values){ names, 2 };
	answer = call(*state, &request);
	assert_int_equal(answer->type, CWMP_GET_PARAMETER_VALUES_RESPONSE);
	found = cwmp_find_parameter(answer->body.get_parameter_values_response.parameters,
				    answer->body.get_parameter_values_response.parameter_count,
				    "Device.DeviceInfo.SerialNumber");
	assert_non_null(found);
	assert_string_equal(found->value, "SN1");
	found = cwmp_find_parameter(answer->body.get_parameter_values_response.parameters,
				    answer->body.get_parameter_values_response.parameter_count,
				    "Device.X_CASCADE_FileServer.Enable");
	assert_non_null(found);
	assert_string_equal(found->value, "0");
	assert_string_equal(found->type, "xsd:boolean");
	/* With the meter off, occupancy is not claimed at all. */
	assert_null(cwmp_find_parameter(answer->body.get_parameter_values_response.parameters,
					answer->body.get_parameter_values_response.parameter_count,
					"Device.X_CASCADE_CPUOccupancy"));
	cwmp_message_free(answer);

	names[1] = "Device.NoSuchThing";
	answer = call(*state, &request);
	assert_int_equal(answer->type, CWMP_FAULT);
	assert_int_equal(answer->body.fault.code, FAULT_INVALID_PARAMETER_NAME);
	cwmp_message_free(answer);
}

static void test_set_parameter_values_faults(void **state)
{
	struct fixture *fixture = *state;
	struct cwmp_parameter_value values[] = {
		{ "Device.X_CASCADE_MasterURL", "ftp://master/fw.bin", "xsd:string" },
		{ "Device.X_CASCADE_FileServer.URL", "http://me/", "xsd:string" },
		{ "Device.X_CASCADE_FileServer.Enable", "1", "xsd:boolean" }, /* not a master */
		{ "Device.X_CASCADE_ImageSHA256", "abc", "xsd:string" },
	};
	struct cwmp_message request = request_of(CWMP_SET_PARAMETER_VALUES);
	struct cwmp_message *answer;
	const struct cwmp_fault *fault;
	char value[128];

	request.body.set_parameter_values = (struct cwmp_set_parameter_values){ values, 4, "pk" };
	answer = call(fixture, &request);
	assert_int_equal(answer->type, CWMP_FAULT);
	fault = &answer->body.fault;
	assert_int_equal(fault->code, FAULT_INVALID_ARGUMENTS);
	assert_int_equal(fault->set_parameter_values_fault_count, 4);
	assert_string_equal(fault->set_parameter_values_faults[0].parameter_name, "Device.X_CASCADE_MasterURL");
	assert_int_equal(fault->set_parameter_values_faults[0].code, FAULT_INVALID_PARAMETER_VALUE);
	assert_int_equal(fault->set_parameter_values_faults[1].code, FAULT_NON_WRITABLE_PARAMETER);
	assert_int_equal(fault->set_parameter_values_faults[2].code, FAULT_INVALID_PARAMETER_VALUE);
	assert_int_equal(fault->set_parameter_values_faults[3].code, FAULT_INVALID_PARAMETER_VALUE);
	cwmp_message_free(answer);

	values[0].value = "http://10.0.0.2:8080/images/fw.bin?group=3";
	request.body.set_parameter_values.parameter_count = 1;
	answer = call(fixture, &request);
	assert_int_equal(answer->type, CWMP_SET_PARAMETER_VALUES_RESPONSE);
	assert_int_equal(answer->body.set_parameter_values_response.status, 0);
	cwmp_message_free(answer);
	parameter_store_get(&fixture->store, PARAM_MASTER_URL, value, sizeof(value));
	assert_string_equal(value, "http://10.0.0.2:8080/images/fw.bin?group=3");
}

/* A Connection Request password longer than the listener can read back
 * would be checked as "": it is refused with 9007 and the old one stays. */
static void test_set_overlong_credentials_refused(void **state)
{
	struct fixture *fixture = *state;
	char longest[CPE_NAME_MAX], too_long[301], value[PARAMETER_STRING_MAX + 1];
	struct cwmp_parameter_value values[] = {
		{ "Device." PARAM_CONNECTION_REQUEST_PASS, longest, "xsd:string" },
	};
	struct cwmp_message request = request_of(CWMP_SET_PARAMETER_VALUES);
	struct cwmp_message *answer;

	memset(longest, 'p', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'q', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	request.body.set_parameter_values = (struct cwmp_set_parameter_values){ values, 1, "pk" };
	answer = call(fixture, &request);
	assert_int_equal(answer->type, CWMP_SET_PARAMETER_VALUES_RESPONSE);
	cwmp_message_free(answer);

	for (int which = 0; which < 2; which++) {
		values[0].name = which == 0 ? "Device." PARAM_CONNECTION_REQUEST_PASS
					    : "Device." PARAM_CONNECTION_REQUEST_USER;
		values[0].value = too_long;
		answer = call(fixture, &request);
		assert_int_equal(answer->type, CWMP_FAULT);
		assert_int_equal(answer->body.fault.code, FAULT_INVALID_ARGUMENTS);
		assert_int_equal(answer->body.fault.set_parameter_values_fault_count, 1);
		assert_int_equal(answer->body.fault.set_parameter_values_faults[0].code, FAULT_INVALID_PARAMETER_VALUE);
		cwmp_message_free(answer);
	}
	assert_int_equal(parameter_store_get(&fixture->store, PARAM_CONNECTION_REQUEST_PASS, value, sizeof(value)), 0);
	assert_string_equal(value, longest);
}

static void test_get_parameter_names(void **state)
{
	struct cwmp_message request = request_of(CWMP_GET_PARAMETER_NAMES);
	struct cwmp_message *answer;
	bool master_url = false, file_server = false;

	request.body.get_parameter_names = (struct cwmp_get_parameter_names){ "Device.", true };
	answer = call(*state, &request);
	assert_int_equal(answer->type, CWMP_GET_PARAMETER_NAMES_RESPONSE);
	for (size_t i = 0; i < answer->body.get_parameter_names_response.parameter_count; i++) {
		const struct cwmp_parameter_info *info = &answer->body.get_parameter_names_response.parameters[i];
		/* NextLevel: only direct children ("Device.X" or "Device.X.") */
		const char *dot = strchr(info->name + strlen("Device."), '.');

		assert_true(dot == NULL || dot[1] == '\0');
		if (strcmp(info->name, "Device.X_CASCADE_MasterURL") == 0)
			master_url = info->writable;
		if (strcmp(info->name, "Device.X_CASCADE_FileServer.") == 0)
			file_server = !info->writable;
	}
	assert_true(master_url);
	assert_true(file_server);
	cwmp_message_free(answer);
}

static struct cwmp_download firmware(const char *url, uint64_t size)
{
	return (struct cwmp_download){
		.command_key = "cascade-c1-d2-a1",
		.file_type = CWMP_FILE_TYPE_FIRMWARE,
		.url = url,
		.username = "",
		.password = "",
		.file_size = size,
		.target_file_name = "fw-2.0.bin",
		.delay_seconds = 30,
		.success_url = "",
		.failure_url = "",
	};
}

static unsigned int download_fault(struct fixture *fixture, struct cwmp_download download)
{
	struct cwmp_message request = request_of(CWMP_DOWNLOAD);
	struct cwmp_message *answer;
	unsigned int code;

	request.body.download = download;
	answer = call(fixture, &request);
	code = answer->type == CWMP_FAULT ? answer->body.fault.code : 0;
	if (!code)
		assert_int_equal(answer->body.download_response.status, 1);
	cwmp_message_free(answer);
	return code;
}

static void test_download_checks(void **state)
{
	struct fixture *fixture = *state;
	struct cwmp_download download = firmware("ftp://origin/fw.bin", 1000);

	assert_int_equal(download_fault(fixture, download), FAULT_UNSUPPORTED_PROTOCOL);
	download = firmware("file:///etc/passwd", 1000);
	assert_int_equal(download_fault(fixture, download), FAULT_UNSUPPORTED_PROTOCOL);
	download = firmware("http://origin/fw.bin", 200 << 20); /* over --max-image-size */
	assert_int_equal(download_fault(fixture, download), FAULT_RESOURCES_EXCEEDED);
	download = firmware("http://origin/fw.bin", 1000);
	download.file_type = "3 Vendor Configuration File";
	assert_int_equal(download_fault(fixture, download), FAULT_INVALID_ARGUMENTS);
	download = firmware("", 1000); /* spv mode without X_CASCADE_MasterURL */
	assert_int_equal(download_fault(fixture, download), FAULT_INVALID_ARGUMENTS);
	assert_int_equal(download_queue_count(&fixture->queue), 0);
}

static void test_download_queues_with_master_url_and_hash(void **state)
{
	struct fixture *fixture = *state;
	struct cwmp_download download = firmware("", 4096);
	struct cwmp_set_parameter_values_fault faults[2];
	struct cwmp_parameter_value values[] = {
		{ "Device.X_CASCADE_MasterURL", "http://10.0.0.2:8080/images/fw-2.0.bin?group=1", NULL },
		{ "Device.X_CASCADE_ImageSHA256", "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", NULL },
	};
	struct download_request queued;
	struct download_queue reloaded;
	size_t fault_count;

	assert_int_equal(parameter_store_set_values(&fixture->store, values, 2, "", faults, &fault_count), 0);
	assert_int_equal(download_fault(fixture, download), 0);
	assert_true(download_queue_first(&fixture->queue, &queued));
	assert_string_equal(queued.url, "http://10.0.0.2:8080/images/fw-2.0.bin?group=1");
	assert_string_equal(queued.sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	assert_string_equal(queued.target_name, "fw-2.0.bin");
	assert_string_equal(queued.command_key, "cascade-c1-d2-a1");
	assert_int_equal(queued.file_size, 4096);
	assert_int_equal(queued.not_before, queued.accepted_at + 30);

	/* Saved before the answer: a fresh queue over the same folder has it. */
	assert_int_equal(download_queue_open(&reloaded, fixture->folder), 0);
	assert_int_equal(download_queue_count(&reloaded), 1);
	download_queue_close(&reloaded);

	for (int i = 1; i < DOWNLOAD_QUEUE_MAX; i++)
		assert_int_equal(download_fault(fixture, firmware("http://origin/fw.bin", 10)), 0);
	assert_int_equal(download_fault(fixture, firmware("http://origin/fw.bin", 10)), FAULT_RESOURCES_EXCEEDED);
}

static void test_unknown_methods(void **state)
{
	static const char unknown[] =
		"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
		"xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">"
		"acs-42</cwmp:ID></soap:Header><soap:Body><cwmp:FactoryReset/></soap:Body></soap:Envelope>";
	struct cwmp_message request = request_of(CWMP_REBOOT);
	struct cwmp_message *answer, *decoded = NULL;
	struct cwmp_error error;
	char id[64];

	request.body.reboot.command_key = "r1";
	answer = call(*state, &request);
	assert_int_equal(answer->type, CWMP_FAULT);
	assert_int_equal(answer->body.fault.code, FAULT_METHOD_NOT_SUPPORTED);
	cwmp_message_free(answer);

	/* A method the codec does not know: refused with 9000, its ID kept. */
	assert_true(cwmp_decode(unknown, sizeof(unknown) - 1, NULL, &decoded, &error) < 0);
	assert_int_equal(error.cpe_fault_code, FAULT_METHOD_NOT_SUPPORTED);
	cwmp_id_peek(unknown, sizeof(unknown) - 1, id, sizeof(id));
	assert_string_equal(id, "acs-42");
	cwmp_id_peek("<a", 2, id, sizeof(id));
	assert_string_equal(id, "");
	cwmp_id_peek("<!DOCTYPE x [<!ENTITY e \"acs\">]><x/>", 36, id, sizeof(id));
	assert_string_equal(id, "");
}

static void test_target_names(void **state)
{
	char name[256];

	(void)state;
	rpc_download_target_name("fw.bin", "http://x/y/z.bin", name, sizeof(name));
	assert_string_equal(name, "fw.bin");
	rpc_download_target_name("../etc/passwd", "http://x/images/real.bin?group=2#top", name, sizeof(name));
	assert_string_equal(name, "real.bin");
	rpc_download_target_name("", "http://x/", name, sizeof(name));
	assert_string_equal(name, "image.bin");
	rpc_download_target_name(NULL, "http://x/images/..", name, sizeof(name));
	assert_string_equal(name, "image.bin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_rpc_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_parameter_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_parameter_values_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_overlong_credentials_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_parameter_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_download_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_download_queues_with_master_url_and_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_methods, setup, teardown),
		cmocka_unit_test(test_target_names),
	};

	cwmp_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
