/* The operator API's groups, with their elections explained:
 *   GET /api/groups[?group=N&size=BYTES&candidates=N]
 * Each group shows its master (elected now under [election], with the
 * sitting master kept unless a challenger beats it by the hysteresis
 * margin), why, and its candidates - every device with a file server
 * (every device when require-file-server is off), the best first, at most
 * `candidates` (default 20) - each with its figures and why it won, was
 * passed over or is not eligible. size: an image size, so a cache too
 * small for it counts. Groups that still have devices only. */
#include "acs/api_http.h"
#include "acs/campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

struct ranked {
	struct device *device;
	bool eligible;
};

static int compare_ranked(const void *left, const void *right)
{
	const struct ranked *a = left, *b = right;

	if (a->eligible != b->eligible)
		return a->eligible ? -1 : 1;
	return policy_compare(a->device, b->device);
}

static json_t *candidate_json(const struct ranked *candidate, const char *verdict, const char *reason)
{
	const struct device *device = candidate->device;

	return json_pack("{s:I, s:s, s:b, s:s, s:s, s:o, s:I, s:I, s:{s:b, s:s?}, s:I}", "id", (json_int_t)device->id,
			 "key", device->key, "eligible", candidate->eligible, "verdict", verdict, "reason", reason,
			 "cpu_occupancy", device->has_occupancy ? json_integer(device->cpu_occupancy) : json_null(),
			 "cache_size", (json_int_t)device->cache_size, "bandwidth", (json_int_t)device->bandwidth,
			 "file_server", "enable", device->file_server_enable, "url", device->file_server_url,
			 "last_inform", (json_int_t)device->last_inform);
}

static json_t *campaign_masters_json(struct controller *controller, const struct group *group)
{
	json_t *masters = json_array();

	for (size_t c = 0; c < controller->campaign_count; c++) {
		const struct campaign *campaign = controller->campaigns[c];

		if (campaign->state != CAMPAIGN_RUNNING && campaign->state != CAMPAIGN_PAUSED)
			continue;
		for (size_t g = 0; g < campaign->group_count; g++)
			if (campaign->groups[g].group == group && campaign->groups[g].master)
				json_array_append_new(masters, json_pack("{s:i, s:s}", "campaign", (json_int_t)campaign->id,
									 "master", campaign->groups[g].master->device->key));
	}
	return masters;
}

static json_t *group_json(struct controller *controller, struct group *group, uint64_t image_size, size_t limit)
{
	const struct acs_config *config = &controller->config;
	struct device *sitting = group->master && group->master->group == group ? group->master : NULL;
	struct device *master = policy_elect(controller, group, image_size), *runner_up = NULL;
	struct ranked *ranked = calloc(group->count ? group->count : 1, sizeof(*ranked));
	uint64_t now = realtime_seconds();
	size_t count = 0, eligible = 0;
	char reason[320] = "no device is eligible: a campaign's slaves would download from the origin";
	json_t *candidates = json_array(), *document;

	if (!ranked || !candidates) {
		free(ranked);
		json_decref(candidates);
		return NULL;
	}
	for (size_t i = 0; i < group->count; i++) {
		struct device *device = group->devices[i];

		if (config->election_require_file_server && !device->file_server_enable)
			continue;
		ranked[count].device = device;
		ranked[count].eligible = policy_eligible(config, device, image_size, now);
		eligible += ranked[count].eligible;
		if (ranked[count].eligible && device != master && (!runner_up || policy_compare(device, runner_up) < 0))
			runner_up = device;
		count++;
	}
	qsort(ranked, count, sizeof(*ranked), compare_ranked);
	if (master)
		policy_explain(config, master, master, runner_up, master == sitting, reason, sizeof(reason));
	/* the master first, then the rest in rank order */
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < count && json_array_size(candidates) < limit; i++) {
			char why[320], verdict_reason[340];

			if ((pass == 0) != (ranked[i].device == master))
				continue;
			if (ranked[i].device == master) {
				json_array_append_new(candidates, candidate_json(&ranked[i], "master", reason));
			} else if (ranked[i].eligible) {
				policy_explain(config, ranked[i].device, master, runner_up, master == sitting, why,
					       sizeof(why));
				json_array_append_new(candidates, candidate_json(&ranked[i], "passed over", why));
			} else {
				policy_check_eligible(config, ranked[i].device, image_size, now, why, sizeof(why));
				snprintf(verdict_reason, sizeof(verdict_reason), "not eligible: %s", why);
				json_array_append_new(candidates,
						      candidate_json(&ranked[i], "not eligible", verdict_reason));
			}
		}
	free(ranked);
	document = json_pack("{s:i, s:s, s:i, s:s?, s:o, s:s, s:I, s:I, s:o, s:o}", "id", (json_int_t)group->id, "key",
			     group->key, "size", (json_int_t)group->count, "master", master ? master->key : NULL,
			     "master_id", master ? json_integer(master->id) : json_null(), "reason", reason,
			     "candidates_total", (json_int_t)count, "eligible", (json_int_t)eligible, "candidates",
			     candidates, "campaign_masters", campaign_masters_json(controller, group));
	return document;
}

enum MHD_Result api_groups_route(struct api_server *server, struct MHD_Connection *connection)
{
	struct controller *controller = server->controller;
	uint32_t only = (uint32_t)api_query_number(connection, "group", 0);
	uint64_t image_size = api_query_number(connection, "size", 0);
	size_t limit = api_query_number(connection, "candidates", 20);
	json_t *list = json_array(), *document;

	pthread_mutex_lock(&controller->lock);
	for (size_t i = 0; list && i < controller->group_count; i++) {
		struct group *group = controller->groups[i];

		if (!group || group->count == 0 || (only && group->id != only)) /* emptied groups are not shown */
			continue;
		json_array_append_new(list, group_json(controller, group, image_size, limit));
	}
	document = json_pack("{s:o, s:{s:I, s:I, s:b}}", "groups", list, "election", "hysteresis",
			     (json_int_t)controller->config.election_hysteresis, "max_occupancy",
			     (json_int_t)controller->config.election_max_occupancy, "require_file_server",
			     controller->config.election_require_file_server);
	pthread_mutex_unlock(&controller->lock);
	if (only && document && json_array_size(json_object_get(document, "groups")) == 0) {
		json_decref(document);
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such group");
	}
	return api_reply_json(connection, MHD_HTTP_OK, document);
}
