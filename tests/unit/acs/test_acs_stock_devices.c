/* Unit tests for how the campaign engine copes with stock devices: stalled
 * slaves (downloading or never reached) do not count against a healthy
 * master; spv mode falls back to url mode after a fault of the empty-URL
 * Download or its TransferComplete; an overdue TransferComplete brings a
 * connection request and gives the slave's fan-out slot away (at most
 * twice the fan-out downloading); an integrity failure of the origin's
 * image halts the campaign instead of falling back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acs/campaign.h"
#include "acs/store.h"
#include "common/clock.h"
#include "campaign_fixture.h"

/* The master downloads and reports success; the slaves are queued. */
static struct campaign *start_with_master_done(struct fixture *fixture, enum campaign_mode mode, unsigned int fanout)
{
	struct campaign *campaign = start(fixture, mode, fanout);
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[0], 0);
	assert_int_equal(fixture->devices[0]->member->state, MEMBER_DONE);
	return campaign;
}

static void stalled_slaves_do_not_blame_the_master(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start_with_master_done(fixture, CAMPAIGN_MODE_URL, 8);
	struct campaign_group *group = &campaign->groups[0];
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	fixture->controller.config.stall_timeout_ms = 50;
	/* three slaves accepted their Download and never report; a fourth was never reached */
	for (int i = 2; i < 5; i++) {
		run_rpcs(fixture, fixture->devices[i], &message, &scratch, &set_count);
		assert_int_equal(fixture->devices[i]->member->state, MEMBER_DOWNLOADING);
		fixture->devices[i]->member->since_ms = monotonic_ms() - 1000;
	}
	fixture->devices[5]->member->since_ms = monotonic_ms() - 1000;
	campaign_tick(&fixture->controller, fixture->batch);
	assert_ptr_equal(group->master->device, fixture->devices[0]);
	assert_int_equal(group->bad_master_count, 0);
	assert_int_equal(group->serve_failures, 0);
	for (int i = 2; i < 6; i++) { /* their own failure: they go again (attempt 2 of 2) */
		assert_int_equal(fixture->devices[i]->member->state, MEMBER_QUEUED);
		assert_int_equal(fixture->devices[i]->member->attempts, 2);
	}
	/* a TransferComplete fault of a slave served by the master does count */
	run_rpcs(fixture, fixture->devices[2], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[2], 9017);
	assert_int_equal(group->serve_failures, 1);
}

static void spv_falls_back_to_url_mode(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start_with_master_done(fixture, CAMPAIGN_MODE_SPV, 8);
	struct campaign_group *group = &campaign->groups[0];
	struct device *refuses = fixture->devices[3], *reports = fixture->devices[4];
	const char *master_url = "http://10.0.0.0:8080/images/fw.bin?group=1";
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	/* the empty-URL Download faulted (9003): the same dispatch sends it with the URL */
	assert_string_equal(member_mode_name(refuses->member), "spv");
	assert_int_equal(campaign_next_rpc(&fixture->controller, refuses, &message, &scratch), AWAIT_SET_PARAMETERS);
	campaign_on_set_parameters_done(&fixture->controller, refuses, false, fixture->batch);
	assert_int_equal(campaign_next_rpc(&fixture->controller, refuses, &message, &scratch), AWAIT_DOWNLOAD);
	assert_string_equal(message.body.download.url, "");
	campaign_on_download_fault(&fixture->controller, refuses, 9003, fixture->batch);
	assert_true(refuses->spv_refused);
	assert_int_equal(refuses->member->state, MEMBER_QUEUED);
	assert_int_equal(refuses->member->attempts, 1);
	assert_int_equal(campaign_next_rpc(&fixture->controller, refuses, &message, &scratch), AWAIT_DOWNLOAD);
	assert_string_equal(message.body.download.url, master_url);
	assert_string_equal(member_mode_name(refuses->member), "url");
	campaign_on_download_response(&fixture->controller, refuses, 1, fixture->batch);
	transfer_complete(fixture, refuses, 0);
	assert_int_equal(refuses->member->state, MEMBER_DONE);

	/* the empty-URL Download accepted, then TransferComplete 9010: url mode next time */
	assert_string_equal(run_rpcs(fixture, reports, &message, &scratch, &set_count), "");
	assert_int_equal(set_count, 2);
	transfer_complete(fixture, reports, 9010);
	assert_true(reports->spv_refused);
	assert_int_equal(reports->member->state, MEMBER_QUEUED);
	assert_string_equal(run_rpcs(fixture, reports, &message, &scratch, &set_count), master_url);
	assert_int_equal(set_count, 1); /* ImageSHA256, no X_CASCADE_MasterURL */
	transfer_complete(fixture, reports, 0);
	assert_int_equal(reports->member->state, MEMBER_DONE);
	/* neither counted against the master */
	assert_int_equal(group->serve_failures, 0);
	assert_ptr_equal(group->master->device, fixture->devices[0]);
	/* a device that refused spv once starts the next campaign in url mode */
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	start_with_master_done(fixture, CAMPAIGN_MODE_SPV, 8);
	assert_string_equal(member_mode_name(reports->member), "url");
	assert_string_equal(member_mode_name(fixture->devices[5]->member), "spv");
}

static void overdue_transfer_complete_frees_the_slot(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign;
	struct campaign_group *group;
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count, downloading = 0;

	fixture->controller.config.overdue_minimum_ms = 1000;
	campaign = start_with_master_done(fixture, CAMPAIGN_MODE_URL, 2);
	group = &campaign->groups[0];
	assert_int_equal(group->in_flight, 2);
	for (int round = 0; round < 3; round++) {
		/* every queued slave takes its Download, then stays silent */
		for (int i = 1; i < 8; i++)
			if (fixture->devices[i]->member->state == MEMBER_QUEUED) {
				run_rpcs(fixture, fixture->devices[i], &message, &scratch, &set_count);
				fixture->devices[i]->member->since_ms = monotonic_ms() - 1500;
			}
		campaign_tick(&fixture->controller, fixture->batch);
	}
	for (int i = 1; i < 8; i++)
		if (fixture->devices[i]->member->state == MEMBER_DOWNLOADING) {
			downloading++;
			assert_true(fixture->devices[i]->member->slot_released);
			assert_int_equal(fixture->devices[i]->member->pokes, 1);
		}
	/* two overdue slaves let two more go, and no more: twice the fan-out at most */
	assert_int_equal(downloading, 4);
	assert_int_equal(group->released, 4);
	assert_int_equal(group->in_flight, 0);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 0);
	/* not poked again at once */
	campaign_tick(&fixture->controller, fixture->batch);
	for (int i = 1; i < 8; i++)
		if (fixture->devices[i]->member->state == MEMBER_DOWNLOADING)
			assert_int_equal(fixture->devices[i]->member->pokes, 1);
	/* a late report frees room for the next slave, and times no download */
	for (int i = 1; i < 8; i++)
		if (fixture->devices[i]->member->state == MEMBER_DOWNLOADING) {
			transfer_complete(fixture, fixture->devices[i], 0);
			break;
		}
	assert_int_equal(group->released, 3);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	assert_int_equal(campaign->download_samples, 1); /* the master's only */
}

static void unprompted_reports_time_the_downloads(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign;
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;

	campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	fixture->devices[0]->member->since_ms = monotonic_ms() - 4000;
	transfer_complete(fixture, fixture->devices[0], 0);
	assert_int_equal(campaign->download_samples, 1);
	assert_true(campaign->download_ms_total >= 4000 && campaign->download_ms_total < 60000);
	/* expected 4 s: a slave is not overdue after 5 s (2 x 4 s), but after 9 s */
	run_rpcs(fixture, fixture->devices[2], &message, &scratch, &set_count);
	fixture->devices[2]->member->since_ms = monotonic_ms() - 5000;
	campaign_tick(&fixture->controller, fixture->batch);
	assert_int_equal(fixture->devices[2]->member->pokes, 0);
	fixture->devices[2]->member->since_ms = monotonic_ms() - 9000;
	campaign_tick(&fixture->controller, fixture->batch);
	assert_int_equal(fixture->devices[2]->member->pokes, 1);
}

static void integrity_failure_halts_the_campaign(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start(fixture, CAMPAIGN_MODE_URL, 8);
	struct campaign_group *group = &campaign->groups[0];
	struct cwmp_message message;
	struct rpc_scratch scratch;
	int set_count;
	char reason[160];

	run_rpcs(fixture, fixture->devices[0], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[0], 9019); /* the origin's image fails the signature check */
	assert_int_equal(campaign->state, CAMPAIGN_HALTED);
	assert_string_equal(campaign_state_name(campaign->state), "halted");
	assert_int_equal(fixture->devices[0]->member->state, MEMBER_FAILED);
	assert_int_equal(fixture->devices[0]->member->fault_code, 9019);
	/* no failover, no fallback to the origin, nothing more sent */
	assert_false(group->fallback_origin);
	assert_int_equal(group->bad_master_count, 0);
	assert_int_equal(group->failed_masters, 0);
	for (int i = 1; i < 8; i++)
		assert_int_equal(campaign_next_rpc(&fixture->controller, fixture->devices[i], &message, &scratch),
				 AWAIT_NOTHING);
	campaign_tick(&fixture->controller, fixture->batch);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 0);
	campaign_halt_reason(campaign, reason, sizeof(reason), NULL, NULL);
	assert_non_null(strstr(reason, "9019"));
	assert_non_null(strstr(reason, "by 1 device"));
	/* only cancel moves it on; its devices may join a new campaign */
	assert_int_equal(campaign_control(&fixture->controller, campaign, "resume", fixture->batch), -EALREADY);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "pause", fixture->batch), -EALREADY);
	assert_int_equal(campaign_control(&fixture->controller, campaign, "cancel", fixture->batch), 0);
	assert_int_equal(campaign->state, CAMPAIGN_CANCELLED);
	/* a corrupt master (9018 from the master, not the origin) is failed over as before */
	campaign = start_with_master_done(fixture, CAMPAIGN_MODE_URL, 8);
	fixture->controller.config.master_serve_failures = 1;
	run_rpcs(fixture, fixture->devices[3], &message, &scratch, &set_count);
	transfer_complete(fixture, fixture->devices[3], 9018);
	assert_int_equal(campaign->state, CAMPAIGN_RUNNING);
	assert_int_equal(campaign->groups[0].bad_master_count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stalled_slaves_do_not_blame_the_master, setup, teardown),
		cmocka_unit_test_setup_teardown(spv_falls_back_to_url_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(overdue_transfer_complete_frees_the_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(unprompted_reports_time_the_downloads, setup, teardown),
		cmocka_unit_test_setup_teardown(integrity_failure_halts_the_campaign, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
