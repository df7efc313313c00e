/* Unit tests for cascade-acs's campaign engine and store, without HTTP:
 * masters first with the origin URL, slaves dispatched with their master's
 * URL and the fan-out cap once it reports TransferComplete, spv mode's
 * SetParameterValues, stock devices' plain Download, failover with bad
 * masters and origin fallback, a master failed only by distinct slaves (and
 * their failures refunded), pause/cancel (running transfers recorded as they
 * end), retries, the report, the sitting master's hysteresis, a save /
 * reload of the whole model through SQLite, and a stopped store refusing
 * late batches. */
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
#include "acs/campaign_report.h"
#include "acs/campaign_retry.h"
#include "acs/store.h"
#include "common/clock.h"
#include "campaign_fixture.h"

#define PIECES "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void test_masters_first_then_slaves(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 2);
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;
	const char *url;

	assert_int_equal(campaign->member_count, 8);
	assert_int_equal(campaign->group_count, 1);
	assert_ptr_equal(campaign->groups[0].master->device, fixture->devices[0]);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	/* a slave gets nothing before its master is done */
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[3], &message, &scratch), AWAIT_NOTHING);
	url = run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	assert_string_equal(url, "http://origin:8081/fw.bin");
	assert_int_equal(set_count, 1); /* ImageSHA256 only */
	assert_int_equal(campaign->counts[MEMBER_DOWNLOADING], 1);
	transfer_complete(fixture, fixture->devices[0], 0);
	assert_int_equal(fixture->devices[0]->member->state, MEMBER_DONE);
	/* fan-out 2: two slaves dispatched, pointing at the master */
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 2);
	for (int i = 1; i < 8; i++) {
		struct device *device = fixture->devices[i];

		if (device->member->state != MEMBER_QUEUED)
			continue;
		url = run_rpcs(fixture, device, &message, &scratch, &set_count);
		assert_string_equal(url, "http://10.0.0.0:8080/images/fw.bin?group=1");
		transfer_complete(fixture, device, 0);
	}
	/* every completion frees a slot; drain the rest */
	for (int round = 0; round < 10 && campaign->state == CAMPAIGN_RUNNING; round++)
		for (int i = 1; i < 8; i++)
			if (fixture->devices[i]->member->state == MEMBER_QUEUED) {
				url = run_rpcs(fixture, fixture->devices[i], &message, &scratch, &set_count);
				assert_int_equal(set_count, i == 7 ? 0 : 1); /* the stock device gets no SPV */
				transfer_complete(fixture, fixture->devices[i], 0);
			}
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	assert_int_equal(campaign->counts[MEMBER_DONE], 8);
	assert_false(store_batch_empty(fixture->batch));
}

static void test_spv_mode(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_SPV, 8);
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[0], 0);
	/* cascade slave: SPV of the master URL, then a Download with an empty URL */
	memset(&message, 0, sizeof(message));
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[3], &message, &scratch),
			 AWAIT_SET_PARAMETERS);
	assert_int_equal(message.body.set_parameter_values.parameter_count, 2);
	assert_string_equal(message.body.set_parameter_values.parameters[0].name, "Device.X_CASCADE_ImageSHA256");
	assert_string_equal(message.body.set_parameter_values.parameters[0].value, SHA);
	assert_string_equal(message.body.set_parameter_values.parameters[1].name, "Device.X_CASCADE_MasterURL");
	assert_string_equal(message.body.set_parameter_values.parameters[1].value,
			    "http://10.0.0.0:8080/images/fw.bin?group=1");
	campaign_on_set_parameters_done(&fixture->controller, fixture->devices[3], false, fixture->batch);
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[3], &message, &scratch), AWAIT_DOWNLOAD);
	assert_string_equal(message.body.download.url, "");
	assert_string_equal(message.body.download.file_type, CWMP_FILE_TYPE_FIRMWARE);
	assert_true(message.body.download.file_size == 1000);
	/* a device refusing the parameters gets a plain Download with the URL */
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[4], &message, &scratch),
			 AWAIT_SET_PARAMETERS);
	campaign_on_set_parameters_done(&fixture->controller, fixture->devices[4], true, fixture->batch);
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[4], &message, &scratch), AWAIT_DOWNLOAD);
	assert_string_equal(message.body.download.url, "http://10.0.0.0:8080/images/fw.bin?group=1");
	/* the stock device: a standard Download only */
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[7], &message, &scratch), AWAIT_DOWNLOAD);
	assert_string_equal(message.body.download.url, "http://10.0.0.0:8080/images/fw.bin?group=1");
	(void)campaign;
}

static void test_failover_and_fallback(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	struct campaign_group *group = &campaign->groups[0];
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[0], 9010); /* master 0 fails */
	assert_int_equal(group->failed_masters, 1);
	assert_int_equal(group->bad_master_count, 1);
	assert_ptr_equal(group->master->device, fixture->devices[1]);
	assert_int_equal(fixture->devices[1]->member->state, MEMBER_QUEUED);
	assert_int_equal(fixture->devices[0]->member->role, ROLE_SLAVE);
	/* the second master's Download is refused: max_failed_masters reached, origin for all */
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[1], &message, &scratch),
			 AWAIT_SET_PARAMETERS);
	campaign_on_set_parameters_done(&fixture->controller, fixture->devices[1], false, fixture->batch);
	campaign_next_rpc(&fixture->controller, fixture->devices[1], &message, &scratch);
	campaign_on_download_fault(&fixture->controller, fixture->devices[1], 9001, fixture->batch);
	assert_true(group->fallback_origin);
	assert_null(group->master);
	assert_int_equal(group->failed_masters, 2);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 8); /* everyone, from the origin */
	assert_string_equal(run_rpcs(fixture, fixture->devices[5], &message, &scratch, &set_count),
			    "http://origin:8081/fw.bin");
	assert_int_equal(fixture->devices[1]->member->role, ROLE_SLAVE);
}

static void test_busy_master_replaced(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 1);
	struct campaign_group *group = &campaign->groups[0];
	struct cwmp_message message;
	struct rpc_scratch scratch;
	struct device *slave = NULL;
	int set_count;

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[0], 0);
	for (int i = 1; i < 8 && !slave; i++)
		if (fixture->devices[i]->member->state == MEMBER_QUEUED)
			slave = fixture->devices[i];
	assert_non_null(slave);
	run_rpcs(fixture, slave, &message, &scratch, &set_count);
	assert_int_equal(slave->member->source_device_id, fixture->devices[0]->id);
	/* the serving master's Inform reports occupancy over the limit */
	fixture->devices[0]->cpu_occupancy = 9500;
	campaign_on_inform(&fixture->controller, fixture->devices[0], fixture->batch);
	assert_ptr_equal(group->master->device, fixture->devices[1]);
	assert_int_equal(group->bad_master_count, 1);
	assert_int_equal(fixture->devices[0]->member->state, MEMBER_DONE); /* it keeps its own image */
	/* the slave fetching from it was device 1, now the master: re-pointed to the origin */
	assert_ptr_equal(slave, fixture->devices[1]);
	assert_int_equal(slave->member->role, ROLE_MASTER);
	assert_int_equal(slave->member->state, MEMBER_QUEUED);
	assert_string_equal(run_rpcs(fixture, fixture->devices[1], &message, &scratch, &set_count),
			    "http://origin:8081/fw.bin");
	transfer_complete(fixture, fixture->devices[1], 0);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	for (int i = 2; i < 8; i++)
		if (fixture->devices[i]->member->state == MEMBER_QUEUED)
			assert_string_equal(run_rpcs(fixture, fixture->devices[i], &message, &scratch, &set_count),
					    "http://10.0.0.1:8080/images/fw.bin?group=1");
}

/* Fails the slave's current attempt against whatever source it was given. */
static void fail_attempt(struct fixture *fixture, struct device *slave, unsigned int fault)
{
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	assert_int_equal(slave->member->state, MEMBER_QUEUED);
	run_rpcs(fixture, slave, &message, &scratch, &set_count);
	transfer_complete(fixture, slave, fault);
}

static void test_serve_failures_count_distinct_slaves(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	struct campaign_group *group = &campaign->groups[0];
	struct device **devices = fixture->devices;
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	run_rpcs(fixture, devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, devices[0], 0);
	/* one broken slave fails twice (max_attempts 2): its own failure, not the master's */
	fail_attempt(fixture, devices[2], 9010);
	fail_attempt(fixture, devices[2], 9010);
	assert_int_equal(devices[2]->member->state, MEMBER_FAILED);
	assert_int_equal(group->serve_failures, 1);
	fail_attempt(fixture, devices[3], 9018);
	assert_int_equal(group->serve_failures, 2);
	assert_ptr_equal(group->master->device, devices[0]); /* 3 failed downloads, 2 slaves: kept */
	/* the third distinct slave: the master is bad */
	fail_attempt(fixture, devices[4], 9018);
	assert_int_equal(group->bad_master_count, 1);
	assert_ptr_equal(group->master->device, devices[1]);
	/* failures against the bad master were refunded; the failed slave is back */
	assert_int_equal(devices[2]->member->state, MEMBER_PENDING);
	assert_int_equal(devices[2]->member->attempts, 0);
	assert_int_equal(devices[3]->member->attempts, 0);
	assert_int_equal(devices[4]->member->attempts, 0);
	assert_int_equal(campaign->counts[MEMBER_FAILED], 0);
	/* once the new master has the image, they all finish from it */
	run_rpcs(fixture, devices[1], &message, &scratch, &set_count);
	transfer_complete(fixture, devices[1], 0);
	for (int round = 0; round < 10 && campaign->state == CAMPAIGN_RUNNING; round++)
		for (int i = 2; i < 8; i++)
			if (devices[i]->member->state == MEMBER_QUEUED) {
				assert_string_equal(run_rpcs(fixture, devices[i], &message, &scratch, &set_count),
						    "http://10.0.0.1:8080/images/fw.bin?group=1");
				transfer_complete(fixture, devices[i], 0);
			}
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	assert_int_equal(campaign->counts[MEMBER_DONE], 8);
}

static void test_small_group_drops_bad_master(void **state)
{
	struct fixture *fixture = *state;
	struct fixture small = { .batch = fixture->batch };
	struct acs_config config;
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://origin:8081/fw.bin", .sha256 = SHA,
					    .image_size = 1000, .mode = CAMPAIGN_MODE_URL, .fanout = 8 };
	struct campaign *campaign;
	struct device *master, *slave;
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;
	char error[128];

	acs_config_defaults(&config); /* master_serve_failures 3, but the group has one slave */
	controller_init(&small.controller, &config);
	master = add_device(&small.controller, 0, true, true, 100);
	slave = add_device(&small.controller, 1, true, false, 300);
	assert_int_equal(campaign_start(&small.controller, &request, small.batch, &campaign, error, sizeof(error)), 0);
	run_rpcs(&small, master, &message, &scratch, &set_count);
	transfer_complete(&small, master, 0);
	run_rpcs(&small, slave, &message, &scratch, &set_count);
	transfer_complete(&small, slave, 9018);
	assert_true(campaign->groups[0].fallback_origin);
	assert_int_equal(slave->member->state, MEMBER_QUEUED);
	assert_int_equal(slave->member->attempts, 1); /* the failure against the bad master was refunded */
	assert_string_equal(run_rpcs(&small, slave, &message, &scratch, &set_count), "http://origin:8081/fw.bin");
	controller_destroy(&small.controller);
}

static void test_pause_and_cancel(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	struct cwmp_message message;
	struct rpc_scratch scratch;

	assert_int_equal(campaign_control(&fixture->controller, campaign, "pause", fixture->batch), 0);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "pause", fixture->batch), -EALREADY);
	assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[0], &message, &scratch), AWAIT_NOTHING);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "resume", fixture->batch), 0);
	assert_int_not_equal(campaign_next_rpc(&fixture->controller, fixture->devices[0], &message, &scratch),
			     AWAIT_NOTHING);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	assert_int_equal(campaign->state, CAMPAIGN_CANCELLED);
	assert_int_equal(campaign->counts[MEMBER_CANCELLED], 8);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "resume", fixture->batch), -EALREADY);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "explode", fixture->batch), -EINVAL);
	/* a device of a cancelled campaign may join a new one */
	start(fixture, CAMPAIGN_MODE_URL, 8);
	assert_int_equal(fixture->controller.campaigns[1]->member_count, 8);
}

/* Sends the device its RPCs up to the Download, which stays unanswered. */
static void send_download(struct fixture *fixture, struct device *device)
{
	struct cwmp_message message = { 0 };
	struct rpc_scratch scratch;
	enum awaiting awaiting = campaign_next_rpc(&fixture->controller, device, &message, &scratch);

	if (awaiting == AWAIT_SET_PARAMETERS) {
		campaign_on_set_parameters_done(&fixture->controller, device, false, fixture->batch);
		awaiting = campaign_next_rpc(&fixture->controller, device, &message, &scratch);
	}
	assert_int_equal(awaiting, AWAIT_DOWNLOAD);
}

/* Cancel stops what has not started; transfers already running are
 * recorded as they end (done or failed), never as cancelled. */
static void test_cancel_keeps_running_transfers(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 4);
	struct device **devices = fixture->devices;
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	run_rpcs(fixture, devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, devices[0], 0); /* the master has the image: 4 slaves queued */
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 4);
	run_rpcs(fixture, devices[1], &message, &scratch, &set_count); /* downloading */
	run_rpcs(fixture, devices[2], &message, &scratch, &set_count); /* downloading */
	send_download(fixture, devices[3]);                           /* Download sent, not answered yet */
	assert_int_equal(devices[4]->member->state, MEMBER_QUEUED);  /* nothing sent yet */
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	assert_int_equal(campaign->state, CAMPAIGN_CANCELLED);
	assert_true(campaign->finished_ms >= campaign->started_ms && campaign->finished_ms > 0);
	assert_int_equal(campaign->counts[MEMBER_DONE], 1);
	assert_int_equal(campaign->counts[MEMBER_DOWNLOADING], 2);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	assert_int_equal(campaign->counts[MEMBER_CANCELLED], 4);
	assert_int_equal(devices[4]->member->state, MEMBER_CANCELLED);
	assert_int_equal(campaign_next_rpc(&fixture->controller, devices[4], &message, &scratch), AWAIT_NOTHING);
	/* a running device is not taken into a new campaign before it is through */
	start(fixture, CAMPAIGN_MODE_URL, 4);
	assert_int_equal(fixture->controller.campaigns[1]->member_count, 5);
	assert_ptr_equal(devices[1]->member->group->campaign, campaign);

	transfer_complete(fixture, devices[1], 0);
	assert_int_equal(devices[1]->member->state, MEMBER_DONE);
	transfer_complete(fixture, devices[2], 9010);
	assert_int_equal(devices[2]->member->state, MEMBER_FAILED);
	assert_int_equal(devices[2]->member->fault_code, 9010);
	campaign_on_download_response(&fixture->controller, devices[3], 1, fixture->batch);
	assert_int_equal(devices[3]->member->state, MEMBER_DOWNLOADING);
	assert_int_equal(campaign->counts[MEMBER_DONE], 2);
	assert_int_equal(campaign->counts[MEMBER_FAILED], 1);
	assert_int_equal(campaign->counts[MEMBER_CANCELLED], 4);
	assert_int_equal(campaign->state, CAMPAIGN_CANCELLED); /* nothing is sent again, no retry */
	/* one that never reports is cancelled after the stall timeout */
	devices[3]->member->since_ms = monotonic_ms() - fixture->controller.config.stall_timeout_ms - 1;
	campaign_tick(&fixture->controller, fixture->batch);
	assert_int_equal(devices[3]->member->state, MEMBER_CANCELLED);
	assert_int_equal(campaign->counts[MEMBER_CANCELLED], 5);
	assert_int_equal(campaign->counts[MEMBER_DONE] + campaign->counts[MEMBER_FAILED] + campaign->counts[MEMBER_CANCELLED],
			 8);
}

/* A TransferComplete of a cancelled campaign's transfer still counts when
 * the device has joined a newer campaign since (found by its CommandKey). */
static void test_cancelled_transfer_found_by_command_key(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	struct cwmp_transfer_complete transfer = { NULL, { 0, "" }, "", "" };
	struct cwmp_message message;
	struct rpc_scratch scratch;
	char key[64];
	int set_count;

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count); /* the master downloads */
	snprintf(key, sizeof(key), "cascade-c%u-d%u-a%u-s0", campaign->id, fixture->devices[0]->id,
		 fixture->devices[0]->member->attempts);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	fixture->devices[0]->member = NULL; /* as after a restart into a newer campaign */
	transfer.command_key = key;
	campaign_on_transfer_complete(&fixture->controller, fixture->devices[0], &transfer, fixture->batch);
	assert_int_equal(campaign->counts[MEMBER_DONE], 1);
	assert_int_equal(campaign->counts[MEMBER_CANCELLED], 7);
}

/* The operator retries a failed device: back to pending with fresh
 * attempts, and a done campaign runs again. */
static void test_retry_failed_member(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[0], 0);
	for (int attempt = 0; attempt < 2; attempt++) { /* max_attempts 2, a stalling slave fails twice */
		run_rpcs(fixture, fixture->devices[5], &message, &scratch, &set_count);
		fixture->devices[5]->member->since_ms = monotonic_ms() - fixture->controller.config.stall_timeout_ms - 1;
		campaign_tick(&fixture->controller, fixture->batch);
	}
	assert_int_equal(fixture->devices[5]->member->state, MEMBER_FAILED);
	for (int i = 1; i < 8; i++)
		if (i != 5) {
			run_rpcs(fixture, fixture->devices[i], &message, &scratch, &set_count);
			transfer_complete(fixture, fixture->devices[i], 0);
		}
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	assert_true(campaign->finished_ms > 0);
	assert_int_equal(campaign_retry_member(&fixture->controller, fixture->devices[1]->member, fixture->batch),
			 -EALREADY);
	assert_int_equal(campaign_retry_member(&fixture->controller, fixture->devices[5]->member, fixture->batch), 0);
	assert_int_equal(campaign->state, CAMPAIGN_RUNNING);
	assert_int_equal(campaign->finished_ms, 0);
	assert_int_equal(fixture->devices[5]->member->state, MEMBER_QUEUED); /* pumped at once */
	assert_int_equal(fixture->devices[5]->member->attempts, 1);
	run_rpcs(fixture, fixture->devices[5], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[5], 0);
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	assert_int_equal(campaign->counts[MEMBER_DONE], 8);
	assert_int_equal(campaign_control(&fixture->controller, start(fixture, CAMPAIGN_MODE_URL, 8), "cancel",
					  fixture->batch), 0);
	fixture->controller.campaigns[1]->members[0].state = MEMBER_FAILED;
	assert_int_equal(campaign_retry_member(&fixture->controller, &fixture->controller.campaigns[1]->members[0],
					       fixture->batch), -EPERM);
}

/* The report: origin requests against every device going to the origin. */
static void test_report(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	struct cwmp_message message;
	struct rpc_scratch scratch;
	json_t *report, *group;
	int set_count;

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	report = campaign_report_json(&fixture->controller, campaign);
	assert_true(json_is_null(json_object_get(report, "makespan_ms")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(report, "origin"), "requests")), 1);
	json_decref(report);
	transfer_complete(fixture, fixture->devices[0], 0);
	for (int i = 1; i < 8; i++) {
		run_rpcs(fixture, fixture->devices[i], &message, &scratch, &set_count);
		transfer_complete(fixture, fixture->devices[i], i == 6 ? 9010 : 0);
	}
	assert_int_equal(fixture->devices[6]->member->state, MEMBER_QUEUED); /* its second attempt */
	run_rpcs(fixture, fixture->devices[6], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[6], 0);
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	report = campaign_report_json(&fixture->controller, campaign);
	assert_int_equal(json_integer_value(json_object_get(report, "makespan_ms")),
			 (json_int_t)(campaign->finished_ms - campaign->started_ms));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(report, "origin"), "requests")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(report, "origin"), "bytes")), 1000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(report, "origin"), "direct_bytes")), 8000);
	assert_int_equal(json_integer_value(json_object_get(report, "served_by_masters")), 7);
	group = json_array_get(json_object_get(report, "group_details"), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(group, "counts"), "done")), 8);
	assert_string_equal(json_string_value(json_object_get(group, "master")), fixture->devices[0]->key);
	json_decref(report);
}

/* A campaign keeps the group's sitting master unless another member beats
 * it by the hysteresis margin. */
static void test_campaign_keeps_sitting_master(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign;

	/* device 0 (1.00%) is less busy than device 1 (2.00%) by one point, under the default two */
	fixture->devices[0]->group->master = fixture->devices[1];
	campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	assert_ptr_equal(campaign->groups[0].master->device, fixture->devices[1]);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	fixture->devices[1]->cpu_occupancy = 400; /* now beaten by three points */
	campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	assert_ptr_equal(campaign->groups[0].master->device, fixture->devices[0]);
	assert_ptr_equal(fixture->devices[0]->group->master, fixture->devices[0]);
}

static void test_validation(void **state)
{
	struct fixture *fixture = *state;
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://o/fw.bin", .sha256 = SHA, .image_size = 1000,
					    .mode = CAMPAIGN_MODE_URL };
	struct campaign *campaign;
	char error[160];

	request.image_name = "../etc/passwd";
	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "plain file name"));
	request.image_name = "fw.bin";
	request.sha256 = "abc";
	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 -EINVAL);
	request.sha256 = SHA;
	request.group_id = 99;
	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 -ENOENT);
	request.group_id = 0;
	request.selector = "software_version=2.0";
	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)), 0);
	assert_int_equal(campaign->member_count, 0);
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
}

static void test_store_round_trip(void **state)
{
	struct fixture *fixture = *state;
	struct controller reloaded;
	struct campaign *campaign;
	struct store *store;
	struct cwmp_transfer_complete transfer = { "k", { 9010, "Download failure" }, "a", "b" };

	campaign = start(fixture, CAMPAIGN_MODE_SPV, 3);
	assert_non_null(campaign);
	free(campaign->pieces_sha256);
	campaign->pieces_sha256 = strdup(PIECES);
	store_batch_campaign(fixture->batch, campaign);
	for (int i = 0; i < 8; i++)
		store_batch_device(NULL, fixture->batch, fixture->devices[i]);
	store_batch_group(fixture->batch, fixture->devices[0]->group);
	store_batch_fault(fixture->batch, 1, 1, 9010, "Download failure", "Download");
	store_batch_transfer(fixture->batch, 1, &transfer);
	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_start(store), 0);
	store_submit(store, fixture->batch, NULL, NULL);
	fixture->batch = store_batch_new();
	store_close(store);

	controller_init(&reloaded, &fixture->controller.config);
	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_load(store, &reloaded), 0);
	assert_int_equal(reloaded.device_count, 8);
	assert_int_equal(reloaded.group_count, 1);
	assert_int_equal(reloaded.campaign_count, 1);
	assert_string_equal(device_by_id(&reloaded, 1)->file_server_url, "http://10.0.0.0:8080/");
	assert_int_equal(device_by_id(&reloaded, 1)->cpu_occupancy, 100);
	assert_ptr_equal(device_find(&reloaded, "00AA11-GW-S3")->group, group_by_id(&reloaded, 1));
	assert_int_equal(reloaded.campaigns[0]->mode, CAMPAIGN_MODE_SPV);
	assert_string_equal(reloaded.campaigns[0]->pieces_sha256, PIECES);
	assert_string_equal(reloaded.campaigns[0]->signature, "");
	assert_int_equal(reloaded.campaigns[0]->member_count, 8);
	assert_int_equal(reloaded.campaigns[0]->counts[MEMBER_QUEUED], 1);
	assert_ptr_equal(reloaded.campaigns[0]->groups[0].master->device, device_by_id(&reloaded, 1));
	assert_ptr_equal(device_by_id(&reloaded, 4)->member->group->campaign, reloaded.campaigns[0]);
	store_close(store);
	controller_destroy(&reloaded);
}

static void record_result(void *argument, int result)
{
	int *recorded = argument;

	*recorded = result;
}

/* store_stop commits what is queued; a batch submitted afterwards (a
 * keep-alive request during shutdown) is refused at once, never lost. */
static void test_store_stop_refuses_late_batches(void **state)
{
	struct fixture *fixture = *state;
	int queued = 1, late = 1;
	struct store *store;

	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_start(store), 0);
	store_batch_device(store, fixture->batch, fixture->devices[0]);
	store_submit(store, fixture->batch, record_result, &queued);
	store_stop(store);
	assert_int_equal(queued, 0);
	fixture->batch = store_batch_new();
	store_batch_device(store, fixture->batch, fixture->devices[1]);
	store_submit(store, fixture->batch, record_result, &late);
	fixture->batch = store_batch_new();
	assert_int_equal(late, -ESHUTDOWN);
	assert_int_equal(store_pending(store), 0);
	store_close(store);
}

/* Waits (bounded) for a submitted batch's commit result. */
static void on_committed(void *argument, int result)
{
	__atomic_store_n((int *)argument, result, __ATOMIC_RELEASE);
}

static int submit_and_wait(struct store *store, struct store_batch *batch)
{
	int result = 1;

	store_submit(store, batch, on_committed, &result);
	for (int waited = 0; waited < 3000 && __atomic_load_n(&result, __ATOMIC_ACQUIRE) == 1; waited++)
		usleep(10000);
	return __atomic_load_n(&result, __ATOMIC_ACQUIRE);
}

/* A device row whose commit failed (the database locked by another writer
 * past the busy timeout) is written in full by the next Inform, even
 * though nothing changed in memory since the failed batch was built. */
static void test_failed_commit_rewrites_device_row(void **state)
{
	struct fixture *fixture = *state;
	struct device *device = fixture->devices[2];
	struct controller reloaded;
	struct store *store;
	struct store_batch *batch;
	sqlite3 *other;

	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_start(store), 0);
	batch = store_batch_new();
	store_batch_device(store, batch, device);
	assert_int_equal(submit_and_wait(store, batch), 0);
	/* the device reports a new software version, but the commit fails */
	free(device->software_version);
	device->software_version = strdup("2.0");
	assert_int_equal(sqlite3_open(database, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	batch = store_batch_new();
	store_batch_device(store, batch, device);
	assert_true(submit_and_wait(store, batch) < 0);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	/* its next (periodic) Inform: same columns as the failed batch */
	batch = store_batch_new();
	store_batch_device(store, batch, device);
	assert_int_equal(submit_and_wait(store, batch), 0);
	store_close(store);

	controller_init(&reloaded, &fixture->controller.config);
	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_load(store, &reloaded), 0);
	assert_string_equal(device_by_id(&reloaded, device->id)->software_version, "2.0");
	store_close(store);
	controller_destroy(&reloaded);
}


/* The value a device got for X_CASCADE_ImagePiecesSHA256 in the campaign's
 * SetParameterValues, "(absent)" when that had no such parameter, or NULL
 * when no SetParameterValues was due. */
static const char *pieces_parameter(struct fixture *fixture, struct device *device)
{
	static struct cwmp_message message;
	static struct rpc_scratch scratch;
	const struct cwmp_set_parameter_values *set = &message.body.set_parameter_values;

	memset(&message, 0, sizeof(message));
	if (campaign_next_rpc(&fixture->controller, device, &message, &scratch) != AWAIT_SET_PARAMETERS)
		return NULL;
	for (size_t i = 0; i < set->parameter_count; i++)
		if (strcmp(set->parameters[i].name, "Device.X_CASCADE_ImagePiecesSHA256") == 0)
			return set->parameters[i].value;
	return "(absent)";
}

static struct campaign *start_with_pieces(struct fixture *fixture, enum campaign_mode mode, const char *pieces)
{
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://o/images/fw.bin", .sha256 = SHA,
					    .image_size = 1000, .mode = mode, .fanout = 8, .pieces_sha256 = pieces };
	struct campaign *campaign;
	char error[160];

	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 0);
	return campaign;
}

/* Devices that report X_CASCADE_ImagePiecesSHA256 get the campaign's piece
 * list digest (in both modes; "" when the campaign has none, clearing an
 * older one); others never see the parameter (they would refuse it). */
static void test_piece_list_digest(void **state)
{
	struct fixture *fixture = *state;
	struct cwmp_parameter_value knows = { "Device.X_CASCADE_ImagePiecesSHA256", "", NULL };
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://o/images/fw.bin", .sha256 = SHA,
					    .image_size = 1000, .mode = CAMPAIGN_MODE_URL, .fanout = 8,
					    .pieces_sha256 = "not hex" };
	struct campaign *campaign;
	char error[160];

	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "pieces_sha256"));
	/* Device 0 (the master) does not report the parameter: not sent. */
	assert_false(fixture->devices[0]->checks_pieces);
	campaign = start_with_pieces(fixture, CAMPAIGN_MODE_URL, "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210");
	assert_string_equal(campaign->pieces_sha256, PIECES);
	assert_string_equal(pieces_parameter(fixture, fixture->devices[0]), "(absent)");
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	/* Once it does (its next Inform), it gets the digest, in spv mode too. */
	device_apply_parameters(fixture->devices[0], &knows, 1);
	assert_true(fixture->devices[0]->checks_pieces);
	campaign = start_with_pieces(fixture, CAMPAIGN_MODE_SPV, PIECES);
	assert_string_equal(pieces_parameter(fixture, fixture->devices[0]), PIECES);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	/* A campaign without a list clears an older one on such a device. */
	campaign = start_with_pieces(fixture, CAMPAIGN_MODE_URL, NULL);
	assert_string_equal(campaign->pieces_sha256, "");
	assert_string_equal(pieces_parameter(fixture, fixture->devices[0]), "");
}

/* A database from before piece lists (and signatures) gains the columns;
 * its campaigns load with none. */
static void test_old_database_gains_new_campaign_columns(void **state)
{
	struct fixture *fixture = *state;
	struct controller reloaded;
	struct store *store;
	sqlite3 *old;

	assert_int_equal(sqlite3_open(database, &old), SQLITE_OK);
	assert_int_equal(sqlite3_exec(old,
				      "CREATE TABLE campaigns(id INTEGER PRIMARY KEY, image_name TEXT, origin_url TEXT,"
				      " sha256 TEXT, selector TEXT, image_size INTEGER, mode INTEGER, fanout INTEGER,"
				      " state INTEGER, created_at INTEGER, masters_queued_ms INTEGER);"
				      "INSERT INTO campaigns VALUES(1, 'fw.bin', 'http://o/fw.bin', '" SHA "', '', 1000, 0,"
				      " 8, 2, 0, 0);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(old);
	controller_init(&reloaded, &fixture->controller.config);
	assert_int_equal(store_open(database, true, &store), 0);
	assert_int_equal(store_load(store, &reloaded), 0);
	assert_int_equal(reloaded.campaign_count, 1);
	assert_string_equal(reloaded.campaigns[0]->pieces_sha256, "");
	assert_string_equal(reloaded.campaigns[0]->signature, "");
	store_close(store);
	controller_destroy(&reloaded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_masters_first_then_slaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spv_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover_and_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_master_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serve_failures_count_distinct_slaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_group_drops_bad_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_keeps_running_transfers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_transfer_found_by_command_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_failed_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_campaign_keeps_sitting_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_piece_list_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_database_gains_new_campaign_columns, database_setup,
						database_teardown),
		cmocka_unit_test_setup_teardown(test_store_round_trip, database_setup,
						database_teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_rewrites_device_row, database_setup,
						database_teardown),
		cmocka_unit_test_setup_teardown(test_store_stop_refuses_late_batches, database_setup,
						database_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
