/* Unit tests for cascade-cpe's parameter store: GetParameterValues by name
 * and partial path, GetParameterNames with NextLevel, SetParameterValues
 * all-or-nothing with per-parameter faults, persistence of what the ACS
 * set (and only that), canonical values, and the data model validators. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "cpe/data_model.h"
#include "cpe/faults.h"
#include "cpe/parameter_store.h"

struct fixture {
	char folder[64];
	char path[128];
	struct parameter_store store;
};

static int only_even(const char *value, void *context)
{
	(void)context;
	return (value[strlen(value) - 1] - '0') % 2 == 0 ? 0 : -EINVAL;
}

static void declare(struct parameter_store *store)
{
	assert_int_equal(parameter_store_add(store, "DeviceInfo.Manufacturer", PARAMETER_STRING, PARAMETER_INFORM,
					     NULL, "ACME"),
			 0);
	assert_int_equal(parameter_store_add(store, "DeviceInfo.MemoryStatus.Free", PARAMETER_UNSIGNED_INT, 0, NULL,
					     "100"),
			 0);
	assert_int_equal(parameter_store_add(store, "ManagementServer.PeriodicInformInterval", PARAMETER_UNSIGNED_INT,
					     PARAMETER_WRITABLE | PARAMETER_PERSISTENT, only_even, "300"),
			 0);
	assert_int_equal(parameter_store_add(store, "ManagementServer.PeriodicInformEnable", PARAMETER_BOOLEAN,
					     PARAMETER_WRITABLE | PARAMETER_PERSISTENT, NULL, "1"),
			 0);
	assert_int_equal(parameter_store_add(store, "ManagementServer.ConnectionRequestPassword", PARAMETER_STRING,
					     PARAMETER_WRITABLE | PARAMETER_PERSISTENT | PARAMETER_SECRET, NULL,
					     "secret"),
			 0);
	assert_int_equal(parameter_store_add(store, MANAGEMENT_SERVER_PARAMETER_KEY, PARAMETER_STRING,
					     PARAMETER_PERSISTENT | PARAMETER_INFORM, NULL, ""),
			 0);
	assert_int_equal(parameter_store_add(store, "X_CASCADE_Location", PARAMETER_STRING,
					     PARAMETER_WRITABLE | PARAMETER_PERSISTENT | PARAMETER_INFORM, NULL,
					     "from-config"),
			 0);
}

static int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));

	snprintf(fixture->folder, sizeof(fixture->folder), "/tmp/cpe-unit-params.XXXXXX");
	assert_non_null(mkdtemp(fixture->folder));
	snprintf(fixture->path, sizeof(fixture->path), "%s/parameters.json", fixture->folder);
	assert_int_equal(parameter_store_init(&fixture->store, "Device.", fixture->path), 0);
	declare(&fixture->store);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;

	parameter_store_destroy(&fixture->store);
	unlink(fixture->path);
	rmdir(fixture->folder);
	free(fixture);
	return 0;
}

static void test_get_values_by_name_and_path(void **state)
{
	struct fixture *fixture = *state;
	const char *names[] = { "Device.DeviceInfo.", "Device.X_CASCADE_Location" };
	const char *all[] = { "" };
	const char *unknown[] = { "Device.DeviceInfo.Manufacturer", "Device.Nope" };
	const char *secret[] = { "Device.ManagementServer.ConnectionRequestPassword" };
	struct parameter_list list;
	const char *bad = NULL;

	assert_int_equal(parameter_store_get_values(&fixture->store, names, 2, &list, &bad), 0);
	assert_int_equal(list.count, 3);
	assert_string_equal(list.values[0].name, "Device.DeviceInfo.Manufacturer");
	assert_string_equal(list.values[0].value, "ACME");
	assert_string_equal(list.values[1].type, "xsd:unsignedInt");
	assert_string_equal(list.values[2].value, "from-config");
	parameter_list_free(&list);

	assert_int_equal(parameter_store_get_values(&fixture->store, all, 1, &list, &bad), 0);
	assert_int_equal(list.count, fixture->store.count);
	parameter_list_free(&list);

	assert_int_equal(parameter_store_get_values(&fixture->store, unknown, 2, &list, &bad),
			 FAULT_INVALID_PARAMETER_NAME);
	assert_string_equal(bad, "Device.Nope");
	assert_int_equal(list.count, 0);

	/* A password reads back empty (TR-069). */
	assert_int_equal(parameter_store_get_values(&fixture->store, secret, 1, &list, &bad), 0);
	assert_string_equal(list.values[0].value, "");
	parameter_list_free(&list);
}

static bool has_name(const struct parameter_name_list *list, const char *name, bool writable)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->names[i].name, name) == 0)
			return list->names[i].writable == writable;
	return false;
}

static void test_get_names(void **state)
{
	struct fixture *fixture = *state;
	struct parameter_name_list list;

	assert_int_equal(parameter_store_get_names(&fixture->store, "", true, &list), 0);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.names[0].name, "Device.");
	parameter_name_list_free(&list);

	assert_int_equal(parameter_store_get_names(&fixture->store, "Device.", true, &list), 0);
	assert_int_equal(list.count, 3); /* DeviceInfo., ManagementServer., X_CASCADE_Location */
	assert_true(has_name(&list, "Device.DeviceInfo.", false));
	assert_true(has_name(&list, "Device.ManagementServer.", false));
	assert_true(has_name(&list, "Device.X_CASCADE_Location", true));
	parameter_name_list_free(&list);

	assert_int_equal(parameter_store_get_names(&fixture->store, "Device.DeviceInfo.", false, &list), 0);
	assert_int_equal(list.count, 4);
	assert_string_equal(list.names[0].name, "Device.DeviceInfo.");
	assert_true(has_name(&list, "Device.DeviceInfo.MemoryStatus.", false));
	assert_true(has_name(&list, "Device.DeviceInfo.MemoryStatus.Free", false));
	parameter_name_list_free(&list);

	assert_int_equal(parameter_store_get_names(&fixture->store, "Device.ManagementServer.PeriodicInformInterval",
						   false, &list),
			 0);
	assert_int_equal(list.count, 1);
	assert_true(list.names[0].writable);
	parameter_name_list_free(&list);

	assert_int_equal(parameter_store_get_names(&fixture->store, "Device.ManagementServer.PeriodicInformInterval",
						   true, &list),
			 FAULT_INVALID_ARGUMENTS);
	assert_int_equal(parameter_store_get_names(&fixture->store, "Device.Missing.", true, &list),
			 FAULT_INVALID_PARAMETER_NAME);
	assert_int_equal(parameter_store_get_names(&fixture->store, "Device.DeviceInfo.Nope", false, &list),
			 FAULT_INVALID_PARAMETER_NAME);
}

static void test_set_values_applies_all_and_persists(void **state)
{
	struct fixture *fixture = *state;
	struct cwmp_parameter_value values[] = {
		{ "Device.ManagementServer.PeriodicInformInterval", "0060", "xsd:unsignedInt" },
		{ "Device.ManagementServer.PeriodicInformEnable", "false", "xsd:boolean" },
		{ "Device.X_CASCADE_Location", "attic", NULL },
	};
	struct cwmp_set_parameter_values_fault faults[3];
	size_t fault_count = 99;
	uint64_t generation = parameter_store_generation(&fixture->store);
	char value[64], *text = NULL;
	size_t length;

	assert_int_equal(parameter_store_set_values(&fixture->store, values, 3, "key-1", faults, &fault_count), 0);
	assert_int_equal(fault_count, 0);
	assert_int_equal(parameter_store_get(&fixture->store, "ManagementServer.PeriodicInformInterval", value,
					     sizeof(value)),
			 0);
	assert_string_equal(value, "60");
	assert_false(parameter_store_get_bool(&fixture->store, "ManagementServer.PeriodicInformEnable", true));
	assert_int_equal(parameter_store_get_unsigned(&fixture->store, "ManagementServer.PeriodicInformInterval", 0),
			 60);
	parameter_store_get(&fixture->store, MANAGEMENT_SERVER_PARAMETER_KEY, value, sizeof(value));
	assert_string_equal(value, "key-1");
	assert_int_equal(parameter_store_generation(&fixture->store), generation + 1);

	/* The file holds what the ACS set, and not the untouched password. */
	assert_int_equal(read_whole_file(fixture->path, 65536, &text, &length), 0);
	assert_non_null(strstr(text, "\"X_CASCADE_Location\": \"attic\""));
	assert_non_null(strstr(text, "\"ManagementServer.ParameterKey\": \"key-1\""));
	assert_null(strstr(text, "secret"));
	free(text);
}

static void test_set_values_all_or_nothing(void **state)
{
	struct fixture *fixture = *state;
	struct cwmp_parameter_value values[] = {
		{ "Device.X_CASCADE_Location", "kitchen", "xsd:string" },                     /* fine */
		{ "Device.Nope", "1", "xsd:string" },                                         /* 9005 */
		{ "Device.DeviceInfo.Manufacturer", "Evil", "xsd:string" },                   /* 9008 */
		{ "Device.ManagementServer.PeriodicInformInterval", "abc", "xsd:unsignedInt" }, /* 9007 */
		{ "Device.ManagementServer.PeriodicInformEnable", "1", "xsd:int" },           /* 9006 */
		{ "Device.ManagementServer.PeriodicInformInterval", "61", NULL },             /* duplicate */
	};
	struct cwmp_set_parameter_values_fault faults[6];
	size_t fault_count = 0;
	char value[64];

	assert_int_equal(parameter_store_set_values(&fixture->store, values, 5, "key-2", faults, &fault_count),
			 FAULT_INVALID_ARGUMENTS);
	assert_int_equal(fault_count, 4);
	assert_string_equal(faults[0].parameter_name, "Device.Nope");
	assert_int_equal(faults[0].code, FAULT_INVALID_PARAMETER_NAME);
	assert_int_equal(faults[1].code, FAULT_NON_WRITABLE_PARAMETER);
	assert_int_equal(faults[2].code, FAULT_INVALID_PARAMETER_VALUE);
	assert_int_equal(faults[3].code, FAULT_INVALID_PARAMETER_TYPE);
	parameter_store_get(&fixture->store, "X_CASCADE_Location", value, sizeof(value));
	assert_string_equal(value, "from-config");
	parameter_store_get(&fixture->store, MANAGEMENT_SERVER_PARAMETER_KEY, value, sizeof(value));
	assert_string_equal(value, "");
	assert_int_equal(access(fixture->path, F_OK), -1); /* nothing was written */

	/* The validator: an odd interval is refused. */
	values[5].value = "61";
	assert_int_equal(parameter_store_set_values(&fixture->store, &values[5], 1, "", faults, &fault_count),
			 FAULT_INVALID_ARGUMENTS);
	assert_int_equal(fault_count, 1);
	assert_int_equal(faults[0].code, FAULT_INVALID_PARAMETER_VALUE);

	/* The same name twice: the whole request is 9003 without entries. */
	values[4] = values[3];
	values[3].value = "62";
	values[4].value = "64";
	assert_int_equal(parameter_store_set_values(&fixture->store, &values[3], 2, "", faults, &fault_count),
			 FAULT_INVALID_ARGUMENTS);
	assert_int_equal(fault_count, 0);
	assert_int_equal(parameter_store_get_unsigned(&fixture->store, "ManagementServer.PeriodicInformInterval", 0),
			 300);
}

static void test_failed_save_changes_nothing(void **state)
{
	struct fixture *fixture = *state;
	struct parameter_store store;
	struct cwmp_parameter_value value = { "Device.X_CASCADE_Location", "garage", NULL };
	struct cwmp_set_parameter_values_fault fault;
	size_t fault_count;
	char text[64];

	(void)fixture;
	assert_int_equal(parameter_store_init(&store, "Device.", "/nonexistent-cascade-dir/parameters.json"), 0);
	declare(&store);
	assert_int_equal(parameter_store_set_values(&store, &value, 1, "k", &fault, &fault_count),
			 FAULT_INTERNAL_ERROR);
	parameter_store_get(&store, "X_CASCADE_Location", text, sizeof(text));
	assert_string_equal(text, "from-config");
	parameter_store_destroy(&store);
}

static void test_persisted_values_win_over_config(void **state)
{
	struct fixture *fixture = *state;
	struct cwmp_parameter_value value = { "Device.X_CASCADE_Location", "roof", NULL };
	struct cwmp_set_parameter_values_fault fault;
	struct parameter_store reloaded;
	size_t fault_count;
	char text[64];

	assert_int_equal(parameter_store_set_values(&fixture->store, &value, 1, "k7", &fault, &fault_count), 0);
	assert_int_equal(parameter_store_init(&reloaded, "InternetGatewayDevice.", fixture->path), 0);
	declare(&reloaded);
	assert_int_equal(parameter_store_load(&reloaded), 0);
	parameter_store_get(&reloaded, "X_CASCADE_Location", text, sizeof(text));
	assert_string_equal(text, "roof"); /* kept by suffix, even under another root */
	parameter_store_get(&reloaded, MANAGEMENT_SERVER_PARAMETER_KEY, text, sizeof(text));
	assert_string_equal(text, "k7");
	/* Never set by the ACS: the configured value stays. */
	parameter_store_get(&reloaded, "ManagementServer.PeriodicInformInterval", text, sizeof(text));
	assert_string_equal(text, "300");
	parameter_store_destroy(&reloaded);

	/* A corrupt file is ignored, not fatal. */
	assert_int_equal(atomic_write_file(fixture->path, "{not json", 9, 0600), 0);
	assert_int_equal(parameter_store_init(&reloaded, "Device.", fixture->path), 0);
	declare(&reloaded);
	assert_int_equal(parameter_store_load(&reloaded), 0);
	parameter_store_get(&reloaded, "X_CASCADE_Location", text, sizeof(text));
	assert_string_equal(text, "from-config");
	parameter_store_destroy(&reloaded);
}

static void test_normalize(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(parameter_value_normalize(PARAMETER_BOOLEAN, "TRUE", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(parameter_value_normalize(PARAMETER_BOOLEAN, "0", out, sizeof(out)), 0);
	assert_string_equal(out, "0");
	assert_int_equal(parameter_value_normalize(PARAMETER_BOOLEAN, "yes", out, sizeof(out)), -EINVAL);
	assert_int_equal(parameter_value_normalize(PARAMETER_UNSIGNED_INT, "007", out, sizeof(out)), 0);
	assert_string_equal(out, "7");
	assert_int_equal(parameter_value_normalize(PARAMETER_UNSIGNED_INT, "4294967295", out, sizeof(out)), 0);
	assert_int_equal(parameter_value_normalize(PARAMETER_UNSIGNED_INT, "4294967296", out, sizeof(out)), -EINVAL);
	assert_int_equal(parameter_value_normalize(PARAMETER_UNSIGNED_INT, "-1", out, sizeof(out)), -EINVAL);
	assert_int_equal(parameter_value_normalize(PARAMETER_UNSIGNED_INT, "", out, sizeof(out)), -EINVAL);
	assert_int_equal(parameter_value_normalize(PARAMETER_UNSIGNED_LONG, "18446744073709551615", out, sizeof(out)),
			 0);
	assert_int_equal(parameter_value_normalize(PARAMETER_UNSIGNED_LONG, "18446744073709551616", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(parameter_value_normalize(PARAMETER_INT, "-2147483648", out, sizeof(out)), 0);
	assert_string_equal(out, "-2147483648");
	assert_int_equal(parameter_value_normalize(PARAMETER_INT, "2147483648", out, sizeof(out)), -EINVAL);
	assert_int_equal(parameter_value_normalize(PARAMETER_DATE_TIME, "2026-01-02T03:04:05Z", out, sizeof(out)), 0);
	assert_int_equal(parameter_value_normalize(PARAMETER_DATE_TIME, "2026-13-02T03:04:05Z", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(parameter_value_normalize(PARAMETER_STRING, "line\nbreak", out, sizeof(out)), -EINVAL);
}

static void test_data_model_validators(void **state)
{
	(void)state;
	assert_int_equal(data_model_validate_url("", NULL), 0);
	assert_int_equal(data_model_validate_url("http://10.0.0.1:8080/images/fw.bin?group=2", NULL), 0);
	assert_int_equal(data_model_validate_url("HTTPS://master/x", NULL), 0);
	assert_int_equal(data_model_validate_url("ftp://master/x", NULL), -EINVAL);
	assert_int_equal(data_model_validate_url("http://a b/", NULL), -EINVAL);
	assert_int_equal(data_model_validate_sha256("", NULL), 0);
	assert_int_equal(data_model_validate_sha256(
				 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", NULL),
			 0);
	assert_int_equal(data_model_validate_sha256("e3b0", NULL), -EINVAL);
	assert_int_equal(data_model_validate_sha256(
				 "z3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_values_by_name_and_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_values_applies_all_and_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_values_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_save_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persisted_values_win_over_config, setup, teardown),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_data_model_validators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
