/* Campaign member bookkeeping: state changes with per-state counts and
 * in-flight slots, dispatching a member (its RPCs queued and a connection
 * request sent), pumping a group's pending slaves of the open waves (not
 * while a gate holds the group; to the tree's sources, or with one master
 * up to the fan-out cap: a slave whose TransferComplete is overdue gives
 * its slot up, up to twice the fan-out in all), and master failover (re-election among the group's
 * members, re-pointing of unfinished slaves, fallback to the origin after
 * too many failed masters). */
#include "acs/campaign.h"
#include "acs/campaign_report.h"
#include "acs/connection_request.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

static const char *const member_state_names[MEMBER_STATE_COUNT] = {
	"pending", "queued", "downloading", "done", "failed", "cancelled",
};

const char *member_state_name(enum member_state state)
{
	return (unsigned int)state < MEMBER_STATE_COUNT ? member_state_names[state] : "unknown";
}

const char *campaign_state_name(enum campaign_state state)
{
	static const char *const names[] = { "running", "paused", "cancelled", "done", "halted" };

	return (unsigned int)state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

const char *campaign_mode_name(enum campaign_mode mode)
{
	return mode == CAMPAIGN_MODE_SPV ? "spv" : "url";
}

static bool in_flight_state(enum member_state state)
{
	return state == MEMBER_QUEUED || state == MEMBER_DOWNLOADING;
}

bool member_active(const struct campaign_member *member)
{
	return member && member->state <= MEMBER_DOWNLOADING && member->group &&
	       (member->group->campaign->state == CAMPAIGN_RUNNING || member->group->campaign->state == CAMPAIGN_PAUSED);
}

/* Gives up the member's released-slot mark (it moves on). */
static void clear_released(struct campaign_member *member)
{
	if (!member->slot_released)
		return;
	member->slot_released = false;
	if (member->group->released)
		member->group->released--;
}

void member_release_slot(struct campaign_member *member)
{
	struct campaign_group *group = member->group;

	if (member->slot_released || member->role != ROLE_SLAVE || !in_flight_state(member->state))
		return;
	member->slot_released = true;
	if (group->in_flight)
		group->in_flight--;
	group->released++;
}

void member_set_state(struct campaign *campaign, struct campaign_member *member, enum member_state state,
		      struct store_batch *batch)
{
	struct campaign_group *group = member->group;
	bool slave_slot_before = member->role == ROLE_SLAVE && in_flight_state(member->state) && !member->slot_released;
	bool slave_slot_after = member->role == ROLE_SLAVE && in_flight_state(state);

	clear_released(member);

	campaign->counts[member->state]--;
	campaign->counts[state]++;
	if (slave_slot_before && !slave_slot_after && group->in_flight)
		group->in_flight--;
	if (!slave_slot_before && slave_slot_after)
		group->in_flight++;
	member->state = state;
	member->since_ms = monotonic_ms();
	if (state == MEMBER_PENDING && member->group->next_pending > 0)
		member->group->next_pending = 0;
	if (batch)
		store_batch_member(batch, campaign, member);
}

/* Changes a member's role, keeping the in-flight count right. */
static void member_set_role(struct campaign_member *member, enum member_role role)
{
	struct campaign_group *group = member->group;

	bool held = member->role == ROLE_SLAVE && !member->slot_released;

	if (member->role == role)
		return;
	if (in_flight_state(member->state)) {
		clear_released(member);
		if (!held && role == ROLE_SLAVE)
			group->in_flight++;
		else if (held && role != ROLE_SLAVE && group->in_flight)
			group->in_flight--;
	}
	member->role = role;
	if (role == ROLE_MASTER)
		member->was_master = true;
}

void member_dispatch(struct controller *controller, struct campaign_member *member, struct store_batch *batch)
{
	struct campaign_group *group = member->group;
	uint32_t source = 0;

	if (member->role != ROLE_MASTER && !group->fallback_origin && group->master)
		source = group->master->device->id;
	member_dispatch_from(controller, member, source, batch);
}

void member_dispatch_from(struct controller *controller, struct campaign_member *member, uint32_t source_device_id,
			  struct store_batch *batch)
{
	struct campaign *campaign = member->group->campaign;

	member->attempts++;
	member->dispatch++;
	member->step = member->device->cascade_capable ? STEP_SET_PARAMETERS : STEP_DOWNLOAD;
	member->plain_download = false;
	member->download_url_empty = false;
	member->pokes = 0;
	member->next_poke_ms = 0;
	member->source_device_id = source_device_id;
	member_set_state(campaign, member, MEMBER_QUEUED, batch);
	connection_request(controller, member->device);
}

void group_pump(struct controller *controller, struct campaign_group *group, struct store_batch *batch)
{
	struct campaign *campaign = group->campaign;
	bool source_ready = group->fallback_origin || (group->master && group->master->state == MEMBER_DONE);
	size_t cut;

	if (campaign->state != CAMPAIGN_RUNNING)
		return;
	group_gate_update(controller, group, monotonic_ms());
	if (group->hold != HOLD_NONE)
		return;
	if (campaign->sources == SOURCES_TREE && group->master && !group->fallback_origin) {
		tree_pump(controller, group, batch);
		return;
	}
	if (!source_ready)
		return;
	cut = campaign_waves_cut(&campaign->waves, campaign->waves.open, group->member_count);
	while (group->in_flight < campaign->fanout && group->in_flight + group->released < 2 * campaign->fanout &&
	       group->next_pending < cut) {
		struct campaign_member *member = group->members[group->next_pending];

		if (member->state == MEMBER_PENDING && member->role == ROLE_SLAVE)
			member_dispatch(controller, member, batch);
		else
			group->next_pending++;
	}
}

struct campaign_member *campaign_elect(struct controller *controller, struct campaign_group *group)
{
	uint64_t now = realtime_seconds();
	struct campaign_member *best = NULL, *sitting = NULL;

	for (size_t i = 0; i < group->member_count; i++) {
		struct campaign_member *candidate = group->members[i];

		if (candidate->state == MEMBER_FAILED || candidate->state == MEMBER_CANCELLED ||
		    campaign_bad_source(group, candidate->device->id) ||
		    !policy_eligible(&controller->config, candidate->device, group->campaign->image_size, now))
			continue;
		if (candidate->device == group->group->master)
			sitting = candidate;
		if (!best || policy_compare(candidate->device, best->device) < 0)
			best = candidate;
	}
	/* hysteresis: the group's sitting master stays unless clearly beaten */
	if (sitting && best != sitting && !policy_displaces(&controller->config, best->device, sitting->device))
		best = sitting;
	if (best)
		group->group->master = best->device;
	return best;
}

/* Puts the new master to work: a device that already holds the image
 * serves at once, any other downloads it from the origin first. */
static void install_master(struct controller *controller, struct campaign_group *group,
			   struct campaign_member *master, struct store_batch *batch)
{
	member_set_role(master, ROLE_MASTER);
	group->master = master;
	group->serve_failures = 0;
	log_info("campaign %u group %u: master is %s", group->campaign->id, group->group->id, master->device->key);
	if (master->state == MEMBER_DONE) {
		store_batch_member(batch, group->campaign, master);
		return;
	}
	if (in_flight_state(master->state) && master->attempts)
		master->attempts--; /* re-pointed, not failed */
	member_dispatch(controller, master, batch);
}

void master_failed(struct controller *controller, struct campaign_group *group, const char *reason,
		   struct store_batch *batch)
{
	struct campaign *campaign = group->campaign;
	struct campaign_member *old = group->master, *next;
	uint32_t old_id = old ? old->device->id : 0;
	uint32_t *bigger;

	if (!old)
		return;
	log_warn("campaign %u group %u: master %s failed (%s)", campaign->id, group->group->id, old->device->key,
		 reason);
	bigger = realloc(group->bad_masters, (group->bad_master_count + 1) * sizeof(*bigger));
	if (bigger) {
		group->bad_masters = bigger;
		group->bad_masters[group->bad_master_count++] = old_id;
	}
	group->failed_masters++;
	group->master = NULL;
	member_set_role(old, ROLE_SLAVE);
	if (in_flight_state(old->state)) {
		if (old->attempts >= controller->config.max_attempts)
			member_set_state(campaign, old, MEMBER_FAILED, batch);
		else
			member_set_state(campaign, old, MEMBER_PENDING, batch);
	} else {
		store_batch_member(batch, campaign, old);
	}
	/* Slaves still fetching from the failed master start over elsewhere. */
	for (size_t i = 0; i < group->member_count; i++) {
		struct campaign_member *member = group->members[i];

		if (member->role != ROLE_SLAVE || !in_flight_state(member->state) || member->source_device_id != old_id)
			continue;
		if (member->attempts)
			member->attempts--;
		member_set_state(campaign, member, MEMBER_PENDING, batch);
	}
	/* Failures against the bad master were its fault, not the slaves':
	 * they no longer count towards max_attempts, and a slave they had
	 * failed outright gets its turn again (it may be the next master). */
	for (size_t i = 0; i < group->member_count; i++) {
		struct campaign_member *member = group->members[i];
		unsigned int refund = member->failures_against_source;

		if (member->failed_source_id != old_id || refund == 0)
			continue;
		member->attempts -= refund < member->attempts ? refund : member->attempts;
		member->failures_against_source = 0;
		if (member->state == MEMBER_FAILED)
			member_set_state(campaign, member, MEMBER_PENDING, batch);
		else
			store_batch_member(batch, campaign, member);
	}
	next = group->failed_masters >= controller->config.max_failed_masters ? NULL : campaign_elect(controller, group);
	if (next) {
		install_master(controller, group, next, batch);
	} else {
		group->fallback_origin = true;
		log_warn("campaign %u group %u: no master left, slaves fall back to the origin", campaign->id,
			 group->group->id);
	}
	store_batch_campaign_group(batch, group);
	group_pump(controller, group, batch);
}

void campaign_check_done(struct controller *controller, struct campaign *campaign, struct store_batch *batch)
{
	(void)controller;
	if (campaign->state != CAMPAIGN_RUNNING)
		return;
	if (campaign->counts[MEMBER_PENDING] + campaign->counts[MEMBER_QUEUED] + campaign->counts[MEMBER_DOWNLOADING])
		return;
	campaign->state = CAMPAIGN_DONE;
	campaign->finished_ms = campaign_clock_ms();
	log_info("campaign %u done: %zu done, %zu failed", campaign->id, campaign->counts[MEMBER_DONE],
		 campaign->counts[MEMBER_FAILED]);
	store_batch_campaign(batch, campaign);
}
