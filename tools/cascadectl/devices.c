/* cascadectl devices / groups: tables (or --json) of the registry and of
 * the groups with their elected masters. */
#include "cli.h"

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

enum devices_option { OPTION_GROUP = 1, OPTION_LIMIT, OPTION_OFFSET };

static const struct cli_option devices_options[] = {
	CLI_OPTION("group", "N", "only the devices of group N (0: every group)", OPTION_GROUP),
	CLI_OPTION("limit", "N", "at most N devices (default 1000)", OPTION_LIMIT),
	CLI_OPTION("offset", "N", "skip the first N devices", OPTION_OFFSET),
	CLI_END_OF_OPTIONS,
};

const struct cli_command devices_command = {
	.words = "devices",
	.synopsis = "[--group N] [--limit N] [--offset N]",
	.summary = "list devices: group, versions, CPU occupancy, file server, last Inform, campaign",
	.description = "Lists the registered devices as a table (or the API's JSON with --json).",
	.options = devices_options,
};

const struct cli_command groups_command = {
	.words = "groups",
	.summary = "list groups with their elected masters",
	.description = "Lists the groups: their size, elected master and grouping key.",
};

int command_devices(int argc, char **argv)
{
	struct cli_parser parser;
	char path[256];
	long long group = 0, limit = 1000, offset = 0, value;
	json_t *response, *device;
	size_t index;
	int code;

	cli_begin(&parser, "cascadectl", &devices_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
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
	snprintf(path, sizeof(path), "/api/devices?group=%lld&limit=%lld&offset=%lld", group, limit, offset);
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
	struct cli_parser parser;
	json_t *response, *group;
	size_t index;
	int code;

	cli_begin(&parser, "cascadectl", &groups_command, argc, argv);
	if ((code = cli_next(&parser)) != CLI_END)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
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
