/* Unit tests for the campaign tree, waves and gates, without HTTP: the
 * children-limit rule (receiving relays, unknown capacity, measured egress,
 * occupancy); placement (file servers first, a slave served by a receiving
 * slave, stock devices never sources, no source below its own child); a
 * relay that serves a bad piece or is gone leaves the tree and its
 * children are re-pointed, one still receiving is not blamed for a stall;
 * the end game (an idle source takes over a child waiting behind its
 * siblings); measured egress widening a source's fan-out;
 * the egress budget and the master's occupancy holding a group; waves
 * opening on the success threshold and halting on the error threshold;
 * the rollout policy's text form. */
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

#define PIECES "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define DEVICES 8

/* campaign_fixture.h's group, with device 2 a file server too: 0 the
 * master (the idlest), 1 and 2 relays, 3..6 leaves, 7 a stock device; every
 * cascade device checks pieces; a relay serves at once (no warm-up). */
static int tree_setup(void **state)
{
	struct fixture *fixture;

	setup(state);
	fixture = *state;
	fixture->controller.config.relay_warmup_ms = 0;
	fixture->controller.config.max_attempts = 3;
	fixture->devices[2]->file_server_enable = true;
	for (int i = 0; i < 7; i++)
		fixture->devices[i]->checks_pieces = true;
	return 0;
}

static struct campaign *start_tree(struct fixture *fixture, unsigned int fanout, const char *waves)
{
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://origin:8081/images/fw.bin",
					    .sha256 = SHA, .image_size = 1000, .mode = CAMPAIGN_MODE_URL,
					    .fanout = fanout, .pieces_sha256 = PIECES, .sources = SOURCES_TREE,
					    .waves = waves };
	struct campaign *campaign;
	char error[160];

	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 0);
	return campaign;
}

/* Runs the device's queued RPCs as a session would; the Download's URL. */
static const char *accept_download(struct fixture *fixture, int index)
{
	static struct cwmp_message message;
	static struct rpc_scratch scratch;
	struct device *device = fixture->devices[index];
	enum awaiting awaiting;

	memset(&message, 0, sizeof(message));
	awaiting = campaign_next_rpc(&fixture->controller, device, &message, &scratch);
	if (awaiting == AWAIT_SET_PARAMETERS) {
		campaign_on_set_parameters_done(&fixture->controller, device, false, fixture->batch);
		memset(&message, 0, sizeof(message));
		awaiting = campaign_next_rpc(&fixture->controller, device, &message, &scratch);
	}
	assert_int_equal(awaiting, AWAIT_DOWNLOAD);
	campaign_on_download_response(&fixture->controller, device, 1, fixture->batch);
	return message.body.download.url;
}

static void report(struct fixture *fixture, int index, unsigned int fault)
{
	struct device *device = fixture->devices[index];
	struct cwmp_transfer_complete transfer = { NULL, { fault, "" }, "", "" };
	char key[64];

	snprintf(key, sizeof(key), CAMPAIGN_COMMAND_KEY_FORMAT, device->member->group->campaign->id, device->id,
		 device->member->attempts, device->member->source_device_id);
	transfer.command_key = key;
	campaign_on_transfer_complete(&fixture->controller, device, &transfer, fixture->batch);
}

static enum member_state state_of(struct fixture *fixture, int index)
{
	return fixture->devices[index]->member->state;
}

/* The index of the device the member downloads from, -1 for the origin. */
static int source_of(struct fixture *fixture, int index)
{
	for (int i = 0; i < DEVICES; i++)
		if (fixture->devices[i]->id == fixture->devices[index]->member->source_device_id)
			return i;
	return -1;
}

static void tick(struct fixture *fixture)
{
	campaign_tick(&fixture->controller, fixture->batch);
}

static void test_children_limit_rule(void **state)
{
	struct source_figures figures = { 0 };

	(void)state;
	figures.receiving = true;
	assert_int_equal(tree_children_limit(&figures, 32, 1), 1); /* a relay feeds one child */
	assert_int_equal(tree_children_limit(&figures, 32, 4), 4);
	assert_int_equal(tree_children_limit(&figures, 2, 4), 2);
	figures.receiving = false;
	assert_int_equal(tree_children_limit(&figures, 32, 1), 32); /* capacity unknown: the fan-out */
	figures.capacity = 12500000;
	assert_int_equal(tree_children_limit(&figures, 32, 1), 1); /* known: start with one */
	figures.current_limit = 3;
	figures.children = 3;
	assert_int_equal(tree_children_limit(&figures, 32, 1), 3); /* no measurement: keep */
	figures.egress_valid = true;
	figures.egress = 2500000; /* 3 children take 20%: 13 would fill 85%, but at most twice as many per step */
	assert_int_equal(tree_children_limit(&figures, 32, 1), 6);
	figures.egress = 5000000; /* 40%: 7 fill 85%, 6 at most */
	assert_int_equal(tree_children_limit(&figures, 32, 1), 6);
	figures.current_limit = 6;
	figures.children = 6;
	figures.egress = 7000000; /* 6 take 56%: 10 fill 85% */
	assert_int_equal(tree_children_limit(&figures, 32, 1), 10);
	figures.current_limit = 3;
	figures.children = 3;
	figures.egress = 7500000; /* 60%: saturated (readings are noisy), no more children */
	assert_int_equal(tree_children_limit(&figures, 32, 1), 3);
	figures.egress = 12000000;
	assert_int_equal(tree_children_limit(&figures, 32, 1), 3);
	figures.egress = 2500000;
	assert_int_equal(tree_children_limit(&figures, 4, 1), 4); /* never past the fan-out */
	figures.over_occupancy = true;
	assert_int_equal(tree_children_limit(&figures, 32, 1), 3); /* too busy: only the children it has */
	figures.children = 0;
	assert_int_equal(tree_children_limit(&figures, 32, 1), 0);
}

static void test_slave_served_by_a_receiving_slave(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start_tree(fixture, 8, NULL);

	assert_int_equal(campaign->sources, SOURCES_TREE);
	assert_ptr_equal(campaign->groups[0].master->device, fixture->devices[0]);
	assert_string_equal(accept_download(fixture, 0), "http://origin:8081/images/fw.bin");
	tick(fixture);
	/* the master relays while it receives: one child, a file server first */
	assert_int_equal(state_of(fixture, 1), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 1), 0);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	assert_string_equal(accept_download(fixture, 1), "http://10.0.0.0:8080/images/fw.bin?group=1");
	tick(fixture);
	/* relay 1 receives from the master and feeds relay 2: a slave served by a slave */
	assert_int_equal(state_of(fixture, 2), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 2), 1);
	assert_string_equal(accept_download(fixture, 2), "http://10.0.0.1:8080/images/fw.bin?group=1");
	tick(fixture);
	assert_int_equal(source_of(fixture, 3), 2); /* then the leaves */
	assert_int_equal(campaign->groups[0].sources, 3);
	assert_int_equal(campaign->groups[0].max_depth, 2);
	for (int i = 4; i < DEVICES; i++)
		assert_int_equal(state_of(fixture, i), MEMBER_PENDING);
	/* the master is done: its fan-out (capacity unknown) takes the rest */
	report(fixture, 0, 0);
	for (int i = 4; i < DEVICES; i++) {
		assert_int_equal(state_of(fixture, i), MEMBER_QUEUED);
		assert_int_equal(source_of(fixture, i), 0);
	}
	/* a stock device that is done serves nobody */
	accept_download(fixture, 7);
	report(fixture, 7, 0);
	tick(fixture);
	assert_int_equal(campaign->groups[0].sources, 3);
	assert_int_equal(fixture->devices[7]->member->children, 0);
	accept_download(fixture, 3);
	report(fixture, 3, 0);
	for (int i = 4; i < 7; i++) {
		accept_download(fixture, i);
		report(fixture, i, 0);
	}
	report(fixture, 1, 0);
	report(fixture, 2, 0);
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	assert_int_equal(campaign->counts[MEMBER_DONE], DEVICES);
}

/* Master receiving, 1 relays from it, 2 relays from 1, 3 leaf of 2. */
static struct campaign *build_chain(struct fixture *fixture)
{
	struct campaign *campaign = start_tree(fixture, 8, NULL);

	accept_download(fixture, 0);
	tick(fixture);
	accept_download(fixture, 1);
	tick(fixture);
	accept_download(fixture, 2);
	tick(fixture);
	accept_download(fixture, 3);
	assert_int_equal(source_of(fixture, 3), 2);
	return campaign;
}

static void test_relay_gone_leaves_the_tree(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = build_chain(fixture);
	unsigned int attempts = fixture->devices[2]->member->attempts;

	/* relay 2's child cannot connect: 2 leaves the tree, 3 goes elsewhere */
	report(fixture, 3, 9015);
	assert_int_equal(campaign->groups[0].bad_master_count, 1);
	assert_int_equal(campaign->groups[0].bad_masters[0], fixture->devices[2]->id);
	assert_int_equal(campaign->groups[0].failed_masters, 0); /* a relay is not a failed master */
	assert_int_equal(state_of(fixture, 3), MEMBER_PENDING);
	assert_int_equal(fixture->devices[3]->member->attempts, 0); /* refunded: the relay's fault */
	/* the master finishes: it takes 3 again; 2 is never a source again */
	report(fixture, 0, 0);
	assert_int_equal(state_of(fixture, 3), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 3), 0);
	assert_int_equal(fixture->devices[2]->member->attempts, attempts); /* 2 goes on with its own download */
	report(fixture, 2, 0);
	tick(fixture);
	for (int i = 0; i < DEVICES; i++)
		if (fixture->devices[i]->member->state == MEMBER_QUEUED)
			assert_int_not_equal(source_of(fixture, i), 2);
}

static void test_stalled_child_of_a_done_relay_drops_it(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = build_chain(fixture);

	report(fixture, 2, 0); /* relay 2 holds the whole image */
	report(fixture, 3, 9017); /* and yet its child could not finish: it is gone */
	assert_int_equal(campaign->groups[0].bad_master_count, 1);
	assert_int_equal(campaign->groups[0].bad_masters[0], fixture->devices[2]->id);
	/* re-pointed at once, at relay 1 (free since 2 is done), its failed attempt refunded */
	assert_int_equal(state_of(fixture, 3), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 3), 1);
	assert_int_equal(fixture->devices[3]->member->attempts, 1);
}

static void test_bad_piece_drops_the_relay_at_once(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = build_chain(fixture);

	/* relay 1 served a bad piece to relay 2: 1 leaves, 2 resumes elsewhere
	 * (not from the origin: the master still receives, so 2 waits) */
	report(fixture, 2, 9018);
	assert_int_equal(campaign->state, CAMPAIGN_RUNNING); /* a relay's bad piece halts nothing */
	assert_int_equal(campaign->groups[0].bad_master_count, 1);
	assert_int_equal(campaign->groups[0].bad_masters[0], fixture->devices[1]->id);
	assert_int_equal(fixture->devices[2]->member->attempts, 0);
	/* 2 keeps serving what it checked to its child 3, and is re-pointed once the master has a slot */
	report(fixture, 0, 0);
	assert_int_equal(state_of(fixture, 2), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 2), 0);
	assert_int_equal(source_of(fixture, 3), 2);
}

static void test_stalled_child_of_a_receiving_relay_is_not_its_fault(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = build_chain(fixture);

	/* 2 still receives (its own source is slow): its child's 9017 is no proof against it */
	report(fixture, 3, 9017);
	assert_int_equal(campaign->groups[0].bad_master_count, 0);
	assert_int_equal(fixture->devices[3]->member->attempts, 1);
	/* not back to 2 while 2 still receives: it waits for another source */
	assert_int_equal(state_of(fixture, 3), MEMBER_PENDING);
	report(fixture, 0, 0);
	assert_int_equal(state_of(fixture, 3), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 3), 0);
}

static void test_no_source_below_its_own_child(void **state)
{
	struct fixture *fixture = *state;

	fixture->controller.config.relay_fanout = 2;
	start_tree(fixture, 8, NULL);
	accept_download(fixture, 0);
	tick(fixture); /* the master relays to 1 and 2 */
	assert_int_equal(source_of(fixture, 1), 0);
	assert_int_equal(source_of(fixture, 2), 0);
	accept_download(fixture, 1);
	accept_download(fixture, 2);
	/* 2 loses the master: it goes to 1 (not back to the master, which still receives) */
	report(fixture, 2, 9017);
	assert_int_equal(state_of(fixture, 2), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 2), 1);
	accept_download(fixture, 2);
	/* now 1 loses the master too: 2, below it, has free slots but cannot
	 * feed it, and the master still receives: 1 waits */
	report(fixture, 1, 9017);
	assert_int_equal(state_of(fixture, 1), MEMBER_PENDING);
	assert_int_equal(source_of(fixture, 2), 1);
	/* the master, done, may take it back though 1 failed there */
	report(fixture, 0, 0);
	assert_int_equal(state_of(fixture, 1), MEMBER_QUEUED);
	assert_int_equal(source_of(fixture, 1), 0);
}

/* How many in-flight members download from device index. */
static int children_of(struct fixture *fixture, int index)
{
	int children = 0;

	for (int i = 0; i < DEVICES; i++)
		if ((state_of(fixture, i) == MEMBER_QUEUED || state_of(fixture, i) == MEMBER_DOWNLOADING) &&
		    source_of(fixture, i) == index)
			children++;
	return children;
}

/* The end game: nothing left to place, the master shares its uplink among
 * six children, and a relay that finished serves nobody. The relay takes
 * over the master's newest downloading child (its attempt not counted),
 * then the next relay the next newest; a queued child (it may be
 * answering its Download) never moves, and a child alone on its source
 * stays there though another source is idle. */
static void test_idle_source_takes_over_a_waiting_child(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start_tree(fixture, 8, NULL);
	uint64_t now = monotonic_ms();

	campaign->pieces_sha256[0] = '\0'; /* no relaying: sources serve once done */
	accept_download(fixture, 0);
	report(fixture, 0, 0);
	for (int i = 1; i < DEVICES; i++) { /* the fan-out (capacity unknown) takes everyone */
		assert_int_equal(state_of(fixture, i), MEMBER_QUEUED);
		assert_int_equal(source_of(fixture, i), 0);
	}
	for (int i = 1; i < DEVICES - 1; i++) { /* 7 stays queued; 6 came last */
		accept_download(fixture, i);
		fixture->devices[i]->member->since_ms = now - 1000 + 10 * (uint64_t)i;
	}
	tick(fixture);
	assert_int_equal(children_of(fixture, 0), 7); /* no idle source: nothing moves */
	report(fixture, 1, 0);
	/* relay 1 is done and idle: it takes the master's newest downloading child */
	assert_int_equal(source_of(fixture, 6), 1);
	assert_int_equal(children_of(fixture, 1), 1);
	assert_int_equal(children_of(fixture, 0), 5);
	assert_int_equal(state_of(fixture, 6), MEMBER_QUEUED);
	assert_int_equal(fixture->devices[6]->member->attempts, 1); /* re-pointed, not failed */
	assert_int_equal(campaign->groups[0].rebalanced, 1);
	assert_string_equal(accept_download(fixture, 6), "http://10.0.0.1:8080/images/fw.bin?group=1");
	tick(fixture);
	assert_int_equal(source_of(fixture, 6), 1); /* alone on relay 1: it stays */
	assert_int_equal(campaign->groups[0].rebalanced, 1);
	/* relay 2 finishes: it takes the next newest, 5; 7, queued, stays */
	report(fixture, 2, 0);
	assert_int_equal(source_of(fixture, 5), 2);
	assert_int_equal(source_of(fixture, 7), 0);
	assert_int_equal(campaign->groups[0].rebalanced, 2);
	accept_download(fixture, 5);
	/* the master's children finish: it is idle, 5 and 6 are alone on their sources and stay */
	report(fixture, 3, 0);
	report(fixture, 4, 0);
	accept_download(fixture, 7);
	report(fixture, 7, 0);
	tick(fixture);
	assert_int_equal(source_of(fixture, 5), 2);
	assert_int_equal(source_of(fixture, 6), 1);
	assert_int_equal(campaign->groups[0].rebalanced, 2);
	report(fixture, 5, 0);
	report(fixture, 6, 0);
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	assert_int_equal(campaign->counts[MEMBER_DONE], DEVICES);
	for (int i = 0; i < DEVICES; i++)
		assert_int_equal(fixture->devices[i]->member->attempts, 1);
}

/* A stock device (no X_CASCADE_ parameters) would queue a second Download
 * and fetch the image twice: the end game moves only cascade agents, so an
 * idle source takes the newest cascade child and the stock one stays. */
static void test_end_game_leaves_stock_devices_where_they_are(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start_tree(fixture, 8, NULL);
	uint64_t now = monotonic_ms();

	campaign->pieces_sha256[0] = '\0';
	fixture->devices[6]->cascade_capable = false;
	accept_download(fixture, 0);
	report(fixture, 0, 0);
	for (int i = 1; i < DEVICES - 1; i++) {
		accept_download(fixture, i);
		fixture->devices[i]->member->since_ms = now - 1000 + 10 * (uint64_t)i;
	}
	report(fixture, 1, 0);
	assert_int_equal(source_of(fixture, 6), 0); /* the newest, but stock: stays */
	assert_int_equal(source_of(fixture, 5), 1); /* the newest cascade child moves */
	assert_int_equal(campaign->groups[0].rebalanced, 1);
}

/* With require-file-server off (any device may be elected), a device
 * without a file server still serves nobody: every download of the
 * campaign, to its end, comes from the origin or a file server. */
static void test_devices_without_a_file_server_never_serve(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign;

	fixture->controller.config.election_require_file_server = false;
	fixture->devices[1]->file_server_enable = false;
	fixture->devices[2]->file_server_enable = false;
	campaign = start_tree(fixture, 1, NULL);
	for (int round = 0; round < 4 * DEVICES && campaign->state == CAMPAIGN_RUNNING; round++) {
		for (int i = 0; i < DEVICES; i++) {
			int source;

			if (state_of(fixture, i) != MEMBER_QUEUED)
				continue;
			accept_download(fixture, i);
			source = source_of(fixture, i);
			assert_true(source == -1 || fixture->devices[source]->file_server_enable);
		}
		for (int i = 0; i < DEVICES; i++) {
			if (!fixture->devices[i]->file_server_enable)
				assert_int_equal(fixture->devices[i]->member->children, 0);
			if (state_of(fixture, i) == MEMBER_DOWNLOADING)
				report(fixture, i, 0);
		}
		tick(fixture);
	}
	assert_int_equal(campaign->state, CAMPAIGN_DONE);
	assert_int_equal(campaign->counts[MEMBER_DONE], DEVICES);
	assert_int_equal(campaign->groups[0].sources, 1);
}

static void test_measured_egress_widens_the_fanout(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign;
	uint64_t now = monotonic_ms();
	int second = 0;

	fixture->devices[0]->bandwidth = 100000; /* 12.5 MB/s */
	campaign = start_tree(fixture, 8, NULL);
	campaign->pieces_sha256[0] = '\0'; /* no relaying: the master serves once done */
	accept_download(fixture, 0);
	report(fixture, 0, 0);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1); /* capacity known: one child to start */
	accept_download(fixture, 1);
	/* readings of the master done, while that child ran: 2.5 MB/s of 12.5, room for more */
	source_measurement_record(fixture->devices[0], 0, false, 0, now - 800);
	source_measurement_record(fixture->devices[0], 1000, false, 0, now - 600);
	tick(fixture);
	assert_int_equal(fixture->devices[0]->member->children_limit, 1); /* the window began before it was done */
	fixture->devices[0]->member->since_ms = now - 3000;
	fixture->devices[0]->member->children_limit_since_ms = now - 3000;
	fixture->devices[1]->member->since_ms = now - 1500; /* (2 s would make it overdue) */
	source_measurement_record(fixture->devices[0], 1000, false, 0, now - 500);
	source_measurement_record(fixture->devices[0], 1251000, false, 0, now);
	tick(fixture);
	assert_int_equal(fixture->devices[0]->member->children_limit, 2); /* at most twice as many per step */
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	for (int i = 2; i < DEVICES; i++)
		if (state_of(fixture, i) == MEMBER_QUEUED)
			second = i;
	assert_int_not_equal(second, 0);
	accept_download(fixture, second);
	/* the same reading predates the new limit: it proves nothing, still two */
	tick(fixture);
	assert_int_equal(fixture->devices[0]->member->children_limit, 2);
	/* a reading while both ran: 12.5 MB/s, saturated, no third */
	fixture->devices[second]->member->since_ms = now - 1000;
	fixture->devices[0]->member->children_limit_since_ms = now - 1000;
	source_measurement_record(fixture->devices[0], 1251000 + 1250000, false, 0, now + 100);
	tick(fixture);
	assert_int_equal(fixture->devices[0]->member->children_limit, 2);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 0);
}

/* Small images: children finish within a reading and the next one comes
 * at once. Their coming and going under one limit does not void the
 * reading (it would, and the source would serve one child at a time for
 * the whole campaign): the gaps it shows widen the fan-out. */
static void test_children_coming_and_going_keep_the_reading(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign;
	uint64_t now = monotonic_ms();
	int first = 0, second = 0;

	fixture->devices[0]->bandwidth = 100000; /* 12.5 MB/s */
	fixture->devices[1]->file_server_enable = false; /* the master the only source */
	fixture->devices[2]->file_server_enable = false;
	campaign = start_tree(fixture, 8, NULL);
	campaign->pieces_sha256[0] = '\0'; /* no relaying: the master serves once done */
	accept_download(fixture, 0);
	report(fixture, 0, 0);
	for (int i = 1; i < DEVICES; i++)
		if (state_of(fixture, i) == MEMBER_QUEUED)
			first = i;
	assert_int_not_equal(first, 0);
	accept_download(fixture, first);
	report(fixture, first, 0); /* done quickly: the next child comes at once */
	for (int i = 1; i < DEVICES; i++)
		if (state_of(fixture, i) == MEMBER_QUEUED)
			second = i;
	assert_int_not_equal(second, 0);
	accept_download(fixture, second);
	assert_int_equal(fixture->devices[0]->member->children_limit, 1);
	/* done, with one limit, for 3 s; the reading spans both children: 2.5 MB/s of 12.5 */
	fixture->devices[0]->member->since_ms = now - 3000;
	fixture->devices[0]->member->children_limit_since_ms = now - 3000;
	source_measurement_record(fixture->devices[0], 0, false, 0, now - 500);
	source_measurement_record(fixture->devices[0], 1250000, false, 0, now);
	tick(fixture);
	assert_int_equal(fixture->devices[0]->member->children_limit, 2);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
}

static void test_egress_budget_holds_the_group(void **state)
{
	struct fixture *fixture = *state;
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://origin/images/fw.bin",
					    .sha256 = SHA, .image_size = 1000, .mode = CAMPAIGN_MODE_URL, .fanout = 1,
					    .sources = SOURCES_MASTER, .has_egress_budget = true,
					    .egress_budget = 1000000 };
	struct campaign *campaign;
	uint64_t now = monotonic_ms();
	char error[160];

	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 0);
	accept_download(fixture, 0);
	report(fixture, 0, 0);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	accept_download(fixture, 1);
	/* the master sends 2 MB/s to its group: over the 1 MB/s budget */
	source_measurement_record(fixture->devices[0], 0, false, 0, now);
	source_measurement_record(fixture->devices[0], 2000000, false, 0, now + 1000);
	report(fixture, 1, 0);
	assert_int_equal(campaign->groups[0].hold, HOLD_EGRESS);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 0); /* no new dispatch */
	tick(fixture);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 0);
	/* the egress drops under the budget: dispatch resumes */
	source_measurement_record(fixture->devices[0], 2500000, false, 0, now + 2000);
	tick(fixture);
	assert_int_equal(campaign->groups[0].hold, HOLD_NONE);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
}

static void test_busy_master_holds_the_group(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start_tree(fixture, 8, NULL);
	uint64_t now = monotonic_ms();

	campaign->pieces_sha256[0] = '\0';
	fixture->controller.config.source_max_occupancy = 7000;
	accept_download(fixture, 0);
	/* its /-/stats says 75%: over source-max-occupancy (70%), under the election's 80% */
	source_measurement_record(fixture->devices[0], 0, true, 7500, now);
	report(fixture, 0, 0);
	assert_int_equal(campaign->groups[0].hold, HOLD_OCCUPANCY);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 0);
	assert_non_null(campaign->groups[0].master); /* held, not replaced */
	source_measurement_record(fixture->devices[0], 0, true, 3000, now + 1000);
	tick(fixture);
	assert_int_equal(campaign->groups[0].hold, HOLD_NONE);
	assert_true(campaign->counts[MEMBER_QUEUED] > 0);
}

static void test_waves_open_on_success(void **state)
{
	struct fixture *fixture = *state;
	struct campaign *campaign = start_tree(fixture, 8, "25%");

	campaign->pieces_sha256[0] = '\0';
	assert_int_equal(campaign->waves.count, 2);
	assert_int_equal(campaign_waves_cut(&campaign->waves, 1, 8), 2);
	accept_download(fixture, 0);
	report(fixture, 0, 0);
	/* wave 1 is devices 0 and 1: only 1 may go */
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	assert_int_equal(state_of(fixture, 1), MEMBER_QUEUED);
	tick(fixture);
	assert_int_equal(campaign->waves.open, 1);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 1);
	accept_download(fixture, 1);
	report(fixture, 1, 0);
	tick(fixture); /* 2 of 2 done, over 95%: wave 2 opens */
	assert_int_equal(campaign->waves.open, 2);
	assert_true(campaign->counts[MEMBER_QUEUED] > 1);
}

static void test_waves_halt_on_errors(void **state)
{
	struct fixture *fixture = *state;
	struct campaign_request request = { .image_name = "fw.bin", .origin_url = "http://origin/images/fw.bin",
					    .sha256 = SHA, .image_size = 1000, .mode = CAMPAIGN_MODE_URL, .fanout = 8,
					    .sources = SOURCES_MASTER, .waves = "50%", .has_wave_error = true,
					    .wave_error_percent = 20 };
	struct campaign *campaign;
	char error[160], reason[200];

	fixture->controller.config.max_attempts = 1;
	assert_int_equal(campaign_start(&fixture->controller, &request, fixture->batch, &campaign, error, sizeof(error)),
			 0);
	accept_download(fixture, 0);
	report(fixture, 0, 0);
	assert_int_equal(campaign->counts[MEMBER_QUEUED], 3); /* wave 1: devices 0..3 */
	accept_download(fixture, 1);
	report(fixture, 1, 9010); /* 1 of 4 failed: 25%, over 20% */
	tick(fixture);
	assert_int_equal(campaign->state, CAMPAIGN_HALTED);
	campaign_halt_reason(campaign, reason, sizeof(reason), NULL, NULL);
	assert_non_null(strstr(reason, "wave 1 of 2: 1 of its 4 devices failed"));
	for (int i = 4; i < DEVICES; i++)
		assert_int_equal(state_of(fixture, i), MEMBER_PENDING); /* wave 2 never opened */
}

static void test_wave_parsing_and_policy_text(void **state)
{
	struct fixture *fixture = *state;
	struct campaign_waves waves;
	struct campaign *campaign, copy;
	char why[160], text[CAMPAIGN_ROLLOUT_TEXT_SIZE];

	assert_int_equal(campaign_waves_parse("1%,10%,50%", &waves, why, sizeof(why)), 0);
	assert_int_equal(waves.count, 4); /* 100% added */
	assert_int_equal(waves.share_bp[3], 10000);
	assert_int_equal(campaign_waves_parse("0.5%,100%", &waves, why, sizeof(why)), 0);
	assert_int_equal(campaign_waves_cut(&waves, 1, 1000), 5);
	assert_int_equal(campaign_waves_cut(&waves, 1, 10), 1); /* at least one */
	assert_int_equal(campaign_waves_cut(&waves, 2, 10), 10);
	assert_int_equal(campaign_waves_parse("10%,5%", &waves, why, sizeof(why)), -EINVAL);
	assert_int_equal(campaign_waves_parse("ten", &waves, why, sizeof(why)), -EINVAL);
	assert_int_equal(campaign_waves_parse("150%", &waves, why, sizeof(why)), -EINVAL);
	assert_int_equal(campaign_waves_parse("", &waves, why, sizeof(why)), 0);
	assert_int_equal(waves.count, 0);

	campaign = start_tree(fixture, 8, "5%,25%");
	campaign->egress_budget = 1250000;
	campaign_rollout_format(campaign, text, sizeof(text));
	assert_string_equal(text, "sources=tree waves=5%,25%,100% success=95 error=10 budget=1250000");
	memset(&copy, 0, sizeof(copy));
	campaign_rollout_parse(&copy, text);
	assert_int_equal(copy.sources, SOURCES_TREE);
	assert_int_equal(copy.waves.count, 3);
	assert_int_equal(copy.waves.success_bp, 9500);
	assert_int_equal(copy.waves.error_bp, 1000);
	assert_int_equal(copy.egress_budget, 1250000);
	campaign_rollout_parse(&copy, ""); /* a campaign from before trees */
	assert_int_equal(copy.sources, SOURCES_MASTER);
	assert_int_equal(copy.waves.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_children_limit_rule),
		cmocka_unit_test_setup_teardown(test_slave_served_by_a_receiving_slave, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_gone_leaves_the_tree, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_piece_drops_the_relay_at_once, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_child_of_a_done_relay_drops_it, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_child_of_a_receiving_relay_is_not_its_fault, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_source_below_its_own_child, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices_without_a_file_server_never_serve, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_source_takes_over_a_waiting_child, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_game_leaves_stock_devices_where_they_are, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_measured_egress_widens_the_fanout, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_children_coming_and_going_keep_the_reading, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_budget_holds_the_group, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_master_holds_the_group, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_waves_open_on_success, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_waves_halt_on_errors, tree_setup, teardown),
		cmocka_unit_test_setup_teardown(test_wave_parsing_and_policy_text, tree_setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
