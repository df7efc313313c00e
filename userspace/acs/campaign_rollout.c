/* A campaign's rollout policy (sources, waves and thresholds, egress
 * budget): its one-line text form in the database (campaigns.rollout) and
 * how the API shows it live, per campaign and per group (sources serving,
 * depth of the tree, measured egress, why a group is held, children moved
 * to idle sources in the end game). */
#include "acs/campaign.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

void campaign_rollout_format(const struct campaign *campaign, char *text, size_t size)
{
	char waves[160];

	campaign_waves_format(&campaign->waves, waves, sizeof(waves));
	snprintf(text, size, "sources=%s waves=%s success=%u error=%u budget=%" PRIu64,
		 campaign_sources_name(campaign->sources), waves, campaign->waves.success_bp / 100,
		 campaign->waves.error_bp / 100, campaign->egress_budget);
}

void campaign_rollout_parse(struct campaign *campaign, const char *text)
{
	char copy[CAMPAIGN_ROLLOUT_TEXT_SIZE], *word, *save = NULL, why[160];

	/* a campaign saved before trees and waves: its master alone, one wave */
	campaign->sources = SOURCES_MASTER;
	memset(&campaign->waves, 0, sizeof(campaign->waves));
	campaign->egress_budget = 0;
	snprintf(copy, sizeof(copy), "%s", text ? text : "");
	for (word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		char *value = strchr(word, '=');

		if (!value)
			continue;
		*value++ = '\0';
		if (strcmp(word, "sources") == 0)
			campaign->sources = strcmp(value, "tree") == 0 ? SOURCES_TREE : SOURCES_MASTER;
		else if (strcmp(word, "waves") == 0 && campaign_waves_parse(value, &campaign->waves, why, sizeof(why)) < 0)
			campaign->waves.count = 0;
		else if (strcmp(word, "success") == 0)
			campaign->waves.success_bp = 100 * (uint32_t)strtoul(value, NULL, 10);
		else if (strcmp(word, "error") == 0)
			campaign->waves.error_bp = 100 * (uint32_t)strtoul(value, NULL, 10);
		else if (strcmp(word, "budget") == 0)
			campaign->egress_budget = strtoull(value, NULL, 10);
	}
	campaign->waves.open = 1;
}

/* An optional whole number within 0..maximum. */
static int optional_number(json_t *document, const char *key, uint64_t maximum, bool *present, uint64_t *value,
			   char *why, size_t why_size)
{
	json_t *field = json_object_get(document, key);

	*present = field && !json_is_null(field);
	if (!*present)
		return 0;
	if (!json_is_integer(field) || json_integer_value(field) < 0 || (uint64_t)json_integer_value(field) > maximum) {
		snprintf(why, why_size, "%s must be a whole number within 0..%" PRIu64, key, maximum);
		return -EINVAL;
	}
	*value = (uint64_t)json_integer_value(field);
	return 0;
}

int campaign_request_rollout_from_json(json_t *document, struct campaign_request *request, char *why, size_t why_size)
{
	json_t *sources = json_object_get(document, "sources"), *waves = json_object_get(document, "waves");
	uint64_t value = 0;

	if (sources && !json_is_null(sources)) {
		const char *text = json_string_value(sources);

		if (!text || (strcmp(text, "tree") != 0 && strcmp(text, "master") != 0)) {
			snprintf(why, why_size, "sources must be \"tree\" or \"master\"");
			return -EINVAL;
		}
		request->sources = strcmp(text, "tree") == 0 ? SOURCES_TREE : SOURCES_MASTER;
	}
	if (waves && !json_is_null(waves)) {
		if (!json_is_string(waves)) {
			snprintf(why, why_size, "waves must be a string such as \"5%%,25%%,100%%\"");
			return -EINVAL;
		}
		request->waves = json_string_value(waves);
	}
	if (optional_number(document, "wave_success_threshold", 100, &request->has_wave_success, &value, why,
			    why_size) < 0)
		return -EINVAL;
	request->wave_success_percent = (unsigned int)value;
	if (optional_number(document, "wave_error_threshold", 100, &request->has_wave_error, &value, why, why_size) < 0)
		return -EINVAL;
	request->wave_error_percent = (unsigned int)value;
	if (optional_number(document, "egress_budget", UINT64_MAX >> 1, &request->has_egress_budget, &value, why,
			    why_size) < 0)
		return -EINVAL;
	request->egress_budget = value;
	return 0;
}

static const char *hold_name(enum group_hold hold)
{
	return hold == HOLD_EGRESS ? "egress" : hold == HOLD_OCCUPANCY ? "occupancy" : NULL;
}

json_t *campaign_group_rollout_json(const struct campaign_group *group)
{
	const struct campaign *campaign = group->campaign;
	char reason[160] = "";

	if (group->hold == HOLD_EGRESS)
		snprintf(reason, sizeof(reason), "its sources send %" PRIu64 " bytes/s, over the budget of %" PRIu64,
			 group->egress, campaign->egress_budget);
	else if (group->hold == HOLD_OCCUPANCY)
		snprintf(reason, sizeof(reason), "its master's CPU occupancy is %u.%02u%%", group->hold_occupancy / 100,
			 group->hold_occupancy % 100);
	return json_pack("{s:i, s:i, s:I, s:s?, s:s?, s:i, s:i}", "sources", (json_int_t)group->sources, "depth",
			 (json_int_t)group->max_depth, "egress", (json_int_t)group->egress, "held", hold_name(group->hold),
			 "held_because", reason[0] ? reason : NULL, "open_devices",
			 (json_int_t)campaign_waves_cut(&campaign->waves, campaign->waves.open, group->member_count), "moved",
			 (json_int_t)group->rebalanced);
}

json_t *campaign_rollout_json(const struct campaign *campaign)
{
	unsigned int sources = 0, depth = 0, held = 0, moved = 0;
	uint64_t egress = 0;
	json_t *object, *waves = json_null();

	for (size_t g = 0; g < campaign->group_count; g++) {
		const struct campaign_group *group = &campaign->groups[g];

		sources += group->sources;
		egress += group->egress;
		depth = group->max_depth > depth ? group->max_depth : depth;
		held += group->hold != HOLD_NONE;
		moved += group->rebalanced;
	}
	if (campaign->waves.count > 1) {
		json_t *shares = json_array();

		for (unsigned int i = 0; i < campaign->waves.count; i++)
			json_array_append_new(shares, json_real(campaign->waves.share_bp[i] / 100.0));
		waves = json_pack("{s:o, s:i, s:i, s:f, s:f}", "shares_percent", shares, "open", (json_int_t)campaign->waves.open,
				  "count", (json_int_t)campaign->waves.count, "success_threshold_percent",
				  campaign->waves.success_bp / 100.0, "error_threshold_percent",
				  campaign->waves.error_bp / 100.0);
	}
	object = json_pack("{s:s, s:o, s:I, s:i, s:i, s:I, s:i, s:i}", "sources", campaign_sources_name(campaign->sources),
			   "waves", waves, "egress_budget", (json_int_t)campaign->egress_budget, "serving",
			   (json_int_t)sources, "depth", (json_int_t)depth, "egress", (json_int_t)egress, "held_groups",
			   (json_int_t)held, "moved", (json_int_t)moved);
	return object;
}
