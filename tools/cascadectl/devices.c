/* cascadectl devices / groups: tables (or --json) of the registry, sorted
 * and filtered, with each device's open faults, and of the groups with
 * their elected masters and why each candidate won or was passed over. */
#include "cli.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int command_devices(int argc, char **argv)
{
	static const struct option options[] = {
		{ "group", required_argument, NULL, 'g' },  { "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' }, { "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'r' },      { "search", required_argument, NULL, 'q' },
		{ "state", required_argument, NULL, 'S' },  { "fault", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sort = "key", *search = NULL, *state = NULL, *fault = NULL;
	char path[1024];
	long group = 0, limit = 1000, offset = 0;
	bool reverse = false;
	json_t *response, *device;
	size_t index;
	int option;

	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		char *end;
		long value;

		switch (option) {
		case 's': sort = optarg; continue;
		case 'r': reverse = true; continue;
		case 'q': search = optarg; continue;
		case 'S': state = optarg; continue;
		case 'f': fault = optarg; continue;
		case '?':
			return usage_error("devices", "options are --group N, --limit N, --offset N, --sort FIELD, "
						      "--reverse, --search TEXT, --state STATE, --fault any|none|CODE");
		default: break;
		}
		value = strtol(optarg, &end, 10);
		if (*end || end == optarg || value < 0)
			return usage_error("devices", "--%s wants a number, not \"%s\"",
					   option == 'g' ? "group" : option == 'l' ? "limit" : "offset", optarg);
		if (option == 'g')
			group = value;
		else if (option == 'l')
			limit = value;
		else
			offset = value;
	}
	if (optind < argc)
		return usage_error("devices", "unexpected argument \"%s\"", argv[optind]);
	snprintf(path, sizeof(path), "/api/devices?group=%ld&limit=%ld&offset=%ld&order=%s", group, limit, offset,
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
	static const struct option options[] = {
		{ "group", required_argument, NULL, 'g' }, { "size", required_argument, NULL, 's' },
		{ "candidates", required_argument, NULL, 'c' }, { NULL, 0, NULL, 0 },
	};
	long long values[3] = { 0, 0, 20 }; /* group, size, candidates */
	json_t *response, *group, *candidate;
	size_t index, candidate_index;
	char path[160];
	int option;

	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		char *end;
		long long value = optarg ? strtoll(optarg, &end, 10) : -1;

		if (option == '?' || !optarg || *end || end == optarg || value < 0)
			return usage_error("groups", "options are --group N, --size BYTES, --candidates N");
		values[option == 'g' ? 0 : option == 's' ? 1 : 2] = value;
	}
	if (optind < argc)
		return usage_error("groups", "unexpected argument \"%s\"", argv[optind]);
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
