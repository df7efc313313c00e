/* cascadectl faults: the faults devices reported (GET /api/faults), and
 * clearing or retrying them:
 *   faults [--device KEY|ID] [--code N] [--campaign N] [--cleared|--all] [--limit N] [--offset N]
 *   faults clear (--device KEY|ID | --code N | --campaign N | --id N | --all)...
 *   faults retry (--device KEY|ID | --campaign N)... */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fault_options {
	const char *device;
	long long code, campaign, id, limit, offset;
	const char *cleared; /* "open", "cleared", "all" */
	bool all;
};

static int parse_number(const char *text, long long *value)
{
	char *end;
	long long parsed = strtoll(text, &end, 10);

	if (end == text || *end || parsed <= 0 || parsed > 4294967295LL)
		return -1;
	*value = parsed;
	return 0;
}

enum fault_option {
	OPTION_DEVICE = 1, OPTION_CODE, OPTION_CAMPAIGN, OPTION_ID, OPTION_LIMIT, OPTION_OFFSET, OPTION_CLEARED,
	OPTION_ALL,
};

static const struct cli_option list_options[] = {
	CLI_OPTION("device", "KEY|ID", "the faults of one device", OPTION_DEVICE),
	CLI_OPTION("code", "N", "only this fault code", OPTION_CODE),
	CLI_OPTION("campaign", "N", "only faults of this campaign", OPTION_CAMPAIGN),
	CLI_OPTION("cleared", NULL, "the cleared faults instead of the open ones", OPTION_CLEARED),
	CLI_OPTION("all", NULL, "open and cleared faults", OPTION_ALL),
	CLI_OPTION("limit", "N", "at most N faults (default 100)", OPTION_LIMIT),
	CLI_OPTION("offset", "N", "skip the first N faults", OPTION_OFFSET),
	CLI_END_OF_OPTIONS,
};

static const struct cli_option clear_options[] = {
	CLI_OPTION("device", "KEY|ID", "the faults of one device", OPTION_DEVICE),
	CLI_OPTION("code", "N", "the faults with this code", OPTION_CODE),
	CLI_OPTION("campaign", "N", "the faults of this campaign", OPTION_CAMPAIGN),
	CLI_OPTION("id", "N", "one fault", OPTION_ID),
	CLI_OPTION("all", NULL, "every open fault", OPTION_ALL),
	CLI_END_OF_OPTIONS,
};

static const struct cli_option retry_options[] = {
	CLI_OPTION("device", "KEY|ID", "this device, in every campaign where it failed", OPTION_DEVICE),
	CLI_OPTION("campaign", "N", "the failed devices of this campaign", OPTION_CAMPAIGN),
	CLI_END_OF_OPTIONS,
};

const struct cli_command faults_command = {
	.words = "faults",
	.synopsis = "[--device KEY|ID] [--code N] [--campaign N] [--cleared|--all] [--limit N] [--offset N]",
	.summary = "the faults devices reported (faults clear, faults retry: see their --help)",
	.description = "Lists the faults devices reported, newest first: when, the device, the code, the campaign,\n"
		       "the RPC it answered and the fault string.",
	.options = list_options,
};

const struct cli_command faults_clear_command = {
	.words = "faults clear",
	.synopsis = "(--device KEY|ID | --code N | --campaign N | --id N | --all)...",
	.summary = "mark faults cleared",
	.description = "Marks the chosen open faults cleared; they stay in the history (faults --cleared).",
	.options = clear_options,
};

const struct cli_command faults_retry_command = {
	.words = "faults retry",
	.synopsis = "(--device KEY|ID | --campaign N)...",
	.summary = "send failed devices their Download again and clear their faults",
	.description = "Failed devices of running campaigns get their Download again; their faults are cleared.",
	.options = retry_options,
};

/* Reads the options of the verb; returns -1 to go on, or the exit status
 * to end with (0 after --help or --version). */
static int read_options(const struct cli_command *command, int argc, char **argv, struct fault_options *options)
{
	struct cli_parser parser;
	int code;

	memset(options, 0, sizeof(*options));
	options->limit = 100;
	options->cleared = "open";
	cli_begin(&parser, "cascadectl", command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		long long *target = code == OPTION_CODE ? &options->code : code == OPTION_CAMPAIGN ? &options->campaign
				  : code == OPTION_ID ? &options->id : code == OPTION_LIMIT ? &options->limit
				  : code == OPTION_OFFSET ? &options->offset : NULL;

		if (code == OPTION_DEVICE)
			options->device = parser.value;
		else if (code == OPTION_CLEARED)
			options->cleared = "cleared";
		else if (code == OPTION_ALL)
			options->all = true, options->cleared = "all";
		else if (code == OPTION_OFFSET && strcmp(parser.value, "0") == 0)
			*target = 0;
		else if (parse_number(parser.value, target) < 0)
			return cli_bad_value(&parser, "expected a positive whole number");
	}
	if (code < 0)
		return cli_exit_status(code);
	code = cli_check_operands(&parser, 0, 0, "");
	return code != 0 ? code : -1;
}

static int list_faults(const struct fault_options *options)
{
	char path[1024], *device = options->device ? curl_easy_escape(NULL, options->device, 0) : NULL;
	json_t *response, *fault;
	size_t index;

	snprintf(path, sizeof(path), "/api/faults?cleared=%s&limit=%lld&offset=%lld%s%s", options->cleared,
		 options->limit, options->offset, device ? "&device=" : "", device ? device : "");
	curl_free(device);
	if (options->code)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&code=%lld", options->code);
	if (options->campaign)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&campaign=%lld", options->campaign);
	if (api_call("GET", path, NULL, &response))
		return 1;
	if (print_json_if_asked(response))
		return 0;
	printf("%6s %-20s %-32s %5s %8s %-18s %s\n", "ID", "AT", "DEVICE", "CODE", "CAMPAIGN", "CONTEXT", "FAULT");
	json_array_foreach(json_object_get(response, "faults"), index, fault) {
		time_t at = (time_t)json_integer_value(json_object_get(fault, "at"));
		json_t *campaign = json_object_get(fault, "campaign");
		char when[32] = "-", campaign_text[16] = "-";
		struct tm utc;

		if (at && gmtime_r(&at, &utc))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &utc);
		if (json_is_integer(campaign))
			snprintf(campaign_text, sizeof(campaign_text), "%lld", (long long)json_integer_value(campaign));
		printf("%6lld %-20s %-32s %5lld %8s %-18s %s%s\n", (long long)json_integer_value(json_object_get(fault, "id")),
		       when, json_string_value(json_object_get(fault, "device")) ?: "?",
		       (long long)json_integer_value(json_object_get(fault, "code")), campaign_text,
		       json_string_value(json_object_get(fault, "context")) ?: "",
		       json_string_value(json_object_get(fault, "string")) ?: "",
		       json_is_integer(json_object_get(fault, "cleared_at")) ? " (cleared)" : "");
	}
	printf("%lld faults\n", (long long)json_integer_value(json_object_get(response, "total")));
	json_decref(response);
	return 0;
}

/* clear or retry: a JSON body of the options given. */
static int change_faults(const char *verb, const struct fault_options *options)
{
	json_t *body = json_object(), *response;
	char path[32], command[32], *text;
	int result;

	snprintf(command, sizeof(command), "faults %s", verb);
	if (options->device) {
		long long id;

		json_object_set_new(body, "device", parse_number(options->device, &id) == 0 ? json_integer(id)
											   : json_string(options->device));
	}
	if (options->code)
		json_object_set_new(body, "code", json_integer(options->code));
	if (options->campaign)
		json_object_set_new(body, "campaign", json_integer(options->campaign));
	if (options->id)
		json_object_set_new(body, "id", json_integer(options->id));
	if (options->all)
		json_object_set_new(body, "all", json_true());
	if (json_object_size(body) == 0) {
		json_decref(body);
		return usage_error(command, strcmp(verb, "clear") == 0
						    ? "say which: --device, --code, --campaign, --id or --all"
						    : "say which: --device and/or --campaign");
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	snprintf(path, sizeof(path), "/api/faults/%s", verb);
	result = api_call("POST", path, text, &response);
	free(text);
	if (result)
		return 1;
	if (cli_options.json)
		print_json(response);
	else if (strcmp(verb, "clear") == 0)
		printf("%lld faults cleared\n", (long long)json_integer_value(json_object_get(response, "cleared")));
	else
		printf("%lld devices retried, %lld faults cleared\n",
		       (long long)json_integer_value(json_object_get(response, "retried")),
		       (long long)json_integer_value(json_object_get(response, "faults_cleared")));
	json_decref(response);
	return 0;
}

int command_faults(int argc, char **argv)
{
	struct fault_options options;
	const char *verb = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	const struct cli_command *command = &faults_command;
	int status;

	if (verb && strcmp(verb, "clear") == 0)
		command = &faults_clear_command;
	else if (verb && strcmp(verb, "retry") == 0)
		command = &faults_retry_command;
	else if (verb)
		return usage_error("faults", "unknown action '%s' (clear, retry, or none to list)", verb);
	status = read_options(command, verb ? argc - 1 : argc, verb ? argv + 1 : argv, &options);
	if (status >= 0)
		return status;
	return verb ? change_faults(verb, &options) : list_faults(&options);
}
