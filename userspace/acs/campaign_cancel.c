/* Cancelled campaigns: who stops at once and whose running transfer is
 * still recorded as it ends (see campaign_cancel.h). */
#include "acs/campaign_cancel.h"
#include "acs/campaign.h"
#include "acs/campaign_report.h"

#include "common/clock.h"
#include "common/log.h"

/* The Download went out (or was accepted): the device may be fetching. */
static bool transfer_started(const struct campaign_member *member)
{
	return member->state == MEMBER_DOWNLOADING || (member->state == MEMBER_QUEUED && member->step == STEP_SENT);
}

void campaign_cancel(struct controller *controller, struct campaign *campaign, struct store_batch *batch)
{
	size_t running = 0;

	(void)controller;
	for (size_t i = 0; i < campaign->member_count; i++) {
		struct campaign_member *member = &campaign->members[i];

		if (member->state > MEMBER_DOWNLOADING)
			continue;
		if (transfer_started(member)) {
			member->since_ms = monotonic_ms(); /* the stall timeout counts from the cancel */
			running++;
		} else {
			member_set_state(campaign, member, MEMBER_CANCELLED, batch);
		}
	}
	campaign->state = CAMPAIGN_CANCELLED;
	campaign->finished_ms = campaign_clock_ms();
	if (running)
		log_info("campaign %u: cancelled; %zu transfers already running are recorded as they end", campaign->id,
			 running);
}

bool member_running_after_cancel(const struct campaign_member *member)
{
	return member && member->group && member->group->campaign->state == CAMPAIGN_CANCELLED &&
	       (member->state == MEMBER_QUEUED || member->state == MEMBER_DOWNLOADING);
}

struct campaign_member *cancelled_member_running(struct controller *controller, struct device *device,
						 uint32_t campaign_id)
{
	struct campaign *campaign;

	if (member_running_after_cancel(device->member) && device->member->group->campaign->id == campaign_id)
		return device->member;
	campaign = campaign_by_id(controller, campaign_id);
	if (!campaign || campaign->state != CAMPAIGN_CANCELLED ||
	    !(campaign->counts[MEMBER_QUEUED] + campaign->counts[MEMBER_DOWNLOADING]))
		return NULL;
	for (size_t i = 0; i < campaign->member_count; i++) /* an older membership: rare, bounded by the campaign */
		if (campaign->members[i].device == device)
			return member_running_after_cancel(&campaign->members[i]) ? &campaign->members[i] : NULL;
	return NULL;
}

static void finish(struct campaign_member *member, uint32_t code, struct store_batch *batch)
{
	struct campaign *campaign = member->group->campaign;

	member->fault_code = code;
	member_set_state(campaign, member, code ? MEMBER_FAILED : MEMBER_DONE, batch);
	log_info("campaign %u (cancelled): %s's running transfer ended %s (fault %u)", campaign->id, member->device->key,
		 code ? "failed" : "done", code);
}

void cancelled_download_response(struct campaign_member *member, int status, struct store_batch *batch)
{
	if (member->state != MEMBER_QUEUED)
		return;
	if (member->source_device_id == 0)
		member->origin_downloads++;
	if (status == 0)
		finish(member, 0, batch);
	else
		member_set_state(member->group->campaign, member, MEMBER_DOWNLOADING, batch);
}

void cancelled_download_fault(struct campaign_member *member, uint32_t code, struct store_batch *batch)
{
	if (member->state == MEMBER_QUEUED)
		finish(member, code ? code : 9002, batch);
}

void cancelled_transfer_complete(struct campaign_member *member, uint32_t code, bool current_attempt,
				 struct store_batch *batch)
{
	/* an older attempt's failure says nothing about the running one */
	if (code == 0 || current_attempt)
		finish(member, code, batch);
}

void cancelled_campaign_tick(struct controller *controller, struct campaign *campaign, struct store_batch *batch)
{
	uint64_t now_ms = monotonic_ms();

	if (!(campaign->counts[MEMBER_QUEUED] + campaign->counts[MEMBER_DOWNLOADING]))
		return;
	for (size_t i = 0; i < campaign->member_count; i++) {
		struct campaign_member *member = &campaign->members[i];

		if (member_running_after_cancel(member) && now_ms - member->since_ms > controller->config.stall_timeout_ms)
			member_set_state(campaign, member, MEMBER_CANCELLED, batch);
	}
}
