/* cascadectl devices / groups: tables (or --json) of the registry, sorted
 * and filtered, with each device's open faults, and of the groups with
 * their elected masters and why each candidate won or was passed over. */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/parse.h"

static const char *text_of(json_t *object, const char *key)
{
	const char *value = json_string_value(json_object_get(object, key));

	return value && *value ? value : "-";
}

/* Appends "&name=VALUE" (escaped) to path. */
static void add_parameter(char *path, size_t size, const char *name, const char *value)
{
	char *escaped;

	if (!value)
		return;
	escaped = curl_easy_escape(NULL, value, 0);
	if (escaped)
		snprintf(path + strlen(path), size - strlen(path), "&%s=%s", name, escaped);
	curl_free(escaped);
}

static void print_device(json_t *device)
{
	json_t *occupancy = json_object_get(device, "cpu_occupancy");
	json_t *campaign = json_object_get(device, "campaign"), *fault = json_object_get(device, "last_fault");
	time_t last = (time_t)json_integer_value(json_object_get(device, "last_inform"));
	long long open_faults = (long long)json_integer_value(json_object_get(device, "open_faults"));
	char when[32] = "-", cpu[16] = "-", state[64] = "-", faults[32] = "-";
	struct tm utc;

	if (last && gmtime_r(&last, &utc))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &utc);
	if (json_is_integer(occupancy))
		snprintf(cpu, sizeof(cpu), "%.2f", (double)json_integer_value(occupancy) / 100.0);
	if (json_is_object(campaign))
		snprintf(state, sizeof(state), "%lld:%s/%s", (long long)json_integer_value(json_object_get(campaign, "id")),
			 text_of(campaign, "role"), text_of(campaign, "state"));
	if (open_faults && json_is_object(fault))
		snprintf(faults, sizeof(faults), "%lld (%lld)", (long long)json_integer_value(json_object_get(fault, "code")),
			 open_faults);
	printf("%-32s %5lld %-10s %-10s %7s %-4s %-20s %-22s %s\n", text_of(device, "key"),
	       (long long)json_integer_value(json_object_get(device, "group")), text_of(device, "software_version"),
	       text_of(device, "hardware_version"), cpu,
	       json_is_true(json_object_get(json_object_get(device, "file_server"), "enable")) ? "yes" : "no", when, state,
	       faults);
}

enum devices_option {
	OPTION_GROUP = 1, OPTION_LIMIT, OPTION_OFFSET, OPTION_SORT, OPTION_REVERSE, OPTION_SEARCH, OPTION_STATE,
	OPTION_FAULT,
};

static const struct cli_option devices_options[] = {
	CLI_OPTION("search", "TEXT", "devices whose key, serial number or versions contain TEXT", OPTION_SEARCH),
	CLI_OPTION("group", "N", "only the devices of group N (0: every group)", OPTION_GROUP),
	CLI_OPTION("state", "STATE", "campaign state: pending, queued, downloading, done, failed, cancelled or none",
		   OPTION_STATE),
	CLI_OPTION("fault", "any|none|CODE", "devices with an open fault, none, or that fault code", OPTION_FAULT),
	CLI_OPTION("sort", "FIELD", "id, key (default), group, software, hardware, occupancy, last_inform, fault,\n"
				    "state", OPTION_SORT),
	CLI_OPTION("reverse", NULL, "sort in descending order", OPTION_REVERSE),
	CLI_OPTION("limit", "N", "at most N devices (default 1000)", OPTION_LIMIT),
	CLI_OPTION("offset", "N", "skip the first N devices", OPTION_OFFSET),
	CLI_END_OF_OPTIONS,
};

const struct cli_command devices_command = {
	.words = "devices",
	.synopsis = "[--search TEXT] [--group N] [--state STATE] [--fault any|none|CODE] [--sort FIELD] [--reverse]\n"
		    "[--limit N] [--offset N]",
	.summary = "list devices, sorted and filtered, with their open faults",
	.description = "Lists the registered devices as a table (or the API's JSON with --json): group, versions,\n"
		       "CPU occupancy, file server, last Inform, campaign state and open faults.",
	.options = devices_options,
};

enum groups_option { OPTION_GROUPS_GROUP = 1, OPTION_GROUPS_SIZE, OPTION_GROUPS_CANDIDATES };

static const struct cli_option groups_options[] = {
	CLI_OPTION("group", "N", "only group N", OPTION_GROUPS_GROUP),
	CLI_OPTION("size", "BYTES", "judge the candidates' cache against an image of this size", OPTION_GROUPS_SIZE),
	CLI_OPTION("candidates", "N", "show at most N candidates per group (default 20)", OPTION_GROUPS_CANDIDATES),
	CLI_END_OF_OPTIONS,
};

const struct cli_command groups_command = {
	.words = "groups",
	.synopsis = "[--group N] [--size BYTES] [--candidates N]",
	.summary = "groups, their elected masters, and why each candidate won or was passed over",
	.description = "Lists the groups with their elected master and every candidate's figures (CPU occupancy,\n"
		       "cache, bandwidth) and the reason it won, was passed over or is not eligible.",
	.options = groups_options,
};

int command_devices(int argc, char **argv)
{
	const char *sort = "key", *search = NULL, *state = NULL, *fault = NULL;
	struct cli_parser parser;
	char path[1024];
	long long group = 0, limit = 1000, offset = 0, value;
	bool reverse = false;
	json_t *response, *device;
	size_t index;
	int code;

	cli_begin(&parser, "cascadectl", &devices_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		switch (code) {
		case OPTION_SORT: sort = parser.value; continue;
		case OPTION_REVERSE: reverse = true; continue;
		case OPTION_SEARCH: search = parser.value; continue;
		case OPTION_STATE: state = parser.value; continue;
		case OPTION_FAULT: fault = parser.value; continue;
		default: break;
		}
		if (parse_integer(parser.value, 0, code == OPTION_GROUP ? UINT32_MAX : INT32_MAX, &value) < 0)
			return cli_bad_value(&parser, "expected a whole number");
		if (code == OPTION_GROUP)
			group = value;
		else if (code == OPTION_LIMIT)
			limit = value;
		else
			offset = value;
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	snprintf(path, sizeof(path), "/api/devices?group=%lld&limit=%lld&offset=%lld&order=%s", group, limit, offset,
		 reverse ? "desc" : "asc");
	add_parameter(path, sizeof(path), "sort", sort);
	add_parameter(path, sizeof(path), "q", search);
	add_parameter(path, sizeof(path), "state", state);
	add_parameter(path, sizeof(path), "fault", fault);
	if (api_call("GET", path, NULL, &response))
		return 1;
	if (print_json_if_asked(response))
		return 0;
	printf("%-32s %5s %-10s %-10s %7s %-4s %-20s %-22s %s\n", "DEVICE", "GROUP", "SOFTWARE", "HARDWARE", "CPU%", "FS",
	       "LAST INFORM", "CAMPAIGN", "FAULT (OPEN)");
	json_array_foreach(json_object_get(response, "devices"), index, device)
		print_device(device);
	printf("%lld devices\n", (long long)json_integer_value(json_object_get(response, "total")));
	json_decref(response);
	return 0;
}

static void print_candidate(json_t *candidate)
{
	json_t *occupancy = json_object_get(candidate, "cpu_occupancy");
	const char *verdict = text_of(candidate, "verdict");
	char cpu[16] = "-";

	if (json_is_integer(occupancy))
		snprintf(cpu, sizeof(cpu), "%.2f%%", (double)json_integer_value(occupancy) / 100.0);
	printf("  %s %-32s cpu %-8s cache %-12lld bandwidth %-9lld %s\n", strcmp(verdict, "master") == 0 ? "*" : " ",
	       text_of(candidate, "key"), cpu, (long long)json_integer_value(json_object_get(candidate, "cache_size")),
	       (long long)json_integer_value(json_object_get(candidate, "bandwidth")), text_of(candidate, "reason"));
}

int command_groups(int argc, char **argv)
{
	long long values[3] = { 0, 0, 20 }; /* group, size, candidates */
	struct cli_parser parser;
	json_t *response, *group, *candidate;
	size_t index, candidate_index;
	char path[160];
	int code;

	cli_begin(&parser, "cascadectl", &groups_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		long long value;

		if (parse_integer(parser.value, 0, INT64_MAX, &value) < 0)
			return cli_bad_value(&parser, "expected a whole number");
		values[code - OPTION_GROUPS_GROUP] = value;
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	snprintf(path, sizeof(path), "/api/groups?group=%lld&size=%lld&candidates=%lld", values[0], values[1], values[2]);
	if (api_call("GET", path, NULL, &response))
		return 1;
	if (print_json_if_asked(response))
		return 0;
	printf("election: lowest CPU occupancy wins, then bandwidth; a sitting master stays until beaten by %.2f points\n",
	       (double)json_integer_value(json_object_get(json_object_get(response, "election"), "hysteresis")) / 100.0);
	json_array_foreach(json_object_get(response, "groups"), index, group) {
		json_t *masters = json_object_get(group, "campaign_masters"), *entry;
		size_t master_index;

		printf("\ngroup %lld (%lld devices, %lld of %lld candidates eligible): master %s\n  %s\n  key %s\n",
		       (long long)json_integer_value(json_object_get(group, "id")),
		       (long long)json_integer_value(json_object_get(group, "size")),
		       (long long)json_integer_value(json_object_get(group, "eligible")),
		       (long long)json_integer_value(json_object_get(group, "candidates_total")), text_of(group, "master"),
		       text_of(group, "reason"), text_of(group, "key"));
		json_array_foreach(masters, master_index, entry)
			printf("  campaign %lld's master: %s\n", (long long)json_integer_value(json_object_get(entry, "campaign")),
			       text_of(entry, "master"));
		json_array_foreach(json_object_get(group, "candidates"), candidate_index, candidate)
			print_candidate(candidate);
	}
	json_decref(response);
	return 0;
}
