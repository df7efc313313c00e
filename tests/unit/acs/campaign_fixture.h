/* A controller with eight devices in one group, for the campaign unit
 * tests (included by test_acs_*.c): devices 0 and 1 can serve (0 is the
 * idler), 2..6 are cascade slaves, 7 a stock device; max_failed_masters and
 * max_attempts are 2. Helpers start a campaign (the master alone serving
 * its slaves; the tree's tests choose their own), run a device's queued
 * RPCs as a session would, and report a TransferComplete; the store tests'
 * setup and teardown make and remove their database file. */
#ifndef CASCADE_TEST_CAMPAIGN_FIXTURE_H
#define CASCADE_TEST_CAMPAIGN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
	struct controller controller;
	struct store_batch *batch;
	struct device *devices[8];
};

static inline struct device *add_device(struct controller *controller, int index, bool cascade,
					bool file_server, unsigned int occupancy)
{
	char serial[16], occupancy_text[16], url[64];
	struct cwmp_device_id identity = { "Acme", "00AA11", "GW", serial };
	struct cwmp_parameter_value parameters[] = {
		{ "Device.DeviceInfo.HardwareVersion", "hw1", NULL },
		{ "Device.DeviceInfo.SoftwareVersion", "1.0", NULL },
		{ "Device.X_CASCADE_CPUOccupancy", occupancy_text, NULL },
		{ "Device.X_CASCADE_FileServer.Enable", file_server ? "1" : "0", NULL },
		{ "Device.X_CASCADE_FileServer.URL", url, NULL },
	};
	struct device *device;

	snprintf(serial, sizeof(serial), "S%d", index);
	snprintf(occupancy_text, sizeof(occupancy_text), "%u", occupancy);
	snprintf(url, sizeof(url), "http://10.0.0.%d:8080/", index);
	device = device_create(controller, 0, &identity);
	assert_non_null(device);
	device_apply_parameters(device, parameters, cascade ? 5 : 2);
	device->last_inform = realtime_seconds();
	policy_assign_group(controller, device);
	return device;
}

static inline int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));
	struct acs_config config;

	acs_config_defaults(&config);
	config.max_failed_masters = 2;
	config.max_attempts = 2;
	controller_init(&fixture->controller, &config);
	/* 0 and 1 can serve (0 is idler), 2..6 cascade slaves, 7 a stock device */
	fixture->devices[0] = add_device(&fixture->controller, 0, true, true, 100);
	fixture->devices[1] = add_device(&fixture->controller, 1, true, true, 200);
	for (int i = 2; i < 7; i++)
		fixture->devices[i] = add_device(&fixture->controller, i, true, false, 300);
	fixture->devices[7] = add_device(&fixture->controller, 7, false, false, 0);
	fixture->batch = store_batch_new();
	*state = fixture;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *fixture = *state;

	store_batch_free(fixture->batch);
	controller_destroy(&fixture->controller);
	free(fixture);
	return 0;
}

/* Removes a test database with its WAL and shared-memory files. */
static inline void remove_database(const char *path)
{
	char wal[64], shm[64];

	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(path);
	unlink(wal);
	unlink(shm);
}

/* The store tests' database: a fresh file in /tmp made by database_setup and
 * removed, with its WAL and shared-memory files, by database_teardown, which
 * cmocka runs even when the test failed. */
static char database[40];

static inline int database_setup(void **state)
{
	int fd;

	snprintf(database, sizeof(database), "/tmp/cascade-acs-store-XXXXXX");
	fd = mkstemp(database);
	if (fd < 0)
		return -1;
	close(fd);
	return setup(state);
}

static inline int database_teardown(void **state)
{
	remove_database(database);
	return teardown(state);
}

static inline struct campaign *start(struct fixture *fixture, enum campaign_mode mode, unsigned int fanout)
{
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://origin:8081/fw.bin", .sha256 = SHA,
					    .image_size = 1000, .mode = mode, .fanout = fanout,
					    .sources = SOURCES_MASTER };
	struct campaign *campaign;
	char error[128];

	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)), 0);
	return campaign;
}

/* Runs the device's queued RPCs like a session would; returns the Download URL. */
static inline const char *run_rpcs(struct fixture *fixture, struct device *device,
				   struct cwmp_message *message, struct rpc_scratch *scratch,
				   int *set_parameter_count)
{
	enum awaiting awaiting;

	*set_parameter_count = 0;
	memset(message, 0, sizeof(*message));
	awaiting = campaign_next_rpc(&fixture->controller, device, message, scratch);
	if (awaiting == AWAIT_SET_PARAMETERS) {
		*set_parameter_count = (int)message->body.set_parameter_values.parameter_count;
		campaign_on_set_parameters_done(&fixture->controller, device, false, fixture->batch);
		memset(message, 0, sizeof(*message));
		awaiting = campaign_next_rpc(&fixture->controller, device, message, scratch);
	}
	if (awaiting != AWAIT_DOWNLOAD)
		return NULL;
	campaign_on_download_response(&fixture->controller, device, 1, fixture->batch);
	assert_int_equal(campaign_next_rpc(&fixture->controller, device, message, scratch), AWAIT_NOTHING);
	return message->body.download.url;
}

static inline void transfer_complete(struct fixture *fixture, struct device *device, unsigned int fault)
{
	struct cwmp_transfer_complete transfer = { NULL, { fault, "" }, "", "" };
	char key[64];

	snprintf(key, sizeof(key), "cascade-c%u-d%u-a%u", device->member->group->campaign->id, device->id,
		 device->member->attempts);
	transfer.command_key = key;
	campaign_on_transfer_complete(&fixture->controller, device, &transfer, fixture->batch);
}

#endif
