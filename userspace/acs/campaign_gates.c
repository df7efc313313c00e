/* Dispatch gated by what the meters measure: every serving source's
 * /-/stats is read each poll interval (its group meter's bytes, or its
 * server's body bytes, and its CPU occupancy; source_poller.c), the rates
 * between readings are kept per device, and a group whose sources send
 * more than the campaign's egress budget together, or whose master's CPU
 * occupancy is over [campaign] source-max-occupancy, gets no new dispatch
 * until the figure drops back. */
#include "acs/campaign.h"

#include "common/clock.h"
#include "common/log.h"

void source_measurement_record(struct device *device, uint64_t bytes, bool has_occupancy, uint32_t occupancy,
			       uint64_t now_ms)
{
	struct source_measurement *measured = &device->measured;

	if (measured->at_ms && now_ms > measured->at_ms && bytes >= measured->bytes) {
		measured->rate = (bytes - measured->bytes) * 1000 / (now_ms - measured->at_ms);
		measured->window_start_ms = measured->at_ms;
		measured->has_rate = true;
	} else {
		measured->has_rate = false; /* the first reading, or a counter that went back (a restart) */
	}
	measured->bytes = bytes;
	measured->at_ms = now_ms;
	measured->has_occupancy = has_occupancy;
	measured->occupancy = occupancy;
}

/* Whether the member is serving others now (so its egress counts). */
static bool serving(const struct campaign_member *member)
{
	const struct campaign_group *group = member->group;

	if (member == group->master)
		return member->state == MEMBER_DONE || member->state == MEMBER_DOWNLOADING;
	return member->children > 0 && (member->state == MEMBER_DONE || member->state == MEMBER_DOWNLOADING);
}

unsigned int campaign_occupancy_limit(const struct acs_config *config)
{
	return config->source_max_occupancy ? config->source_max_occupancy : config->election_max_occupancy;
}

void group_gate_update(struct controller *controller, struct campaign_group *group, uint64_t now_ms)
{
	const struct acs_config *config = &controller->config;
	const struct campaign *campaign = group->campaign;
	unsigned int limit = campaign_occupancy_limit(config);
	enum group_hold before = group->hold;
	uint64_t egress = 0, rate;
	uint32_t occupancy = 0;

	for (size_t i = 0; i < group->member_count; i++)
		if (serving(group->members[i]) && source_egress(controller, group->members[i]->device, now_ms, &rate))
			egress += rate;
	group->egress = egress;
	group->hold = HOLD_NONE;
	if (campaign->egress_budget && egress > campaign->egress_budget)
		group->hold = HOLD_EGRESS;
	else if (group->master && !group->fallback_origin &&
		 source_occupancy(controller, group->master->device, now_ms, &occupancy) &&
		 occupancy > limit)
		group->hold = HOLD_OCCUPANCY;
	group->hold_occupancy = group->hold == HOLD_OCCUPANCY ? occupancy : 0;
	if (group->hold == before)
		return;
	if (group->hold == HOLD_EGRESS)
		log_info("campaign %u group %u: held, its sources send %lu bytes/s, over the budget of %lu", campaign->id,
			 group->group->id, (unsigned long)egress, (unsigned long)campaign->egress_budget);
	else if (group->hold == HOLD_OCCUPANCY)
		log_info("campaign %u group %u: held, its master's CPU occupancy %u.%02u%% is over %u.%02u%%",
			 campaign->id, group->group->id, occupancy / 100, occupancy % 100,
			 limit / 100, limit % 100);
	else
		log_info("campaign %u group %u: dispatching again (egress %lu bytes/s)", campaign->id, group->group->id,
			 (unsigned long)egress);
}

void campaign_request_readings(struct controller *controller, struct campaign *campaign, uint64_t now_ms)
{
	uint64_t interval = controller->config.source_poll_interval_ms;

	if (!controller->source_poller || interval == 0)
		return;
	for (size_t g = 0; g < campaign->group_count; g++) {
		struct campaign_group *group = &campaign->groups[g];

		for (size_t i = 0; i < group->member_count; i++) {
			struct device *device = group->members[i]->device;

			if (!serving(group->members[i]) || !device->file_server_url || !device->file_server_url[0] ||
			    now_ms - device->measured.requested_ms < interval)
				continue;
			device->measured.requested_ms = now_ms;
			source_poller_request(controller, device, group->group->id);
		}
	}
}
