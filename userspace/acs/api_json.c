/* Builds the operator API's JSON documents of campaigns (with per-state
 * counts, group details and, on request, every member). */
#include "acs/api_json.h"
#include "acs/campaign.h"
#include "acs/campaign_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *campaign_groups_json(struct controller *controller, const struct campaign *campaign)
{
	json_t *list = json_array();

	for (size_t g = 0; g < campaign->group_count; g++) {
		const struct campaign_group *group = &campaign->groups[g];
		json_t *bad = json_array();

		for (size_t b = 0; b < group->bad_master_count; b++) {
			struct device *device = device_by_id(controller, group->bad_masters[b]);

			json_array_append_new(bad, json_string(device ? device->key : "?"));
		}
		json_array_append_new(list,
				      json_pack("{s:i, s:s?, s:s?, s:i, s:b, s:o, s:i, s:i, s:o}", "group",
						(json_int_t)group->group->id, "master",
						group->master ? group->master->device->key : NULL, "master_state",
						group->master ? member_state_name(group->master->state) : NULL,
						"failed_masters", (json_int_t)group->failed_masters, "fallback_origin",
						group->fallback_origin, "bad_masters", bad, "devices",
						(json_int_t)group->member_count, "in_flight", (json_int_t)group->in_flight,
						"rollout", campaign_group_rollout_json(group)));
	}
	return list;
}

static void add_halted_device(const struct campaign_member *member, void *list)
{
	json_array_append_new(list, json_string(member->device->key));
}

json_t *api_campaign_json(struct controller *controller, const struct campaign *campaign, bool detail,
			  bool with_devices)
{
	json_t *object = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:i, s:i, s:o}", "id",
				   (json_int_t)campaign->id, "image", campaign->image_name, "origin_url",
				   campaign->origin_url, "size", (json_int_t)campaign->image_size, "sha256",
				   campaign->sha256, "mode", campaign_mode_name(campaign->mode), "fanout",
				   (json_int_t)campaign->fanout, "selector", campaign->selector, "state",
				   campaign_state_name(campaign->state), "created_at", (json_int_t)campaign->created_at,
				   "masters_queued_ms", (json_int_t)campaign->masters_queued_ms, "devices",
				   (json_int_t)campaign->member_count, "groups", (json_int_t)campaign->group_count,
				   "counts", member_counts_json(campaign->counts));

	if (object) {
		json_object_set_new(object, "signature",
				    campaign->signature && campaign->signature[0] ? json_string(campaign->signature)
										   : json_null());
		json_object_set_new(object, "pieces_sha256",
				    campaign->pieces_sha256 && campaign->pieces_sha256[0]
					    ? json_string(campaign->pieces_sha256)
					    : json_null());
	}
	if (object)
		json_object_set_new(object, "rollout", campaign_rollout_json(campaign));
	if (object && campaign->state == CAMPAIGN_HALTED) {
		json_t *devices = json_array();
		char reason[160];

		campaign_halt_reason(campaign, reason, sizeof(reason), add_halted_device, devices);
		json_object_set_new(object, "halted", json_pack("{s:s, s:o}", "reason", reason, "devices", devices));
	}
	if (!object || !detail)
		return object;
	json_object_set_new(object, "group_details", campaign_groups_json(controller, campaign));
	if (with_devices) {
		json_t *list = json_array();

		for (size_t i = 0; i < campaign->member_count; i++) {
			const struct campaign_member *member = &campaign->members[i];
			struct device *source = device_by_id(controller, member->source_device_id);

			json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:s, s:i, s:i, s:s?, s:s}", "key",
							      member->device->key, "group",
							      (json_int_t)member->group->group->id, "role",
							      member->role == ROLE_MASTER ? "master" : "slave", "state",
							      member_state_name(member->state), "attempts",
							      (json_int_t)member->attempts, "fault_code",
							      (json_int_t)member->fault_code, "source",
							      source ? source->key : NULL, "mode", member_mode_name(member)));
		}
		json_object_set_new(object, "device_states", list);
	}
	return object;
}

json_t *api_campaigns_json(struct controller *controller)
{
	json_t *list = json_array();

	for (size_t i = 0; i < controller->campaign_count; i++)
		json_array_append_new(list, api_campaign_json(controller, controller->campaigns[i], false, false));
	return json_pack("{s:o}", "campaigns", list);
}
