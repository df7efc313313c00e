/* Unit tests for cascade-cpe's settings: every kind of key from text, bad
 * values refused with a message, the combination checks, the config file
 * (line numbers in errors) and flags winning over the file. */
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
#include "cpe/config.h"

static void test_keys(void **state)
{
	struct cpe_config config;
	char error[512];

	(void)state;
	cpe_config_defaults(&config);
	assert_int_equal(cpe_config_set(&config, "acs", "http://127.0.0.1:7547/", error, sizeof(error)), 0);
	assert_int_equal(cpe_config_set(&config, "periodic_interval", "90s", error, sizeof(error)), 0);
	assert_int_equal(config.periodic_interval_ms, 90000);
	assert_int_equal(cpe_config_set(&config, "cache-size", "512M", error, sizeof(error)), 0);
	assert_int_equal(config.cache_size, 512ull << 20);
	assert_int_equal(cpe_config_set(&config, "root", "InternetGatewayDevice", error, sizeof(error)), 0);
	assert_string_equal(config.root, "InternetGatewayDevice.");
	assert_int_equal(cpe_config_set(&config, "cpu-meter", "proc", error, sizeof(error)), 0);
	assert_int_equal(config.cpu_meter, CPE_CPU_METER_PROC);
	assert_int_equal(cpe_config_set(&config, "auth", "digest", error, sizeof(error)), 0);
	assert_int_equal(config.auth, CPE_AUTH_DIGEST);
	assert_int_equal(cpe_config_set(&config, "cwmp-version", "1.0", error, sizeof(error)), 0);
	assert_int_equal(config.cwmp_version, CWMP_VERSION_1_0);
	assert_int_equal(cpe_config_set(&config, "connection-request", "[::1]:0", error, sizeof(error)), 0);
	assert_int_equal(cpe_config_set(&config, "serial", "SN-9", error, sizeof(error)), 0);
	assert_string_equal(config.serial, "SN-9");
	assert_int_equal(cpe_config_set(&config, "bandwidth", "100000", error, sizeof(error)), 0);
	assert_int_equal(config.bandwidth_kbps, 100000);

	assert_int_equal(cpe_config_set(&config, "acs", "ftp://x/", error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "acs"));
	assert_int_equal(cpe_config_set(&config, "periodic-interval", "0", error, sizeof(error)), -EINVAL);
	assert_int_equal(cpe_config_set(&config, "periodic-jitter", "80", error, sizeof(error)), -EINVAL);
	assert_int_equal(cpe_config_set(&config, "cpu-meter", "kprobe", error, sizeof(error)), -EINVAL);
	assert_int_equal(cpe_config_set(&config, "connection-request", "localhost", error, sizeof(error)), -EINVAL);
	assert_int_equal(cpe_config_set(&config, "max-image-size", "0", error, sizeof(error)), -EINVAL);
	assert_int_equal(cpe_config_set(&config, "no-such-key", "1", error, sizeof(error)), -ENOENT);
	assert_non_null(strstr(error, "no-such-key"));
	assert_int_equal(config.periodic_interval_ms, 90000); /* untouched by the failures */
}

static void test_validate(void **state)
{
	struct cpe_config config;
	char error[512];

	(void)state;
	cpe_config_defaults(&config);
	assert_int_equal(cpe_config_validate(&config, error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "--acs"));
	cpe_config_set(&config, "acs", "http://acs/", error, sizeof(error));
	cpe_config_set(&config, "data-dir", "/tmp/x", error, sizeof(error));
	cpe_config_set(&config, "serial", "S", error, sizeof(error));
	assert_int_equal(cpe_config_validate(&config, error, sizeof(error)), 0);
	assert_false(cpe_config_is_master(&config));
	cpe_config_set(&config, "file-server-url", "http://127.0.0.1:8080", error, sizeof(error));
	assert_int_equal(cpe_config_validate(&config, error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "--image-dir"));
	cpe_config_set(&config, "image-dir", "/srv/images", error, sizeof(error));
	assert_int_equal(cpe_config_validate(&config, error, sizeof(error)), 0);
	assert_true(cpe_config_is_master(&config));
	cpe_config_set(&config, "connection-request", "127.0.0.1:0", error, sizeof(error));
	assert_int_equal(cpe_config_validate(&config, error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "connection-request-username"));
}

static void test_file_and_flags(void **state)
{
	static const char good[] = "; a cascade-cpe config\n"
				   "acs = http://127.0.0.1:7547/\n"
				   "[cpe]\n"
				   "data_dir = /tmp/cpe-config-test\n"
				   "serial = FROM-FILE\n"
				   "periodic-interval = 10m\n";
	static const char bad[] = "acs = http://127.0.0.1:7547/\n"
				  "serial = S\n"
				  "periodic-interval = soon\n";
	char path[] = "/tmp/cpe-unit-config.XXXXXX", config_flag[64];
	char *argv[] = { "cascade-cpe", config_flag, "--serial", "FROM-FLAG", NULL };
	struct cpe_config config;
	char error[700];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(atomic_write_file(path, good, sizeof(good) - 1, 0600), 0);
	cpe_config_defaults(&config);
	assert_int_equal(cpe_config_load_file(&config, path, error, sizeof(error)), 0);
	assert_string_equal(config.serial, "FROM-FILE");
	assert_int_equal(config.periodic_interval_ms, 600000);

	snprintf(config_flag, sizeof(config_flag), "--config=%s", path);
	cpe_config_defaults(&config);
	assert_int_equal(cpe_config_from_arguments(&config, 4, argv), 0);
	assert_string_equal(config.serial, "FROM-FLAG");
	assert_string_equal(config.data_dir, "/tmp/cpe-config-test");

	assert_int_equal(atomic_write_file(path, bad, sizeof(bad) - 1, 0600), 0);
	cpe_config_defaults(&config);
	assert_int_equal(cpe_config_load_file(&config, path, error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, ":3:"));
	assert_non_null(strstr(error, "periodic-interval"));
	unlink(path);
	assert_int_equal(cpe_config_load_file(&config, path, error, sizeof(error)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_file_and_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
