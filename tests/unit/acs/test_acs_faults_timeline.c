/* Unit tests for what the console reads from SQLite: faults with their
 * campaign and cleared mark (counted per device, and again after a
 * restart), and the devices' timelines, bounded to [acs] device-events
 * rows each. Through a real store (WAL) and its read-only connection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "acs/campaign.h"
#include "acs/device_events.h"
#include "acs/faults.h"
#include "acs/store.h"
#include "acs/store_queries.h"
#include "common/clock.h"
#include "campaign_fixture.h"

static void on_committed(void *argument, int result)
{
	__atomic_store_n((int *)argument, result, __ATOMIC_RELEASE);
}

/* Submits the fixture's batch and waits (bounded) for its commit. */
static int commit(struct fixture *fixture, struct store *store)
{
	int result = 1;

	store_submit(store, fixture->batch, on_committed, &result);
	fixture->batch = store_batch_new();
	for (int waited = 0; waited < 3000 && __atomic_load_n(&result, __ATOMIC_ACQUIRE) == 1; waited++)
		usleep(10000);
	return __atomic_load_n(&result, __ATOMIC_ACQUIRE);
}

static void count_visit(uint32_t device_id, uint32_t count, void *context)
{
	uint32_t *counts = context;

	if (device_id < 8)
		counts[device_id] = count;
}

static void test_faults_and_timeline(void **state)
{
	struct fixture *fixture = *state;
	struct controller *controller = &fixture->controller;
	struct device *one = fixture->devices[1], *two = fixture->devices[2];
	struct fault_filter filter = { 0 };
	struct controller reloaded;
	uint32_t counts[8] = { 0 };
	uint64_t highest = 0;
	struct store *store;
	json_t *rows;
	size_t total;

	controller->config.device_events = 3;
	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_start(store), 0);
	for (int i = 0; i < 8; i++)
		store_batch_device(store, fixture->batch, fixture->devices[i]);
	fault_record(controller, one, 4, 9010, "Download failure", "TransferComplete", fixture->batch);
	fault_record(controller, one, 0, 9005, "Invalid parameter name", "GetParameterValues", fixture->batch);
	fault_record(controller, two, 4, 9010, "Download failure", "TransferComplete", fixture->batch);
	for (int i = 0; i < 5; i++)
		device_event(controller, one, DEVICE_EVENT_INFORM, 0, fixture->batch, "Inform %d", i);
	assert_int_equal(one->open_faults, 2);
	assert_int_equal(one->last_fault_code, 9005);
	assert_true(one->event_sequence == 7); /* two fault rows, five Informs */
	assert_int_equal(commit(fixture, store), 0);

	/* the timeline keeps the newest three, newest first */
	assert_int_equal(store_device_events(store, one->id, 10, &rows), 0);
	assert_int_equal(json_array_size(rows), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "sequence")), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "detail")), "Inform 4");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 2), "kind")), "inform");
	json_decref(rows);

	/* faults by device and by campaign, newest first */
	filter.device_id = one->id;
	assert_int_equal(store_faults(store, &filter, 0, 10, &rows, &total), 0);
	assert_int_equal(total, 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "code")), 9005);
	assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "campaign")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 1), "campaign")), 4);
	json_decref(rows);
	memset(&filter, 0, sizeof(filter));
	filter.campaign_id = 4;
	assert_int_equal(store_open_fault_counts(store, &filter, count_visit, counts, &highest), 0);
	assert_int_equal(counts[one->id], 1);
	assert_int_equal(counts[two->id], 1);
	assert_true(highest == 3);

	/* clearing campaign 4's faults up to the highest counted leaves the others open */
	filter.up_to_id = highest;
	store_batch_fault_clear(fixture->batch, &filter);
	assert_int_equal(commit(fixture, store), 0);
	memset(&filter, 0, sizeof(filter));
	assert_int_equal(store_faults(store, &filter, 0, 10, &rows, &total), 0);
	assert_int_equal(total, 1);
	json_decref(rows);
	filter.cleared = 1;
	assert_int_equal(store_faults(store, &filter, 0, 10, &rows, &total), 0);
	assert_int_equal(total, 2);
	assert_true(json_integer_value(json_object_get(json_array_get(rows, 0), "cleared_at")) > 0);
	json_decref(rows);
	store_close(store);

	/* a restart counts the open faults and continues each timeline */
	controller_init(&reloaded, &controller->config);
	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_load(store, &reloaded), 0);
	assert_int_equal(device_by_id(&reloaded, one->id)->open_faults, 1);
	assert_int_equal(device_by_id(&reloaded, two->id)->open_faults, 0);
	assert_true(device_by_id(&reloaded, one->id)->event_sequence == 7);
	assert_true(device_by_id(&reloaded, two->id)->event_sequence == 1);
	store_close(store);
	controller_destroy(&reloaded);
}

/* Timeline rows never hold a reply back; every other row does. */
static void test_events_need_no_wait(void **state)
{
	struct fixture *fixture = *state;

	fixture->controller.config.device_events = 10;
	device_event(&fixture->controller, fixture->devices[0], DEVICE_EVENT_RPC, 0, fixture->batch, "Download");
	assert_false(store_batch_empty(fixture->batch));
	assert_false(store_batch_must_wait(fixture->batch));
	store_batch_device(NULL, fixture->batch, fixture->devices[0]);
	assert_true(store_batch_must_wait(fixture->batch));
	fixture->controller.config.device_events = 0; /* off: nothing is written */
	store_batch_free(fixture->batch);
	fixture->batch = store_batch_new();
	device_event(&fixture->controller, fixture->devices[0], DEVICE_EVENT_RPC, 0, fixture->batch, "Download");
	assert_true(store_batch_empty(fixture->batch));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_faults_and_timeline, database_setup, database_teardown),
		cmocka_unit_test_setup_teardown(test_events_need_no_wait, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
