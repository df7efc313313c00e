/* Retrying failed devices (the console's and `cascadectl faults retry`):
 * a failed member of a running, paused or done campaign goes back to
 * pending with its attempts and failure tallies reset, and a done campaign
 * runs again; its group's fan-out dispatches it as usual. A cancelled or
 * halted campaign retries nobody. Runs with the controller lock held. */
#ifndef CASCADE_ACS_CAMPAIGN_RETRY_H
#define CASCADE_ACS_CAMPAIGN_RETRY_H

#include "acs/model.h"
#include "acs/store.h"

/* 0; -EALREADY when the member has not failed; -EPERM when its campaign is
 * cancelled or halted. */
int campaign_retry_member(struct controller *controller, struct campaign_member *member, struct store_batch *batch);

#endif
