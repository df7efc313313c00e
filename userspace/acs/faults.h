/* Faults devices report (a CWMP Fault answering our request, a
 * TransferComplete with a fault code): each is a row of the faults table
 * with the campaign it belongs to, the device's latest fault and open
 * count, and a row of its timeline. An operator clears faults (they stay
 * in the table, marked) or retries the devices (campaign_retry.c). Called
 * with the controller lock held. */
#ifndef CASCADE_ACS_FAULTS_H
#define CASCADE_ACS_FAULTS_H

#include <stdint.h>

#include "acs/model.h"
#include "acs/store.h"

/* The campaign a fault belongs to: the one a campaign command key names
 * (cascade-cC-...), else the device's active campaign for a campaign RPC
 * (context "Download" or "SetParameterValues"); 0 for none. */
uint32_t fault_campaign(const struct device *device, const char *context, const char *command_key);

void fault_record(struct controller *controller, struct device *device, uint32_t campaign_id, uint32_t code,
		  const char *string, const char *context, struct store_batch *batch);

#endif
