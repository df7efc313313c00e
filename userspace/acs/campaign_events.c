/* What devices report back into a campaign: SetParameterValues and
 * Download responses, faults, TransferComplete (matched by CommandKey,
 * possibly sessions later), occupancy in Informs; and the periodic tick
 * that catches stalled or vanished masters and re-sends connection
 * requests. */
#include "acs/campaign.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

static struct campaign_member *active_member(struct device *device)
{
	return member_active(device->member) ? device->member : NULL;
}

static void member_succeeded(struct controller *controller, struct campaign_member *member, struct store_batch *batch)
{
	struct campaign_group *group = member->group;
	struct campaign *campaign = group->campaign;

	member->fault_code = 0;
	member_set_state(campaign, member, MEMBER_DONE, batch);
	if (member->role == ROLE_MASTER)
		log_info("campaign %u group %u: master %s has the image", campaign->id, group->group->id,
			 member->device->key);
	group_pump(controller, group, batch);
	campaign_check_done(controller, campaign, batch);
}

/* Records a slave's failure against its group's master; true when enough
 * distinct slaves have failed there to call the master bad. Distinct, so
 * one broken slave retrying cannot fail a healthy master alone; capped by
 * the group's slave count, so a small group still gets rid of a bad one. */
static bool count_serve_failure(struct controller *controller, struct campaign_group *group,
				struct campaign_member *member)
{
	uint32_t master_id = group->master->device->id;
	unsigned int slaves = 0, limit = controller->config.master_serve_failures;

	if (member->failed_source_id != master_id) {
		member->failed_source_id = master_id;
		member->failures_against_source = 0;
		group->serve_failures++;
	}
	member->failures_against_source++;
	for (size_t i = 0; i < group->member_count && slaves < limit; i++)
		if (group->members[i]->role == ROLE_SLAVE && group->members[i]->state != MEMBER_CANCELLED)
			slaves++;
	if (slaves > 0 && slaves < limit)
		limit = slaves;
	return group->serve_failures >= limit;
}

static void member_failed(struct controller *controller, struct campaign_member *member, uint32_t code,
			  const char *reason, struct store_batch *batch)
{
	struct campaign_group *group = member->group;
	struct campaign *campaign = group->campaign;

	member->fault_code = code;
	if (member->role == ROLE_MASTER && group->master == member) {
		char why[96];

		snprintf(why, sizeof(why), "%s, fault %u", reason, code);
		master_failed(controller, group, why, batch);
		campaign_check_done(controller, campaign, batch);
		return;
	}
	if (group->master && member->source_device_id == group->master->device->id &&
	    count_serve_failure(controller, group, member)) {
		member_set_state(campaign, member, MEMBER_PENDING, batch);
		master_failed(controller, group, "its slaves cannot download from it", batch);
		campaign_check_done(controller, campaign, batch);
		return;
	}
	if (member->attempts >= controller->config.max_attempts) {
		log_warn("campaign %u: %s failed after %u attempts (%s, fault %u)", campaign->id, member->device->key,
			 member->attempts, reason, code);
		member_set_state(campaign, member, MEMBER_FAILED, batch);
	} else {
		member_set_state(campaign, member, MEMBER_PENDING, batch);
	}
	group_pump(controller, group, batch);
	campaign_check_done(controller, campaign, batch);
}

void campaign_on_set_parameters_done(struct controller *controller, struct device *device, bool fault,
				     struct store_batch *batch)
{
	struct campaign_member *member = active_member(device);

	(void)controller;
	(void)batch;
	if (!member || member->state != MEMBER_QUEUED)
		return;
	if (fault)
		member->plain_download = true; /* the device cannot take our parameters: plain Download */
	member->step = STEP_DOWNLOAD;
}

void campaign_on_download_response(struct controller *controller, struct device *device, int status,
				   struct store_batch *batch)
{
	struct campaign_member *member = active_member(device);

	if (!member || member->state != MEMBER_QUEUED)
		return;
	if (status == 0)
		member_succeeded(controller, member, batch);
	else
		member_set_state(member->group->campaign, member, MEMBER_DOWNLOADING, batch);
}

void campaign_on_download_fault(struct controller *controller, struct device *device, uint32_t code,
				struct store_batch *batch)
{
	struct campaign_member *member = active_member(device);

	if (member && member->state == MEMBER_QUEUED)
		member_failed(controller, member, code, "Download refused", batch);
}

void campaign_on_transfer_complete(struct controller *controller, struct device *device,
				   const struct cwmp_transfer_complete *transfer, struct store_batch *batch)
{
	struct campaign_member *member = active_member(device);
	unsigned int campaign_id, device_id, attempt, source = 0;
	int fields;

	if (!member)
		return;
	fields = sscanf(transfer->command_key, CAMPAIGN_COMMAND_KEY_FORMAT, &campaign_id, &device_id, &attempt, &source);
	if (fields < 3 || campaign_id != member->group->campaign->id || device_id != device->id)
		return;
	if (transfer->fault.code == 0) {
		member_succeeded(controller, member, batch);
		return;
	}
	/* A late failure of an attempt we already replaced: an older attempt, or
	 * the same attempt number against another source (a re-pointed slave
	 * keeps its attempt count, so the key's source tells them apart). */
	if (attempt != member->attempts || (fields == 4 && source != member->source_device_id))
		return;
	member_failed(controller, member, transfer->fault.code, "TransferComplete fault", batch);
}

void campaign_on_inform(struct controller *controller, struct device *device, struct store_batch *batch)
{
	struct campaign_member *member = device->member;

	if (!member || member->role != ROLE_MASTER || member->group->master != member ||
	    member->group->campaign->state != CAMPAIGN_RUNNING)
		return;
	if (device->has_occupancy && device->cpu_occupancy > controller->config.election_max_occupancy) {
		char why[64];

		snprintf(why, sizeof(why), "CPU occupancy %u.%02u%% over the limit", device->cpu_occupancy / 100,
			 device->cpu_occupancy % 100);
		master_failed(controller, member->group, why, batch);
	}
}

static void tick_campaign(struct controller *controller, struct campaign *campaign, struct store_batch *batch)
{
	const struct acs_config *config = &controller->config;
	uint64_t now_ms = monotonic_ms(), now_seconds = realtime_seconds();

	for (size_t g = 0; g < campaign->group_count && campaign->state == CAMPAIGN_RUNNING; g++) {
		struct campaign_group *group = &campaign->groups[g];
		struct campaign_member *master = group->master;

		if (master && (master->state == MEMBER_QUEUED || master->state == MEMBER_DOWNLOADING) &&
		    now_ms - master->since_ms > config->stall_timeout_ms) {
			master_failed(controller, group, "stalled", batch);
		} else if (master && master->state == MEMBER_DONE && group->in_flight > 0 &&
			   master->device->last_inform + config->disappear_timeout_ms / 1000 < now_seconds) {
			master_failed(controller, group, "disappeared", batch);
		}
		for (size_t i = 0; i < group->member_count; i++) {
			struct campaign_member *member = group->members[i];

			if (member->state != MEMBER_QUEUED && member->state != MEMBER_DOWNLOADING)
				continue;
			if (member->role == ROLE_SLAVE && now_ms - member->since_ms > config->stall_timeout_ms) {
				member_failed(controller, member, 0, "stalled", batch);
				continue;
			}
			if (member->state == MEMBER_QUEUED &&
			    now_ms - member->device->connection_requested_ms > config->connection_request_retry_ms)
				connection_request(controller, member->device);
		}
		group_pump(controller, group, batch);
	}
	campaign_check_done(controller, campaign, batch);
}

void campaign_tick(struct controller *controller, struct store_batch *batch)
{
	for (size_t i = 0; i < controller->campaign_count; i++)
		if (controller->campaigns[i]->state == CAMPAIGN_RUNNING)
			tick_campaign(controller, controller->campaigns[i], batch);
}
