/* What cancelling a campaign means. Members that have not been sent their
 * Download yet (pending, or queued with the Download not gone out) are
 * cancelled at once. A member whose Download went out keeps running: its
 * DownloadResponse and TransferComplete are recorded as they come (done,
 * or failed with the fault), never as cancelled; nothing new is sent to
 * anyone, no retry, no failover. One that has not reported within
 * [campaign] stall-timeout is then cancelled. Until then it is not taken
 * into a new campaign. Every function runs with the controller lock held. */
#ifndef CASCADE_ACS_CAMPAIGN_CANCEL_H
#define CASCADE_ACS_CAMPAIGN_CANCEL_H

#include <stdbool.h>
#include <stdint.h>

#include "acs/model.h"
#include "acs/store.h"

void campaign_cancel(struct controller *controller, struct campaign *campaign, struct store_batch *batch);
/* A member of a cancelled campaign whose transfer still runs. */
bool member_running_after_cancel(const struct campaign_member *member);
/* The device's membership in campaign campaign_id when that campaign is
 * cancelled and the member still running there (its latest membership may
 * be a newer campaign's); NULL otherwise. */
struct campaign_member *cancelled_member_running(struct controller *controller, struct device *device,
						 uint32_t campaign_id);
/* The running member's DownloadResponse (status 0: installed already), its
 * Download refused with a fault, its TransferComplete. */
void cancelled_download_response(struct campaign_member *member, int status, struct store_batch *batch);
void cancelled_download_fault(struct campaign_member *member, uint32_t code, struct store_batch *batch);
void cancelled_transfer_complete(struct campaign_member *member, uint32_t code, bool current_attempt,
				 struct store_batch *batch);
/* Members still running past the stall timeout are cancelled. */
void cancelled_campaign_tick(struct controller *controller, struct campaign *campaign, struct store_batch *batch);

#endif
