/* cascadectl faults: the faults devices reported (GET /api/faults), and
 * clearing or retrying them:
 *   faults [--device KEY|ID] [--code N] [--campaign N] [--cleared|--all] [--limit N] [--offset N]
 *   faults clear (--device KEY|ID | --code N | --campaign N | --id N | --all)...
 *   faults retry (--device KEY|ID | --campaign N)... */
#include "cli.h"

#include <curl/curl.h>
#include <getopt.h>
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

/* Reads the options of the verb; returns 0 or the usage error's status. */
static int read_options(const char *command, int argc, char **argv, struct fault_options *options)
{
	static const struct option long_options[] = {
		{ "device", required_argument, NULL, 'd' }, { "code", required_argument, NULL, 'c' },
		{ "campaign", required_argument, NULL, 'C' }, { "id", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'l' }, { "offset", required_argument, NULL, 'o' },
		{ "cleared", no_argument, NULL, 'x' }, { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 },
	};
	int option;

	memset(options, 0, sizeof(*options));
	options->limit = 100;
	options->cleared = "open";
	optind = 1;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		long long *target = option == 'c' ? &options->code : option == 'C' ? &options->campaign
				  : option == 'i' ? &options->id : option == 'l' ? &options->limit
				  : option == 'o' ? &options->offset : NULL;

		if (option == '?')
			return usage_error(command, "unknown option");
		if (option == 'd')
			options->device = optarg;
		else if (option == 'x')
			options->cleared = "cleared";
		else if (option == 'a')
			options->all = true, options->cleared = "all";
		else if (target && option == 'o' && strcmp(optarg, "0") == 0)
			*target = 0;
		else if (target && parse_number(optarg, target) < 0)
			return usage_error(command, "--%s wants a positive number, not \"%s\"",
					   option == 'c' ? "code" : option == 'C' ? "campaign" : option == 'i' ? "id"
					   : option == 'l' ? "limit" : "offset", optarg);
	}
	if (optind < argc)
		return usage_error(command, "unexpected argument \"%s\"", argv[optind]);
	return 0;
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
	int status;

	if (verb && strcmp(verb, "clear") != 0 && strcmp(verb, "retry") != 0)
		return usage_error("faults", "unknown action \"%s\" (clear, retry, or none to list)", verb);
	status = read_options(verb ? (strcmp(verb, "clear") == 0 ? "faults clear" : "faults retry") : "faults",
			      verb ? argc - 1 : argc, verb ? argv + 1 : argv, &options);
	if (status)
		return status;
	return verb ? change_faults(verb, &options) : list_faults(&options);
}
