/* Undoing an operator API change whose commit failed. The API makes a
 * change and commits it with the controller lock held, so no CWMP session
 * acts on it before it is durable; when the commit fails these put the
 * model back as it was, so memory never holds what the database refused.
 * Every function runs with the controller lock held. */
#ifndef CASCADE_ACS_API_UNDO_H
#define CASCADE_ACS_API_UNDO_H

#include "acs/model.h"

/* Each device's campaign membership before a campaign starts. */
struct membership_snapshot {
	struct campaign_member **members; /* by device id - 1 */
	size_t count;
};

int membership_snapshot_take(const struct controller *controller, struct membership_snapshot *snapshot);
void membership_snapshot_free(struct membership_snapshot *snapshot);
/* Removes campaign, the newest one, and gives every device its membership
 * from before it started. */
void api_undo_campaign_start(struct controller *controller, struct campaign *campaign,
			     const struct membership_snapshot *before);

/* A campaign's state, counts, groups and members (what pause, resume and
 * cancel change). */
struct campaign_snapshot {
	struct campaign campaign;
	struct campaign_member *members;
	struct campaign_group *groups;
};

int campaign_snapshot_take(const struct campaign *campaign, struct campaign_snapshot *snapshot);
void campaign_snapshot_restore(struct campaign *campaign, const struct campaign_snapshot *snapshot);
void campaign_snapshot_free(struct campaign_snapshot *snapshot);

#endif
