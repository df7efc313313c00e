/* What devices report back into a campaign: SetParameterValues and
 * Download responses, faults, TransferComplete (matched by CommandKey,
 * possibly sessions later), occupancy in Informs; and the periodic tick
 * that opens waves, asks for the sources' readings, catches stalled or
 * vanished masters, re-sends connection requests and asks devices whose
 * TransferComplete is overdue to call in. Only a TransferComplete fault of
 * a slave that was sent a Download pointing at its master (or relay)
 * counts against that source; a stall or a refused Download is the
 * slave's own. A fault of spv mode's empty-URL Download or of its
 * TransferComplete moves the device to url mode. An integrity failure
 * (9018, 9019) of the origin's image at a master halts the campaign. */
#include "acs/campaign.h"
#include "acs/campaign_cancel.h"
#include "acs/campaign_report.h"
#include "acs/connection_request.h"

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

	if (member->state == MEMBER_DOWNLOADING && member->pokes == 0) { /* an unprompted report times the download */
		campaign->download_ms_total += monotonic_ms() - member->since_ms;
		campaign->download_samples++;
	}
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

/* blame_source: a TransferComplete fault of a download from its source,
 * which may count against that master. */
static void member_failed(struct controller *controller, struct campaign_member *member, uint32_t code,
			  const char *reason, bool blame_source, struct store_batch *batch)
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
	if (blame_source && tree_relay_fault(controller, member, code, batch)) {
		group_pump(controller, group, batch);
		campaign_check_done(controller, campaign, batch);
		return;
	}
	if (blame_source && group->master && member->source_device_id == group->master->device->id &&
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

	if (member_running_after_cancel(device->member)) {
		cancelled_download_response(device->member, status, batch);
		return;
	}
	if (!member || member->state != MEMBER_QUEUED)
		return;
	if (member->source_device_id == 0)
		member->origin_downloads++; /* the campaign report's origin requests */
	if (status == 0)
		member_succeeded(controller, member, batch);
	else
		member_set_state(member->group->campaign, member, MEMBER_DOWNLOADING, batch);
}

void campaign_on_download_fault(struct controller *controller, struct device *device, uint32_t code,
				struct store_batch *batch)
{
	struct campaign_member *member = active_member(device);

	if (member_running_after_cancel(device->member)) {
		cancelled_download_fault(device->member, code, batch);
		return;
	}
	if (!member || member->state != MEMBER_QUEUED)
		return;
	if (member->download_url_empty) { /* it cannot take spv mode: the same Download with the URL, at once */
		log_info("campaign %u: %s faulted the empty-URL Download (%u): url mode from now on",
			 member->group->campaign->id, device->key, code);
		device->spv_refused = true;
		member->step = STEP_DOWNLOAD;
		return;
	}
	member_failed(controller, member, code, "Download refused", false, batch);
}

void campaign_on_session_dropped(struct controller *controller, struct device *device, enum awaiting awaited,
				 unsigned int dispatch)
{
	struct campaign_member *member = active_member(device);

	(void)controller;
	if (!member || member->state != MEMBER_QUEUED || member->dispatch != dispatch)
		return;
	if (awaited == AWAIT_DOWNLOAD && member->step == STEP_SENT)
		member->step = STEP_DOWNLOAD; /* never answered: send it again in the next session */
}

/* The origin's image failed a device's integrity check (hash or
 * signature): the campaign halts instead of sending anyone elsewhere. */
static void campaign_halt(struct controller *controller, struct campaign_member *member, uint32_t code,
			  struct store_batch *batch)
{
	struct campaign *campaign = member->group->campaign;
	char reason[160];

	(void)controller;
	member->fault_code = code;
	member_set_state(campaign, member, MEMBER_FAILED, batch);
	if (campaign->state == CAMPAIGN_HALTED)
		return;
	campaign->state = CAMPAIGN_HALTED;
	campaign->finished_ms = campaign_clock_ms();
	campaign_halt_reason(campaign, reason, sizeof(reason), NULL, NULL);
	log_error("campaign %u halted: %s (first: %s); cancel it and start one with a good image", campaign->id,
		  reason, member->device->key);
	store_batch_campaign(batch, campaign);
}

/* A fault in spv mode: url mode from now on (the next attempt carries the
 * URL). Only a fault that implicates the server (9015-9019) may count
 * against the master. */
static void spv_failed(struct controller *controller, struct campaign_member *member, uint32_t code,
		       struct store_batch *batch)
{
	log_info("campaign %u: %s reported %u for its empty-URL Download: url mode from now on",
		 member->group->campaign->id, member->device->key, code);
	member->device->spv_refused = true;
	member_failed(controller, member, code, "TransferComplete fault (spv)", code >= 9015 && code <= 9019, batch);
}

/* A master refusing the origin's image for its hash or signature. */
static bool origin_integrity_failure(const struct campaign_member *member, uint32_t code)
{
	return member->role == ROLE_MASTER && member->source_device_id == 0 && (code == 9018 || code == 9019);
}

/* A halted campaign still records what its downloads end with. */
static void record_while_halted(struct controller *controller, struct campaign_member *member, uint32_t code,
				bool current, struct store_batch *batch)
{
	if (member->state > MEMBER_DOWNLOADING)
		return;
	if (code == 0) {
		member->fault_code = 0;
		member_set_state(member->group->campaign, member, MEMBER_DONE, batch);
	} else if (current && origin_integrity_failure(member, code)) {
		campaign_halt(controller, member, code, batch);
	}
}

void campaign_on_transfer_complete(struct controller *controller, struct device *device,
				   const struct cwmp_transfer_complete *transfer, struct store_batch *batch)
{
	struct campaign_member *member = device->member;
	unsigned int campaign_id, device_id, attempt, source = 0;
	uint32_t code = transfer->fault.code;
	bool current;
	int fields;

	fields = sscanf(transfer->command_key, CAMPAIGN_COMMAND_KEY_FORMAT, &campaign_id, &device_id, &attempt, &source);
	if (fields < 3 || device_id != device->id)
		return;
	/* a cancelled campaign's transfer that was running: recorded as it ends */
	if ((member = cancelled_member_running(controller, device, campaign_id)) != NULL) {
		cancelled_transfer_complete(member, code,
					    attempt == member->attempts && (fields < 4 || source == member->source_device_id),
					    batch);
		return;
	}
	member = device->member;
	if (!member || !member->group || campaign_id != member->group->campaign->id)
		return;
	/* A late failure of an attempt we already replaced: an older attempt, or
	 * the same attempt number against another source (a re-pointed slave
	 * keeps its attempt count, so the key's source tells them apart). */
	current = attempt == member->attempts && (fields < 4 || source == member->source_device_id);
	if (member->group->campaign->state == CAMPAIGN_HALTED) {
		record_while_halted(controller, member, code, current, batch);
		return;
	}
	if (!member_active(member))
		return;
	if (code == 0) {
		member_succeeded(controller, member, batch);
		return;
	}
	if (!current)
		return;
	if (origin_integrity_failure(member, code))
		campaign_halt(controller, member, code, batch);
	else if (member->download_url_empty)
		spv_failed(controller, member, code, batch);
	else
		member_failed(controller, member, code, "TransferComplete fault", true, batch);
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

/* How long a download of the campaign's image takes: the average of the
 * unprompted reports so far, or the size at [campaign] assumed_rate. */
static uint64_t expected_download_ms(const struct controller *controller, const struct campaign *campaign)
{
	if (campaign->download_samples)
		return campaign->download_ms_total / campaign->download_samples;
	return campaign->image_size * 1000 / controller->config.assumed_rate;
}

/* A downloading member whose TransferComplete is overdue is asked to call
 * in (some devices report only at their next periodic Inform otherwise),
 * again at doubling intervals, and a slave gives up its fan-out slot. */
static void poke_if_overdue(struct controller *controller, struct campaign_member *member, uint64_t now_ms)
{
	const struct acs_config *config = &controller->config;
	uint64_t expected = expected_download_ms(controller, member->group->campaign);
	uint64_t overdue_after = expected * config->overdue_factor, interval;

	if (overdue_after < config->overdue_minimum_ms)
		overdue_after = config->overdue_minimum_ms;
	if (now_ms - member->since_ms < overdue_after || now_ms < member->next_poke_ms)
		return;
	interval = expected > config->overdue_minimum_ms ? expected : config->overdue_minimum_ms;
	interval <<= member->pokes < 5 ? member->pokes : 5;
	if (interval > config->connection_request_retry_ms)
		interval = config->connection_request_retry_ms > config->overdue_minimum_ms
				   ? config->connection_request_retry_ms
				   : config->overdue_minimum_ms;
	member->pokes++;
	member->next_poke_ms = now_ms + interval;
	connection_request(controller, member->device);
	member_release_slot(member);
}

static void tick_campaign(struct controller *controller, struct campaign *campaign, struct store_batch *batch)
{
	const struct acs_config *config = &controller->config;
	uint64_t now_ms = monotonic_ms(), now_seconds = realtime_seconds();

	campaign_waves_update(controller, campaign, batch);
	campaign_request_readings(controller, campaign, now_ms);

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
				member_failed(controller, member, 0, "stalled", false, batch);
				continue;
			}
			if (member->state == MEMBER_QUEUED &&
			    now_ms - member->device->connection_requested_ms > config->connection_request_retry_ms)
				connection_request(controller, member->device);
			else if (member->state == MEMBER_DOWNLOADING)
				poke_if_overdue(controller, member, now_ms);
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
		else if (controller->campaigns[i]->state == CAMPAIGN_CANCELLED)
			cancelled_campaign_tick(controller, controller->campaigns[i], batch);
}
