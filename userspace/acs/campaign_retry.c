/* Failed members back into their campaign (see campaign_retry.h). */
#include "acs/campaign_retry.h"
#include "acs/campaign.h"

#include <errno.h>

#include "common/log.h"

int campaign_retry_member(struct controller *controller, struct campaign_member *member, struct store_batch *batch)
{
	struct campaign *campaign = member->group->campaign;

	if (campaign->state == CAMPAIGN_CANCELLED || campaign->state == CAMPAIGN_HALTED)
		return -EPERM;
	if (member->state != MEMBER_FAILED)
		return -EALREADY;
	member->attempts = 0;
	member->failures_against_source = 0;
	member->failed_source_id = 0;
	member->fault_code = 0;
	if (member->role == ROLE_MASTER && member->group->master != member)
		member->role = ROLE_SLAVE; /* a failed master comes back as a slave */
	member_set_state(campaign, member, MEMBER_PENDING, batch);
	if (campaign->state == CAMPAIGN_DONE) {
		campaign->state = CAMPAIGN_RUNNING;
		campaign->finished_ms = 0;
		store_batch_campaign(batch, campaign);
	}
	log_info("campaign %u: %s retried by the operator", campaign->id, member->device->key);
	if (member->role == ROLE_MASTER)
		member_dispatch(controller, member, batch);
	else
		group_pump(controller, member->group, batch);
	return 0;
}
