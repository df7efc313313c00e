/* Recording the faults devices report (see faults.h). */
#include "acs/faults.h"
#include "acs/campaign.h"
#include "acs/device_events.h"

#include <stdio.h>
#include <string.h>

uint32_t fault_campaign(const struct device *device, const char *context, const char *command_key)
{
	unsigned int campaign_id;

	if (command_key && sscanf(command_key, "cascade-c%u-", &campaign_id) == 1)
		return campaign_id;
	if (context && (strcmp(context, "Download") == 0 || strcmp(context, "SetParameterValues") == 0) &&
	    member_active(device->member))
		return device->member->group->campaign->id;
	return 0;
}

void fault_record(struct controller *controller, struct device *device, uint32_t campaign_id, uint32_t code,
		  const char *string, const char *context, struct store_batch *batch)
{
	device->last_fault_code = code;
	set_text(&device->last_fault_string, string ? string : "");
	device->open_faults++;
	store_batch_fault(batch, device->id, campaign_id, code, string, context);
	if (campaign_id)
		device_event(controller, device, DEVICE_EVENT_FAULT, code, batch, "fault %u %s (%s, campaign %u)", code,
			     string ? string : "", context, campaign_id);
	else
		device_event(controller, device, DEVICE_EVENT_FAULT, code, batch, "fault %u %s (%s)", code,
			     string ? string : "", context);
}
