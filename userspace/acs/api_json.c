/* Builds the operator API's JSON documents (devices, groups with masters,
 * campaigns with per-state counts) and the Prometheus /metrics text. */
#include "acs/api_json.h"
#include "acs/connection_guard.h"
#include "common/login_limit.h"
#include "acs/campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *device_json(const struct device *device)
{
	json_t *object = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:b, s:b}", "id",
				   (json_int_t)device->id, "key", device->key, "manufacturer", device->manufacturer,
				   "oui", device->oui, "product_class", device->product_class, "serial_number",
				   device->serial_number, "hardware_version", device->hardware_version,
				   "software_version", device->software_version, "location", device->location, "group",
				   (json_int_t)(device->group ? device->group->id : 0), "connection_request_url",
				   device->connection_request_url, "cascade", device->cascade_capable,
				   "attributes_probed", device->attributes_probed);

	if (!object)
		return NULL;
	json_object_set_new(object, "cpu_occupancy",
			    device->has_occupancy ? json_integer(device->cpu_occupancy) : json_null());
	json_object_set_new(object, "cache_size", json_integer((json_int_t)device->cache_size));
	json_object_set_new(object, "bandwidth", json_integer(device->bandwidth));
	json_object_set_new(object, "file_server",
			    json_pack("{s:b, s:s?}", "enable", device->file_server_enable, "url", device->file_server_url));
	json_object_set_new(object, "last_inform", json_integer((json_int_t)device->last_inform));
	json_object_set_new(object, "last_address", json_string(device->last_address ? device->last_address : ""));
	json_object_set_new(object, "last_events", json_string(device->last_events ? device->last_events : ""));
	json_object_set_new(object, "inform_count", json_integer((json_int_t)device->inform_count));
	json_object_set_new(object, "last_fault",
			    device->last_fault_code ? json_pack("{s:i, s:s}", "code", (json_int_t)device->last_fault_code,
								"string", device->last_fault_string ? device->last_fault_string : "")
						    : json_null());
	if (device->member && device->member->group) {
		const struct campaign_member *member = device->member;

		json_object_set_new(object, "campaign",
				    json_pack("{s:i, s:s, s:s, s:i}", "id", (json_int_t)member->group->campaign->id, "role",
					      member->role == ROLE_MASTER ? "master" : "slave", "state",
					      member_state_name(member->state), "attempts", (json_int_t)member->attempts));
	} else {
		json_object_set_new(object, "campaign", json_null());
	}
	return object;
}

json_t *api_devices_json(struct controller *controller, uint32_t group_id, size_t offset, size_t limit)
{
	json_t *list = json_array(), *result;
	size_t matched = 0;

	for (size_t i = 0; i < controller->device_count; i++) {
		const struct device *device = controller->devices[i];

		if (!device || (group_id && (!device->group || device->group->id != group_id)))
			continue;
		if (matched++ < offset || json_array_size(list) >= limit)
			continue;
		json_array_append_new(list, device_json(device));
	}
	result = json_pack("{s:i, s:o}", "total", (json_int_t)matched, "devices", list);
	return result;
}

json_t *api_groups_json(struct controller *controller)
{
	json_t *list = json_array();

	for (size_t i = 0; i < controller->group_count; i++) {
		const struct group *group = controller->groups[i];
		const struct device *master;
		json_t *masters;

		if (!group || group->count == 0) /* emptied groups (devices moved on) are not shown */
			continue;
		masters = json_array();
		master = policy_elect(controller, group, 0);
		for (size_t c = 0; c < controller->campaign_count; c++) {
			const struct campaign *campaign = controller->campaigns[c];

			if (campaign->state != CAMPAIGN_RUNNING && campaign->state != CAMPAIGN_PAUSED)
				continue;
			for (size_t g = 0; g < campaign->group_count; g++)
				if (campaign->groups[g].group == group && campaign->groups[g].master)
					json_array_append_new(masters,
							      json_pack("{s:i, s:s}", "campaign", (json_int_t)campaign->id,
									"master", campaign->groups[g].master->device->key));
		}
		json_array_append_new(list, json_pack("{s:i, s:s, s:i, s:s?, s:o}", "id", (json_int_t)group->id, "key",
						      group->key, "size", (json_int_t)group->count, "master",
						      master ? master->key : NULL, "campaign_masters", masters));
	}
	return json_pack("{s:o}", "groups", list);
}

static json_t *counts_json(const struct campaign *campaign)
{
	json_t *counts = json_object();

	for (int state = 0; state < MEMBER_STATE_COUNT; state++)
		json_object_set_new(counts, member_state_name((enum member_state)state),
				    json_integer((json_int_t)campaign->counts[state]));
	return counts;
}

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
				      json_pack("{s:i, s:s?, s:s?, s:i, s:b, s:o, s:i, s:i}", "group",
						(json_int_t)group->group->id, "master",
						group->master ? group->master->device->key : NULL, "master_state",
						group->master ? member_state_name(group->master->state) : NULL,
						"failed_masters", (json_int_t)group->failed_masters, "fallback_origin",
						group->fallback_origin, "bad_masters", bad, "devices",
						(json_int_t)group->member_count, "in_flight", (json_int_t)group->in_flight));
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
				   "counts", counts_json(campaign));

	if (object) {
		json_object_set_new(object, "signature",
				    campaign->signature && campaign->signature[0] ? json_string(campaign->signature)
										   : json_null());
		json_object_set_new(object, "pieces_sha256",
				    campaign->pieces_sha256 && campaign->pieces_sha256[0]
					    ? json_string(campaign->pieces_sha256)
					    : json_null());
	}
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

char *api_metrics_text(struct controller *controller, size_t store_pending)
{
	const struct metrics *m = &controller->metrics;
	size_t size = 8192 + controller->campaign_count * 512, used = 0;
	char *text = malloc(size);

#define EMIT(...)                                                                   \
	do {                                                                        \
		int written_ = snprintf(text + used, size - used, __VA_ARGS__);     \
		if (written_ > 0 && (size_t)written_ < size - used)                 \
			used += (size_t)written_;                                   \
	} while (0)
	if (!text)
		return NULL;
	text[0] = '\0';
	EMIT("# TYPE cascade_acs_devices gauge\ncascade_acs_devices %zu\n", controller->device_count);
	EMIT("# TYPE cascade_acs_groups gauge\ncascade_acs_groups %zu\n", controller->group_count);
	EMIT("# TYPE cascade_acs_sessions_open gauge\ncascade_acs_sessions_open %zu\n", controller->open_sessions);
	EMIT("# TYPE cascade_acs_store_pending gauge\ncascade_acs_store_pending %zu\n", store_pending);
	if (controller->store) {
		struct store_wal_figures wal;

		store_wal_figures(controller->store, &wal);
		EMIT("# TYPE cascade_acs_store_failed_commits_total counter\n"
		     "cascade_acs_store_failed_commits_total %lu\n",
		     (unsigned long)wal.failed_commits);
		EMIT("# TYPE cascade_acs_wal_frames gauge\ncascade_acs_wal_frames %lu\n", (unsigned long)wal.frames);
		EMIT("# TYPE cascade_acs_wal_frames_written_total counter\ncascade_acs_wal_frames_written_total %lu\n",
		     (unsigned long)wal.frames_written);
		EMIT("# TYPE cascade_acs_wal_checkpoints_total counter\ncascade_acs_wal_checkpoints_total %lu\n",
		     (unsigned long)wal.checkpoints);
		EMIT("# TYPE cascade_acs_wal_forced_checkpoints_total counter\n"
		     "cascade_acs_wal_forced_checkpoints_total %lu\n",
		     (unsigned long)wal.forced_checkpoints);
	}
	EMIT("# TYPE cascade_acs_replies_waiting gauge\ncascade_acs_replies_waiting %lu\n",
	     (unsigned long)__atomic_load_n(&m->replies_waiting, __ATOMIC_RELAXED));
	EMIT("# TYPE cascade_acs_http_requests_total counter\ncascade_acs_http_requests_total %lu\n",
	     (unsigned long)m->http_requests);
	EMIT("# TYPE cascade_acs_informs_total counter\ncascade_acs_informs_total %lu\n", (unsigned long)m->informs);
	EMIT("# TYPE cascade_acs_sessions_total counter\ncascade_acs_sessions_total %lu\n", (unsigned long)m->sessions);
	EMIT("# TYPE cascade_acs_transfer_completes_total counter\ncascade_acs_transfer_completes_total %lu\n",
	     (unsigned long)m->transfer_completes);
	EMIT("# TYPE cascade_acs_faults_received_total counter\ncascade_acs_faults_received_total %lu\n",
	     (unsigned long)m->faults_received);
	EMIT("# TYPE cascade_acs_faults_sent_total counter\ncascade_acs_faults_sent_total %lu\n",
	     (unsigned long)m->faults_sent);
	EMIT("# TYPE cascade_acs_overload_rejections_total counter\ncascade_acs_overload_rejections_total %lu\n",
	     (unsigned long)m->overload_rejections);
	EMIT("# TYPE cascade_acs_auth_failures_total counter\ncascade_acs_auth_failures_total %lu\n",
	     (unsigned long)__atomic_load_n(&m->auth_failures, __ATOMIC_RELAXED));
	EMIT("# TYPE cascade_acs_auth_blocked_addresses_total counter\ncascade_acs_auth_blocked_addresses_total %lu\n",
	     (unsigned long)((controller->cwmp_logins ? controller->cwmp_logins->blocked_total : 0) +
			     (controller->api_logins ? controller->api_logins->blocked_total : 0)));
	EMIT("# TYPE cascade_acs_auth_refused_total counter\ncascade_acs_auth_refused_total %lu\n",
	     (unsigned long)((controller->cwmp_logins ? controller->cwmp_logins->refused_total : 0) +
			     (controller->api_logins ? controller->api_logins->refused_total : 0)));
	EMIT("# TYPE cascade_acs_slow_clients_closed_total counter\ncascade_acs_slow_clients_closed_total %lu\n",
	     (unsigned long)(controller->guard ? controller->guard->closed_total : 0));
	EMIT("# TYPE cascade_acs_rpcs_sent_total counter\ncascade_acs_rpcs_sent_total %lu\n", (unsigned long)m->rpcs_sent);
	EMIT("# TYPE cascade_acs_connection_requests_total counter\ncascade_acs_connection_requests_total %lu\n",
	     (unsigned long)__atomic_load_n(&m->connection_requests, __ATOMIC_RELAXED));
	EMIT("# TYPE cascade_acs_connection_request_failures_total counter\n"
	     "cascade_acs_connection_request_failures_total %lu\n",
	     (unsigned long)__atomic_load_n(&m->connection_request_failures, __ATOMIC_RELAXED));
	EMIT("# TYPE cascade_acs_campaign_devices gauge\n");
	for (size_t i = 0; i < controller->campaign_count; i++) {
		const struct campaign *campaign = controller->campaigns[i];

		for (int state = 0; state < MEMBER_STATE_COUNT; state++)
			EMIT("cascade_acs_campaign_devices{campaign=\"%u\",state=\"%s\"} %zu\n", campaign->id,
			     member_state_name((enum member_state)state), campaign->counts[state]);
	}
#undef EMIT
	return text;
}
