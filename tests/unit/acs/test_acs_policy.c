/* Unit tests for cascade-acs's grouping and election policies, the hash
 * table and the config file parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acs/config.h"
#include "acs/hashmap.h"
#include "acs/model.h"
#include "common/clock.h"

static struct device *add_device(struct controller *controller, const char *serial, const char *software,
				 const char *occupancy, const char *bandwidth, bool file_server)
{
	struct cwmp_device_id identity = { "Acme", "00AA11", "GW", serial };
	struct cwmp_parameter_value parameters[] = {
		{ "Device.DeviceInfo.HardwareVersion", "hw1", NULL },
		{ "Device.DeviceInfo.SoftwareVersion", software, NULL },
		{ "Device.X_CASCADE_CPUOccupancy", occupancy, NULL },
		{ "Device.X_CASCADE_Bandwidth", bandwidth, NULL },
		{ "Device.X_CASCADE_FileServer.Enable", file_server ? "1" : "0", NULL },
		{ "Device.X_CASCADE_FileServer.URL", "http://10.0.0.1:8080", NULL },
		{ "Device.X_CASCADE_CacheSize", "1000000", NULL },
	};
	struct device *device = device_create(controller, 0, &identity);

	assert_non_null(device);
	device_apply_parameters(device, parameters, sizeof(parameters) / sizeof(parameters[0]));
	device->last_inform = realtime_seconds();
	policy_assign_group(controller, device);
	return device;
}

static void test_grouping_and_partitions(void **state)
{
	struct acs_config config;
	struct controller controller;
	struct device *a, *b, *c, *d;
	char key[256];

	(void)state;
	acs_config_defaults(&config);
	config.max_group_size = 2;
	assert_int_equal(controller_init(&controller, &config), 0);
	a = add_device(&controller, "A", "1.0", "100", "10", true);
	b = add_device(&controller, "B", "1.0", "200", "10", true);
	c = add_device(&controller, "C", "1.0", "300", "10", true);
	d = add_device(&controller, "D", "2.0", "300", "10", true);
	policy_group_key(&config, a, key, sizeof(key));
	assert_string_equal(key, "manufacturer=Acme|hardware_version=hw1|software_version=1.0");
	assert_ptr_equal(a->group, b->group);
	assert_ptr_not_equal(a->group, c->group); /* split: at most 2 per group */
	assert_string_equal(c->group->key, "manufacturer=Acme|hardware_version=hw1|software_version=1.0#2");
	assert_ptr_not_equal(c->group, d->group);
	/* an upgrade moves a device to its new version's group */
	c->software_version[0] = '2';
	assert_true(policy_assign_group(&controller, c));
	assert_ptr_equal(c->group, d->group);
	assert_false(policy_assign_group(&controller, c));
	assert_int_equal(d->group->count, 2);
	controller_destroy(&controller);
}

static void test_election(void **state)
{
	struct acs_config config;
	struct controller controller;
	struct device *busy, *idle, *idle_fast, *no_server, *stale;

	(void)state;
	acs_config_defaults(&config);
	config.election_max_occupancy = 5000;
	assert_int_equal(controller_init(&controller, &config), 0);
	busy = add_device(&controller, "BUSY", "1.0", "6000", "100", true);
	idle = add_device(&controller, "IDLE", "1.0", "100", "100", true);
	idle_fast = add_device(&controller, "FAST", "1.0", "100", "900", true);
	no_server = add_device(&controller, "NOFS", "1.0", "0", "900", false);
	stale = add_device(&controller, "OLD", "1.0", "0", "900", true);
	stale->last_inform = realtime_seconds() - 7200;
	assert_false(policy_eligible(&controller.config, busy, 0, realtime_seconds()));
	assert_false(policy_eligible(&controller.config, no_server, 0, realtime_seconds()));
	assert_false(policy_eligible(&controller.config, stale, 0, realtime_seconds()));
	assert_false(policy_eligible(&controller.config, idle, 2000000, realtime_seconds())); /* cache too small */
	assert_true(policy_eligible(&controller.config, idle, 1000, realtime_seconds()));
	/* lowest occupancy wins, ties go to the larger bandwidth */
	assert_ptr_equal(policy_elect(&controller, idle->group, 0), idle_fast);
	assert_true(policy_compare(idle_fast, idle) < 0);
	assert_true(policy_compare(idle, busy) < 0);
	controller_destroy(&controller);
}

/* A sitting master stays until a challenger is less busy by the
 * [election] hysteresis margin: 17.12% against 17.42% does not flip it. */
static void test_election_hysteresis(void **state)
{
	struct acs_config config;
	struct controller controller;
	struct device *sitting, *challenger, *busy, *no_server;
	char why[320];

	(void)state;
	acs_config_defaults(&config);
	assert_int_equal(config.election_hysteresis, 200); /* 2 points by default */
	assert_int_equal(controller_init(&controller, &config), 0);
	sitting = add_device(&controller, "SIT", "1.0", "1742", "100", true);
	challenger = add_device(&controller, "NEW", "1.0", "2500", "900", true);
	busy = add_device(&controller, "HOT", "1.0", "9000", "900", true);
	no_server = add_device(&controller, "NOFS", "1.0", "0", "900", false);
	assert_ptr_equal(policy_elect(&controller, sitting->group, 0), sitting);
	assert_ptr_equal(sitting->group->master, sitting);

	challenger->cpu_occupancy = 1712; /* 0.30 points less busy: not enough */
	assert_true(policy_compare(challenger, sitting) < 0);
	assert_false(policy_displaces(&controller.config, challenger, sitting));
	assert_ptr_equal(policy_elect(&controller, sitting->group, 0), sitting);
	policy_explain(&controller.config, sitting, sitting, challenger, true, why, sizeof(why));
	assert_non_null(strstr(why, "the sitting master (17.42%) stays"));
	assert_non_null(strstr(why, "2.00-point margin"));
	policy_explain(&controller.config, challenger, sitting, challenger, true, why, sizeof(why));
	assert_non_null(strstr(why, "passed over: ranks before the sitting master (17.12% against 17.42%)"));
	/* a tie on occupancy won on bandwidth does not move a master either */
	challenger->cpu_occupancy = 1742;
	assert_ptr_equal(policy_elect(&controller, sitting->group, 0), sitting);

	challenger->cpu_occupancy = 1542; /* exactly the margin: it takes over */
	assert_true(policy_displaces(&controller.config, challenger, sitting));
	assert_ptr_equal(policy_elect(&controller, sitting->group, 0), challenger);
	sitting->cpu_occupancy = 1600; /* and the old master now needs the margin to come back */
	assert_ptr_equal(policy_elect(&controller, sitting->group, 0), challenger);
	policy_explain(&controller.config, sitting, challenger, sitting, true, why, sizeof(why));
	assert_non_null(strstr(why, "passed over: busier (16.00%) than the master (15.42%)"));

	/* a sitting master that is no longer eligible is replaced at once */
	challenger->cpu_occupancy = 8500;
	assert_ptr_equal(policy_elect(&controller, sitting->group, 0), sitting);
	assert_false(policy_check_eligible(&controller.config, busy, 0, realtime_seconds(), why, sizeof(why)));
	assert_string_equal(why, "its CPU occupancy 90.00% is over the limit 80.00%");
	assert_false(policy_check_eligible(&controller.config, no_server, 0, realtime_seconds(), why, sizeof(why)));
	assert_string_equal(why, "its file server is not enabled");
	assert_false(policy_check_eligible(&controller.config, sitting, 2000000, realtime_seconds(), why, sizeof(why)));
	assert_string_equal(why, "its cache (1000000 bytes) is smaller than the image (2000000 bytes)");

	/* without hysteresis the best candidate always wins */
	controller.config.election_hysteresis = 0;
	challenger->cpu_occupancy = 1590;
	assert_ptr_equal(policy_elect(&controller, sitting->group, 0), challenger);
	controller_destroy(&controller);
}

static void test_attributes_from_both_roots(void **state)
{
	struct acs_config config;
	struct controller controller;
	struct cwmp_device_id identity = { "Acme", "00AA11", "IGD", "T98" };
	struct cwmp_parameter_value standard[] = {
		{ "InternetGatewayDevice.DeviceInfo.SoftwareVersion", "3.1", NULL },
		{ "InternetGatewayDevice.DeviceInfo.ProcessStatus.CPUUsage", "37", NULL },
		{ "InternetGatewayDevice.DeviceInfo.MemoryStatus.Free", "2048", NULL },
		{ "InternetGatewayDevice.ManagementServer.ConnectionRequestURL", "http://1.2.3.4/cr", NULL },
	};
	struct cwmp_parameter_value cascade[] = { { "InternetGatewayDevice.X_CASCADE_CPUOccupancy", "1234", NULL } };
	struct device *device;

	(void)state;
	acs_config_defaults(&config);
	assert_int_equal(controller_init(&controller, &config), 0);
	device = device_create(&controller, 0, &identity);
	assert_false(parameters_have_attributes(standard, 1));
	assert_true(parameters_have_attributes(standard, 2));
	device_apply_parameters(device, standard, 4);
	assert_string_equal(device->root, "InternetGatewayDevice.");
	assert_string_equal(device->software_version, "3.1");
	assert_int_equal(device->cpu_occupancy, 3700);
	assert_true(device->cache_size == 2048 * 1024);
	assert_string_equal(device->connection_request_url, "http://1.2.3.4/cr");
	assert_false(device->cascade_capable);
	device_apply_parameters(device, cascade, 1);
	assert_int_equal(device->cpu_occupancy, 1234);
	assert_true(device->cascade_capable);
	assert_ptr_equal(device_find(&controller, "00AA11-IGD-T98"), device);
	assert_null(device_create(&controller, device->id, &identity)); /* same id twice */
	controller_destroy(&controller);
}

static void test_hashmap(void **state)
{
	struct hashmap map;
	char keys[3000][16];

	(void)state;
	assert_int_equal(hashmap_init(&map, 4), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
		assert_int_equal(hashmap_put(&map, keys[i], (void *)(intptr_t)(i + 1)), 0);
	}
	assert_int_equal(map.count, 3000);
	for (int i = 0; i < 3000; i += 2)
		assert_ptr_equal(hashmap_remove(&map, keys[i]), (void *)(intptr_t)(i + 1));
	for (int i = 0; i < 3000; i++)
		assert_ptr_equal(hashmap_get(&map, keys[i]), i % 2 ? (void *)(intptr_t)(i + 1) : NULL);
	assert_null(hashmap_remove(&map, "absent"));
	assert_int_equal(map.count, 1500);
	/* a walk sees each live entry once, with its key, and no tombstone */
	{
		static bool seen[3000];
		size_t cursor = 0, walked = 0;
		const char *key;
		void *value;

		while ((value = hashmap_next(&map, &cursor, &key)) != NULL) {
			int index = (int)(intptr_t)value - 1;

			assert_true(index % 2 == 1 && !seen[index]);
			assert_ptr_equal(key, keys[index]);
			seen[index] = true;
			walked++;
		}
		assert_int_equal(walked, 1500);
		assert_null(hashmap_next(&map, &cursor, &key));
	}
	hashmap_destroy(&map);
}

static void test_config_file(void **state)
{
	char path[] = "/tmp/cascade-acs-config-XXXXXX";
	struct acs_config config;
	unsigned int keys;
	int fd = mkstemp(path);
	FILE *file = fdopen(fd, "w");

	(void)state;
	fprintf(file, "[acs]\ncwmp = 127.0.0.1:0\nthreads = 3\ndb_synchronous = normal\n"
		      "[auth]\nmode = digest\n[grouping]\nkeys = oui, location\nmax_group_size = 50\n"
		      "[election]\nmax_occupancy = 7000\nhysteresis = 50\n[campaign]\nstall_timeout = 90s\nfanout = 8\n");
	fclose(file);
	acs_config_defaults(&config);
	assert_int_equal(acs_config_load(&config, path), 0);
	assert_string_equal(config.cwmp_address, "127.0.0.1:0");
	assert_int_equal(config.threads, 3);
	assert_false(config.db_synchronous_full);
	assert_int_equal(config.auth_mode, ACS_AUTH_DIGEST);
	assert_int_equal(config.group_keys, GROUP_KEY_OUI | GROUP_KEY_LOCATION);
	assert_int_equal(config.max_group_size, 50);
	assert_int_equal(config.election_max_occupancy, 7000);
	assert_int_equal(config.election_hysteresis, 50);
	assert_true(config.stall_timeout_ms == 90000);
	assert_int_equal(config.default_fanout, 8);
	acs_config_defaults(&config);
	assert_true(config.db_synchronous_full); /* WAL + FULL by default */
	file = fopen(path, "w");
	fprintf(file, "[acs]\ndb_synchronous = normal\n");
	fclose(file);
	assert_int_equal(acs_config_load(&config, path), 0);
	assert_false(config.db_synchronous_full);
	file = fopen(path, "w");
	fprintf(file, "[acs]\ndb_synchronous = sometimes\n");
	fclose(file);
	assert_int_equal(acs_config_load(&config, path), -EINVAL);
	file = fopen(path, "w");
	fprintf(file, "[campaign]\nfanout = zero\n");
	fclose(file);
	assert_int_equal(acs_config_load(&config, path), -EINVAL);
	/* the settings for stock devices (docs/interop.md) */
	acs_config_defaults(&config);
	assert_int_equal(config.probe_style, ACS_PROBE_LEAF);
	assert_int_equal(config.digest_algorithm_count, 2);
	assert_int_equal(config.digest_algorithms[0], DIGEST_MD5);
	file = fopen(path, "w");
	fprintf(file, "[acs]\nprobe = partial\nprobe_retry = 2m\n[auth]\nmode = digest, basic\n"
		      "digest_algorithms = SHA-256\nnonce_lifetime = 1m\nnonces = 100\n[campaign]\noverdue_factor = 3\n"
		      "overdue_minimum = 5s\nassumed_rate = 2M\n");
	fclose(file);
	assert_int_equal(acs_config_load(&config, path), 0);
	assert_int_equal(config.probe_style, ACS_PROBE_PARTIAL);
	assert_true(config.probe_retry_ms == 120000);
	assert_int_equal(config.auth_mode, ACS_AUTH_DIGEST | ACS_AUTH_BASIC);
	assert_int_equal(config.digest_algorithm_count, 1);
	assert_int_equal(config.digest_algorithms[0], DIGEST_SHA256);
	assert_true(config.digest_nonce_lifetime_ms == 60000);
	assert_int_equal(config.digest_nonces, 100);
	assert_int_equal(config.overdue_factor, 3);
	assert_true(config.overdue_minimum_ms == 5000 && config.assumed_rate == 2u << 20);
	static const char *const refused[] = { "[acs]\nprobe = sometimes\n", "[auth]\nmode = digest, token\n",
					       "[auth]\ndigest_algorithms = SHA-1\n", "[auth]\nnonces = 1\n",
					       "[campaign]\noverdue_factor = 0\n" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		file = fopen(path, "w");
		fprintf(file, "%s", refused[i]);
		fclose(file);
		assert_int_equal(acs_config_load(&config, path), -EINVAL);
	}
	unlink(path);
	assert_int_equal(acs_config_load(&config, path), -ENOENT);
	assert_int_equal(acs_config_parse_group_keys("software_version", &keys), 0);
	assert_int_equal(keys, GROUP_KEY_SOFTWARE_VERSION);
	assert_int_equal(acs_config_parse_group_keys("", &keys), -EINVAL);
	assert_int_equal(acs_config_parse_group_keys("serial", &keys), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouping_and_partitions),
		cmocka_unit_test(test_election),
		cmocka_unit_test(test_election_hysteresis),
		cmocka_unit_test(test_attributes_from_both_roots),
		cmocka_unit_test(test_hashmap),
		cmocka_unit_test(test_config_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
