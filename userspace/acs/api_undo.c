/* Putting the model back after a refused API commit (see api_undo.h). */
#include "acs/api_undo.h"
#include "acs/campaign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int membership_snapshot_take(const struct controller *controller, struct membership_snapshot *snapshot)
{
	snapshot->count = controller->device_count;
	snapshot->members = calloc(snapshot->count ? snapshot->count : 1, sizeof(*snapshot->members));
	if (!snapshot->members)
		return -ENOMEM;
	for (size_t i = 0; i < snapshot->count; i++)
		if (controller->devices[i])
			snapshot->members[i] = controller->devices[i]->member;
	return 0;
}

void membership_snapshot_free(struct membership_snapshot *snapshot)
{
	free(snapshot->members);
	snapshot->members = NULL;
	snapshot->count = 0;
}

void api_undo_campaign_start(struct controller *controller, struct campaign *campaign,
			     const struct membership_snapshot *before)
{
	for (size_t i = 0; i < before->count && i < controller->device_count; i++)
		if (controller->devices[i])
			controller->devices[i]->member = before->members[i];
	if (controller->campaign_count && controller->campaigns[controller->campaign_count - 1] == campaign) {
		controller->campaign_count--;
		log_warn("campaign %u discarded: it could not be saved", campaign->id);
		campaign_free(campaign);
	}
}

int campaign_snapshot_take(const struct campaign *campaign, struct campaign_snapshot *snapshot)
{
	memset(snapshot, 0, sizeof(*snapshot));
	snapshot->campaign = *campaign;
	snapshot->members = malloc((campaign->member_count ? campaign->member_count : 1) * sizeof(*snapshot->members));
	snapshot->groups = malloc((campaign->group_count ? campaign->group_count : 1) * sizeof(*snapshot->groups));
	if (!snapshot->members || !snapshot->groups) {
		campaign_snapshot_free(snapshot);
		return -ENOMEM;
	}
	if (campaign->member_count)
		memcpy(snapshot->members, campaign->members, campaign->member_count * sizeof(*snapshot->members));
	if (campaign->group_count)
		memcpy(snapshot->groups, campaign->groups, campaign->group_count * sizeof(*snapshot->groups));
	return 0;
}

void campaign_snapshot_restore(struct campaign *campaign, const struct campaign_snapshot *snapshot)
{
	struct campaign_member *members = campaign->members;
	struct campaign_group *groups = campaign->groups;

	/* the arrays stay where they are (members and sessions point into
	 * them); a bad-master list may have moved, and only ever grows */
	for (size_t g = 0; g < campaign->group_count; g++) {
		uint32_t *bad_masters = groups[g].bad_masters;

		groups[g] = snapshot->groups[g];
		groups[g].bad_masters = bad_masters;
	}
	if (campaign->member_count)
		memcpy(members, snapshot->members, campaign->member_count * sizeof(*members));
	*campaign = snapshot->campaign;
	campaign->members = members;
	campaign->groups = groups;
}

void campaign_snapshot_free(struct campaign_snapshot *snapshot)
{
	free(snapshot->members);
	free(snapshot->groups);
	snapshot->members = NULL;
	snapshot->groups = NULL;
}
