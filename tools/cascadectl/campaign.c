/* cascadectl campaign start|status|watch|report|pause|resume|cancel.
 * watch draws a progress bar in place on a terminal and prints plain
 * timestamped lines otherwise (watch.h), and gives up after --timeout
 * seconds; report prints the campaign report (report.h). */
#include "cli.h"
#include "report.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/image_pieces.h"
#include "common/parse.h"
#include "common/sha256.h"

static long long integer_of(json_t *object, const char *key)
{
	return (long long)json_integer_value(json_object_get(object, key));
}

static int parse_count(const char *text, long long maximum, long long *value)
{
	char *end;
	long long parsed;

	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno || end == text || *end || parsed < 0 || parsed > maximum)
		return -1;
	*value = parsed;
	return 0;
}

/* The SHA-256 of file's piece list (cascade-pieces-v1) in hex. */
static int pieces_digest_of(const char *file, uint32_t piece_size, char hex[SHA256_HEX_LENGTH + 1])
{
	struct image_pieces pieces;
	uint8_t digest[SHA256_DIGEST_BYTES];
	int fd = open(file, O_RDONLY | O_CLOEXEC), result;

	if (fd < 0)
		return -errno;
	result = image_pieces_from_fd(fd, piece_size, &pieces);
	close(fd);
	if (result < 0)
		return result;
	result = image_pieces_digest(&pieces, digest);
	image_pieces_free(&pieces);
	if (result == 0)
		sha256_to_hex(digest, hex);
	return result;
}

enum start_option {
	OPTION_IMAGE = 1, OPTION_ORIGIN, OPTION_SIZE, OPTION_SHA256, OPTION_FILE, OPTION_MODE, OPTION_FANOUT,
	OPTION_GROUP, OPTION_SELECTOR, OPTION_SIGNATURE, OPTION_PIECES_SHA256, OPTION_PIECE_SIZE, OPTION_NO_PIECES,
	OPTION_SOURCES, OPTION_WAVES, OPTION_WAVE_SUCCESS, OPTION_WAVE_ERROR, OPTION_EGRESS_BUDGET,
};

static const struct cli_option start_options[] = {
	CLI_OPTION("origin", "URL", "the origin's URL of the image (required)", OPTION_ORIGIN),
	CLI_OPTION("file", "PATH", "take the image's name, size, SHA-256 and piece list digest from this file",
		   OPTION_FILE),
	CLI_OPTION("image", "NAME", "the image's name (default with --file: the file's name)", OPTION_IMAGE),
	CLI_OPTION("size", "N", "the image's size in bytes (without --file)", OPTION_SIZE),
	CLI_OPTION("sha256", "HEX", "the image's SHA-256 (without --file)", OPTION_SHA256),
	CLI_OPTION("mode", "url|spv", "how devices are told where to download (default url)", OPTION_MODE),
	CLI_OPTION("fanout", "N", "slaves downloading from one master at a time (0: the ACS's [campaign] fanout)",
		   OPTION_FANOUT),
	CLI_OPTION("group", "N", "only group N (0: every group)", OPTION_GROUP),
	CLI_OPTION("selector", "F=V,...", "only the devices whose attributes match", OPTION_SELECTOR),
	CLI_OPTION("signature", "BASE64", "the image's Ed25519 signature (cascadectl sign)", OPTION_SIGNATURE),
	CLI_OPTION("pieces-sha256", "HEX", "the SHA-256 of the image's piece list, so devices check every piece",
		   OPTION_PIECES_SHA256),
	CLI_OPTION("piece-size", "SIZE",
		   "with --file: the piece size of that list, 4K..64M (default 1M; the origin's\n"
		   "--piece-size must match)",
		   OPTION_PIECE_SIZE),
	CLI_OPTION("no-pieces", NULL, "send no piece list digest", OPTION_NO_PIECES),
	CLI_OPTION("sources", "tree|master",
		   "tree: every file-server member holding or relaying the image serves; master: the master\n"
		   "alone (default: the ACS's [campaign] sources)",
		   OPTION_SOURCES),
	CLI_OPTION("waves", "5%,25%,100%", "cumulative shares of every group opened in turn (default: one wave)",
		   OPTION_WAVES),
	CLI_OPTION("wave-success", "PERCENT", "done share of the open waves that opens the next (default 95)",
		   OPTION_WAVE_SUCCESS),
	CLI_OPTION("wave-error", "PERCENT", "failed share of the open waves that halts the campaign (default 10)",
		   OPTION_WAVE_ERROR),
	CLI_OPTION("egress-budget", "RATE", "bytes/s a group's sources may send together before its dispatch is held",
		   OPTION_EGRESS_BUDGET),
	CLI_END_OF_OPTIONS,
};

const struct cli_command campaign_start_command = {
	.words = "campaign start",
	.synopsis = "--origin URL (--file PATH | --image NAME --size N --sha256 HEX) [options]",
	.summary = "start an upgrade campaign",
	.description = "Starts an upgrade campaign: the groups' elected masters download the image from the origin,\n"
		       "their slaves from them. With --file, the piece list's digest is computed (1M pieces unless\n"
		       "--piece-size), so cascade devices check every piece as it arrives.",
	.options = start_options,
};

/* campaign start, the rollout options gathered into rollout (owned by the caller). */
static int start_with_rollout(int argc, char **argv, json_t *rollout)
{
	const char *image = NULL, *origin = NULL, *sha256 = NULL, *file = NULL, *mode = "url", *selector = NULL;
	const char *signature = NULL, *pieces = NULL;
	long long size = 0, fanout = 0, group = 0;
	uint64_t piece_size = IMAGE_PIECES_DEFAULT_PIECE_SIZE;
	bool no_pieces = false;
	char hex[SHA256_HEX_LENGTH + 1], pieces_hex[SHA256_HEX_LENGTH + 1];
	struct cli_parser parser;
	json_t *request, *response;
	char *body;
	int code, result;

	cli_begin(&parser, "cascadectl", &campaign_start_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		const char *value = parser.value;

		switch (code) {
		case OPTION_SOURCES:
		case OPTION_WAVES:
		case OPTION_WAVE_SUCCESS:
		case OPTION_WAVE_ERROR:
		case OPTION_EGRESS_BUDGET:
			if (rollout_start_option(parser.option->name, value, rollout))
				return 2;
			break;
		case OPTION_IMAGE: image = value; break;
		case OPTION_ORIGIN: origin = value; break;
		case OPTION_SHA256: sha256 = value; break;
		case OPTION_FILE: file = value; break;
		case OPTION_MODE: mode = value; break;
		case OPTION_SELECTOR: selector = value; break;
		case OPTION_SIGNATURE: signature = value; break;
		case OPTION_PIECES_SHA256: pieces = value; break;
		case OPTION_NO_PIECES: no_pieces = true; break;
		case OPTION_PIECE_SIZE:
			if (parse_size(value, &piece_size) != 0 || piece_size < IMAGE_PIECES_MIN_PIECE_SIZE ||
			    piece_size > IMAGE_PIECES_MAX_PIECE_SIZE)
				return cli_bad_value(&parser, "expected a size from 4K to 64M");
			break;
		case OPTION_SIZE:
			if (parse_count(value, INT64_MAX, &size) < 0)
				return cli_bad_value(&parser, "expected a byte count");
			break;
		case OPTION_FANOUT:
			if (parse_count(value, 100000, &fanout) < 0)
				return cli_bad_value(&parser, "expected a whole number from 0 to 100000");
			break;
		default: /* OPTION_GROUP */
			if (parse_count(value, UINT32_MAX, &group) < 0)
				return cli_bad_value(&parser, "expected a group id");
			break;
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	if (file && image_facts_from_file("campaign start", file, hex, &sha256, &size, &image) != 0)
		return 1;
	if (file && !pieces && !no_pieces) {
		result = pieces_digest_of(file, (uint32_t)piece_size, pieces_hex);
		if (result < 0) {
			fprintf(stderr, "cascadectl campaign start: cannot list the pieces of %s: %s\n", file,
				strerror(-result));
			return 1;
		}
		pieces = pieces_hex;
	}
	if (!image || !origin || !sha256 || size <= 0)
		return usage_error("campaign start", "needs --image NAME --origin URL and --size N --sha256 HEX, or --file PATH");
	request = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:I}", "image", image, "origin_url", origin, "sha256", sha256,
			    "size", (json_int_t)size, "mode", mode, "fanout", (json_int_t)fanout, "group", (json_int_t)group);
	if (selector)
		json_object_set_new(request, "selector", json_string(selector));
	if (signature)
		json_object_set_new(request, "signature", json_string(signature));
	if (pieces && !no_pieces)
		json_object_set_new(request, "pieces_sha256", json_string(pieces));
	json_object_update(request, rollout);
	body = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	result = api_call("POST", "/api/campaigns", body, &response);
	free(body);
	if (result)
		return 1;
	if (cli_options.json)
		print_json(response);
	else
		printf("campaign %lld started: %lld devices in %lld groups, every master's Download queued in %lld ms\n",
		       integer_of(response, "id"), integer_of(response, "devices"), integer_of(response, "groups"),
		       integer_of(response, "masters_queued_ms"));
	json_decref(response);
	return 0;
}

static int campaign_start(int argc, char **argv)
{
	json_t *rollout = json_object();
	int status;

	if (!rollout)
		return 1;
	status = start_with_rollout(argc, argv, rollout);
	json_decref(rollout);
	return status;
}

static void print_counts(json_t *campaign)
{
	json_t *counts = json_object_get(campaign, "counts");
	char rollout[256];

	rollout_describe(campaign, rollout, sizeof(rollout));
	printf("campaign %lld %s image %s mode %s: %lld devices, %lld done, %lld failed, %lld downloading, "
	       "%lld queued, %lld pending, %lld cancelled%s\n",
	       integer_of(campaign, "id"), json_string_value(json_object_get(campaign, "state")),
	       json_string_value(json_object_get(campaign, "image")), json_string_value(json_object_get(campaign, "mode")),
	       integer_of(campaign, "devices"), integer_of(counts, "done"), integer_of(counts, "failed"),
	       integer_of(counts, "downloading"), integer_of(counts, "queued"), integer_of(counts, "pending"),
	       integer_of(counts, "cancelled"), rollout);
}

static int parse_id(const char *command, int argc, char **argv, char *path, size_t size, const char *suffix)
{
	long long id;

	if (argc != 2 || parse_count(argv[1], UINT32_MAX, &id) < 0 || id == 0)
		return usage_error(command, "needs one campaign id");
	snprintf(path, size, "/api/campaigns/%lld%s", id, suffix);
	return 0;
}

/* Reads the line of a command without options: answers --help and
 * --version, refuses options; *argc becomes 1 + the operands, which are
 * then argv[1..]. Returns -1 to go on, or the exit status. */
static int read_operands(const struct cli_command *command, int *argc, char **argv)
{
	struct cli_parser parser;
	int code;

	cli_begin(&parser, "cascadectl", command, *argc, argv);
	if ((code = cli_next(&parser)) != CLI_END)
		return cli_exit_status(code);
	*argc = parser.operands + 1;
	return -1;
}

const struct cli_command campaign_status_command = {
	.words = "campaign status",
	.synopsis = "[ID]",
	.summary = "every campaign's counts, or one campaign's with its groups",
	.description = "Prints every campaign's counts, or, with ID, that campaign's counts and its groups\n"
		       "(master, its state, failed masters, whether slaves fell back to the origin).",
};

const struct cli_command campaign_pause_command = {
	.words = "campaign pause",
	.synopsis = "ID",
	.summary = "pause a campaign: no new Downloads are sent",
};

const struct cli_command campaign_resume_command = {
	.words = "campaign resume",
	.synopsis = "ID",
	.summary = "resume a paused campaign",
};

const struct cli_command campaign_cancel_command = {
	.words = "campaign cancel",
	.synopsis = "ID",
	.summary = "cancel a campaign",
};

static int campaign_status(int argc, char **argv)
{
	json_t *response, *campaign;
	char path[96];
	size_t index;
	int status = read_operands(&campaign_status_command, &argc, argv);

	if (status >= 0)
		return status;
	if (argc == 1) {
		if (api_call("GET", "/api/campaigns", NULL, &response))
			return 1;
		if (cli_options.json)
			print_json(response);
		else
			json_array_foreach(json_object_get(response, "campaigns"), index, campaign)
				print_counts(campaign);
		json_decref(response);
		return 0;
	}
	if (parse_id("campaign status", argc, argv, path, sizeof(path), ""))
		return 2;
	if (api_call("GET", path, NULL, &response))
		return 1;
	if (cli_options.json) {
		print_json(response);
	} else {
		json_t *group;

		print_counts(response);
		json_array_foreach(json_object_get(response, "group_details"), index, group) {
			printf("  group %lld: %lld devices, master %s (%s), %lld failed masters%s\n", integer_of(group, "group"),
			       integer_of(group, "devices"),
			       json_string_value(json_object_get(group, "master")) ?: "none",
			       json_string_value(json_object_get(group, "master_state")) ?: "-",
			       integer_of(group, "failed_masters"),
			       json_is_true(json_object_get(group, "fallback_origin")) ? ", slaves use the origin" : "");
			rollout_print_group(group);
		}
	}
	json_decref(response);
	return 0;
}

static int campaign_control(const struct cli_command *line, const char *action, int argc, char **argv)
{
	char path[96], suffix[16], command[32];
	json_t *response;
	int status = read_operands(line, &argc, argv);

	if (status >= 0)
		return status;
	snprintf(suffix, sizeof(suffix), "/%s", action);
	snprintf(command, sizeof(command), "campaign %s", action);
	if (parse_id(command, argc, argv, path, sizeof(path), suffix))
		return 2;
	if (api_call("POST", path, NULL, &response))
		return 1;
	if (cli_options.json)
		print_json(response);
	else
		print_counts(response);
	json_decref(response);
	return 0;
}

static void draw(json_t *campaign, bool terminal)
{
	char line[512], rollout[256];

	if (cli_options.json) {
		char *text = json_dumps(campaign, JSON_COMPACT);

		puts(text ? text : "{}");
		free(text);
		fflush(stdout);
		return;
	}
	watch_line(campaign, time(NULL), terminal, line, sizeof(line));
	rollout_describe(campaign, rollout, sizeof(rollout));
	printf(terminal ? "\r%s%s   " : "%s%s\n", line, rollout);
	fflush(stdout);
}

enum watch_option { OPTION_INTERVAL = 1, OPTION_TIMEOUT };

static const struct cli_option watch_options[] = {
	CLI_OPTION("interval", "SECONDS", "time between two looks (default 1)", OPTION_INTERVAL),
	CLI_OPTION("timeout", "SECONDS", "give up after this long (default 600)", OPTION_TIMEOUT),
	CLI_END_OF_OPTIONS,
};

const struct cli_command campaign_watch_command = {
	.words = "campaign watch",
	.synopsis = "ID [--interval SECONDS] [--timeout SECONDS]",
	.summary = "follow a campaign until it ends (exit 0 done, 1 failures or halted, 3 timeout, 4 cancelled)",
	.description = "Follows a campaign: a progress bar in place on a terminal, a timestamped line per look\n"
		       "otherwise. Exits 0 when every device is done, 1 when some failed or the campaign halted,\n"
		       "3 after --timeout, 4 when it was cancelled.",
	.options = watch_options,
};

static int campaign_watch(int argc, char **argv)
{
	long long interval_ms = 1000, timeout_seconds = 600;
	bool terminal = isatty(STDOUT_FILENO);
	struct cli_parser parser;
	char path[96];
	time_t deadline;
	int code;

	cli_begin(&parser, "cascadectl", &campaign_watch_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		double value;
		char *end;

		value = strtod(parser.value, &end);
		if (*end || end == parser.value || value <= 0 || value > 86400)
			return cli_bad_value(&parser, "expected seconds, more than 0 and at most 86400");
		if (code == OPTION_INTERVAL)
			interval_ms = (long long)(value * 1000);
		else
			timeout_seconds = (long long)value;
	}
	if (code < 0)
		return cli_exit_status(code);
	if (parse_id("campaign watch", parser.operands + 1, argv, path, sizeof(path), ""))
		return 2;
	deadline = time(NULL) + timeout_seconds;
	for (;;) {
		json_t *campaign, *counts;
		int status;

		if (api_call("GET", path, NULL, &campaign))
			return 1;
		draw(campaign, terminal);
		if (watch_finished(campaign, &status)) {
			counts = json_object_get(campaign, "counts");
			if (terminal && !cli_options.json)
				printf("\n");
			if (status == WATCH_EXIT_CANCELLED)
				fprintf(stderr,
					"cascadectl campaign watch: campaign %lld was cancelled (%lld transfers still "
					"running are recorded as they end)\n",
					integer_of(campaign, "id"),
					integer_of(counts, "downloading") + integer_of(counts, "queued"));
			json_decref(campaign);
			return status;
		}
		json_decref(campaign);
		if (time(NULL) >= deadline) {
			if (terminal && !cli_options.json)
				printf("\n");
			fprintf(stderr, "cascadectl campaign watch: gave up after %lld s (campaign still running)\n",
				timeout_seconds);
			return WATCH_EXIT_TIMEOUT;
		}
		usleep((useconds_t)(interval_ms * 1000));
	}
}

enum report_option { OPTION_REPORT_JSON = 1, OPTION_REPORT_CSV };

static const struct cli_option report_options[] = {
	CLI_OPTION("json", NULL, "the report as JSON", OPTION_REPORT_JSON),
	CLI_OPTION("csv", NULL, "the per-group results as CSV", OPTION_REPORT_CSV),
	CLI_END_OF_OPTIONS,
};

const struct cli_command campaign_report_command = {
	.words = "campaign report",
	.synopsis = "ID [--json|--csv]",
	.summary = "a campaign's report: start, end, makespan, origin bytes against direct, per-group results",
	.description = "Prints a campaign's report: start, end and makespan, origin requests and bytes against\n"
		       "downloading directly, and each group's results.",
	.options = report_options,
};

/* report ID [--json|--csv] */
static int campaign_report(int argc, char **argv)
{
	enum report_format format = cli_options.json ? REPORT_JSON : REPORT_TEXT;
	struct cli_parser parser;
	char path[96];
	json_t *report;
	int code;

	cli_begin(&parser, "cascadectl", &campaign_report_command, argc, argv);
	while ((code = cli_next(&parser)) > 0)
		format = code == OPTION_REPORT_CSV ? REPORT_CSV : REPORT_JSON;
	if (code < 0)
		return cli_exit_status(code);
	if (parse_id("campaign report", parser.operands + 1, argv, path, sizeof(path), "/report"))
		return 2;
	if (api_call("GET", path, NULL, &report))
		return 1;
	report_print(stdout, report, format);
	json_decref(report);
	return 0;
}

static const struct cli_command *const campaign_actions[] = {
	&campaign_start_command, &campaign_status_command, &campaign_watch_command, &campaign_report_command,
	&campaign_pause_command, &campaign_resume_command, &campaign_cancel_command, NULL,
};

static const struct cli_command campaign_command = {
	.words = "campaign",
	.synopsis = "ACTION [ARGUMENTS]",
	.description = "Upgrade campaigns; every action answers --help.",
	.subcommands = campaign_actions,
	.options_first = true,
};

int command_campaign(int argc, char **argv)
{
	struct cli_parser parser;
	const char *action;
	int code;

	cli_begin(&parser, "cascadectl", &campaign_command, argc, argv);
	if ((code = cli_next(&parser)) != CLI_END)
		return cli_exit_status(code);
	if (parser.index >= argc)
		return cli_usage_error(&parser, "needs start, status, watch, report, pause, resume or cancel");
	action = argv[parser.index];
	argc -= parser.index;
	argv += parser.index;
	if (strcmp(action, "start") == 0)
		return campaign_start(argc, argv);
	if (strcmp(action, "status") == 0)
		return campaign_status(argc, argv);
	if (strcmp(action, "watch") == 0)
		return campaign_watch(argc, argv);
	if (strcmp(action, "report") == 0)
		return campaign_report(argc, argv);
	if (strcmp(action, "pause") == 0)
		return campaign_control(&campaign_pause_command, action, argc, argv);
	if (strcmp(action, "resume") == 0)
		return campaign_control(&campaign_resume_command, action, argc, argv);
	if (strcmp(action, "cancel") == 0)
		return campaign_control(&campaign_cancel_command, action, argc, argv);
	return cli_usage_error(&parser, "unknown action '%s' (start, status, watch, report, pause, resume, cancel)",
			       action);
}
