/* The rollout part of cascadectl campaign: start's --sources, --waves,
 * --wave-success, --wave-error and --egress-budget, and the live line
 * watch and status print (wave, sources serving, depth of the trees,
 * egress, groups held by a gate). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "meter/meter_values.h"

int rollout_start_option(const char *name, const char *value, json_t *request)
{
	long long percent;
	uint64_t rate;

	if (strcmp(name, "sources") == 0) {
		if (strcmp(value, "tree") != 0 && strcmp(value, "master") != 0)
			return usage_error("campaign start", "--sources is tree or master, not \"%s\"", value);
		json_object_set_new(request, "sources", json_string(value));
	} else if (strcmp(name, "waves") == 0) {
		json_object_set_new(request, "waves", json_string(value));
	} else if (strcmp(name, "wave-success") == 0 || strcmp(name, "wave-error") == 0) {
		if (parse_integer(value, 0, 100, &percent) < 0)
			return usage_error("campaign start", "--%s wants a percentage 0..100, not \"%s\"", name, value);
		json_object_set_new(request, strcmp(name, "wave-success") == 0 ? "wave_success_threshold"
									       : "wave_error_threshold",
				    json_integer(percent));
	} else if (strcmp(name, "egress-budget") == 0) {
		if (meter_parse_rate(value, &rate) < 0)
			return usage_error("campaign start", "--egress-budget wants a rate such as 50mbit, not \"%s\"", value);
		json_object_set_new(request, "egress_budget", json_integer((json_int_t)rate));
	} else {
		return usage_error("campaign start", "unknown option --%s", name);
	}
	return 0;
}

void rollout_describe(json_t *campaign, char *text, size_t size)
{
	json_t *rollout = json_object_get(campaign, "rollout"), *waves;
	char rate[48] = "";
	size_t used = 0;
	int written;

	text[0] = '\0';
	if (!json_is_object(rollout))
		return;
	waves = json_object_get(rollout, "waves");
	if (json_is_object(waves)) {
		json_t *shares = json_object_get(waves, "shares_percent");
		long long open = json_integer_value(json_object_get(waves, "open"));

		written = snprintf(text + used, size - used, ", wave %lld of %lld (%g%%)", open,
				   json_integer_value(json_object_get(waves, "count")),
				   json_number_value(json_array_get(shares, (size_t)(open > 0 ? open - 1 : 0))));
		if (written > 0 && (size_t)written < size - used)
			used += (size_t)written;
	}
	if (json_integer_value(json_object_get(rollout, "egress")) > 0)
		meter_format_rate((uint64_t)json_integer_value(json_object_get(rollout, "egress")), rate, sizeof(rate));
	written = snprintf(text + used, size - used, ", %lld source%s serving (%s, depth %lld)%s%s",
			   json_integer_value(json_object_get(rollout, "serving")),
			   json_integer_value(json_object_get(rollout, "serving")) == 1 ? "" : "s",
			   json_string_value(json_object_get(rollout, "sources")) ?: "?",
			   json_integer_value(json_object_get(rollout, "depth")), rate[0] ? ", sending " : "", rate);
	if (written > 0 && (size_t)written < size - used)
		used += (size_t)written;
	if (json_integer_value(json_object_get(rollout, "held_groups")) > 0)
		snprintf(text + used, size - used, ", %lld group%s held by a gate",
			 json_integer_value(json_object_get(rollout, "held_groups")),
			 json_integer_value(json_object_get(rollout, "held_groups")) == 1 ? "" : "s");
}

void rollout_print_group(json_t *group)
{
	json_t *rollout = json_object_get(group, "rollout");
	const char *held = json_string_value(json_object_get(rollout, "held_because"));

	if (!json_is_object(rollout))
		return;
	printf("    %lld sources serving, depth %lld, %lld devices in the open waves%s%s\n",
	       json_integer_value(json_object_get(rollout, "sources")), json_integer_value(json_object_get(rollout, "depth")),
	       json_integer_value(json_object_get(rollout, "open_devices")), held ? "; held: " : "", held ? held : "");
}
