/* cascadectl devices / groups: tables (or --json) of the registry and of
 * the groups with their elected masters. */
#include "cli.h"

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

int command_devices(int argc, char **argv)
{
	static const struct option options[] = {
		{ "group", required_argument, NULL, 'g' }, { "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
	};
	char path[256];
	long group = 0, limit = 1000, offset = 0;
	json_t *response, *device;
	size_t index;
	int option;

	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		char *end;
		long value = optarg ? strtol(optarg, &end, 10) : 0;

		if (option == '?' || !optarg || *end || value < 0)
			return usage_error("devices", "options are --group N, --limit N, --offset N");
		if (option == 'g')
			group = value;
		else if (option == 'l')
			limit = value;
		else
			offset = value;
	}
	if (optind < argc)
		return usage_error("devices", "unexpected argument \"%s\"", argv[optind]);
	snprintf(path, sizeof(path), "/api/devices?group=%ld&limit=%ld&offset=%ld", group, limit, offset);
	if (api_call("GET", path, NULL, &response))
		return 1;
	if (cli_options.json) {
		print_json(response);
		json_decref(response);
		return 0;
	}
	printf("%-32s %5s %-10s %-10s %7s %-4s %-20s %s\n", "DEVICE", "GROUP", "SOFTWARE", "HARDWARE", "CPU%", "FS",
	       "LAST INFORM", "CAMPAIGN");
	json_array_foreach(json_object_get(response, "devices"), index, device) {
		json_t *occupancy = json_object_get(device, "cpu_occupancy");
		json_t *campaign = json_object_get(device, "campaign");
		time_t last = (time_t)json_integer_value(json_object_get(device, "last_inform"));
		char when[32] = "-", cpu[16] = "-", state[64] = "-";
		struct tm utc;

		if (last && gmtime_r(&last, &utc))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &utc);
		if (json_is_integer(occupancy))
			snprintf(cpu, sizeof(cpu), "%.2f", (double)json_integer_value(occupancy) / 100.0);
		if (json_is_object(campaign))
			snprintf(state, sizeof(state), "%lld:%s/%s", (long long)json_integer_value(json_object_get(campaign, "id")),
				 text_of(campaign, "role"), text_of(campaign, "state"));
		printf("%-32s %5lld %-10s %-10s %7s %-4s %-20s %s\n", text_of(device, "key"),
		       (long long)json_integer_value(json_object_get(device, "group")), text_of(device, "software_version"),
		       text_of(device, "hardware_version"), cpu,
		       json_is_true(json_object_get(json_object_get(device, "file_server"), "enable")) ? "yes" : "no", when,
		       state);
	}
	printf("%lld devices\n", (long long)json_integer_value(json_object_get(response, "total")));
	json_decref(response);
	return 0;
}

int command_groups(int argc, char **argv)
{
	json_t *response, *group;
	size_t index;

	if (argc > 1)
		return usage_error("groups", "takes no arguments, got \"%s\"", argv[1]);
	if (api_call("GET", "/api/groups", NULL, &response))
		return 1;
	if (cli_options.json) {
		print_json(response);
		json_decref(response);
		return 0;
	}
	printf("%5s %7s %-32s %s\n", "GROUP", "DEVICES", "MASTER", "KEY");
	json_array_foreach(json_object_get(response, "groups"), index, group)
		printf("%5lld %7lld %-32s %s\n", (long long)json_integer_value(json_object_get(group, "id")),
		       (long long)json_integer_value(json_object_get(group, "size")), text_of(group, "master"),
		       text_of(group, "key"));
	json_decref(response);
	return 0;
}
