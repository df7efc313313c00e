/* cascadectl campaign start|status|watch|pause|resume|cancel. watch draws
 * a progress bar in place on a terminal and prints plain lines otherwise,
 * and gives up after --timeout seconds. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

static int campaign_start(int argc, char **argv)
{
	static const struct option options[] = {
		{ "image", required_argument, NULL, 'i' }, { "origin", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },  { "sha256", required_argument, NULL, 'h' },
		{ "file", required_argument, NULL, 'f' },  { "mode", required_argument, NULL, 'm' },
		{ "fanout", required_argument, NULL, 'n' }, { "group", required_argument, NULL, 'g' },
		{ "selector", required_argument, NULL, 'e' }, { "signature", required_argument, NULL, 'S' },
		{ "pieces-sha256", required_argument, NULL, 'P' }, { "piece-size", required_argument, NULL, 'z' },
		{ "no-pieces", no_argument, NULL, 'N' }, { NULL, 0, NULL, 0 },
	};
	const char *image = NULL, *origin = NULL, *sha256 = NULL, *file = NULL, *mode = "url", *selector = NULL;
	const char *signature = NULL, *pieces = NULL;
	long long size = 0, fanout = 0, group = 0;
	uint64_t piece_size = IMAGE_PIECES_DEFAULT_PIECE_SIZE;
	bool no_pieces = false;
	char hex[SHA256_HEX_LENGTH + 1], pieces_hex[SHA256_HEX_LENGTH + 1];
	json_t *request, *response;
	char *body;
	int option, result;

	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'i': image = optarg; break;
		case 'o': origin = optarg; break;
		case 'h': sha256 = optarg; break;
		case 'f': file = optarg; break;
		case 'm': mode = optarg; break;
		case 'e': selector = optarg; break;
		case 'S': signature = optarg; break;
		case 'P': pieces = optarg; break;
		case 'N': no_pieces = true; break;
		case 'z':
			if (parse_size(optarg, &piece_size) != 0 || piece_size < IMAGE_PIECES_MIN_PIECE_SIZE ||
			    piece_size > IMAGE_PIECES_MAX_PIECE_SIZE)
				return usage_error("campaign start", "--piece-size wants 4K..64M, not \"%s\"", optarg);
			break;
		case 's':
			if (parse_count(optarg, INT64_MAX, &size) < 0)
				return usage_error("campaign start", "--size wants a byte count, not \"%s\"", optarg);
			break;
		case 'n':
			if (parse_count(optarg, 100000, &fanout) < 0)
				return usage_error("campaign start", "--fanout wants 0..100000, not \"%s\"", optarg);
			break;
		case 'g':
			if (parse_count(optarg, UINT32_MAX, &group) < 0)
				return usage_error("campaign start", "--group wants a group id, not \"%s\"", optarg);
			break;
		default:
			return usage_error("campaign start", "unknown option");
		}
	}
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

static void print_counts(json_t *campaign)
{
	json_t *counts = json_object_get(campaign, "counts");

	printf("campaign %lld %s image %s mode %s: %lld devices, %lld done, %lld failed, %lld downloading, "
	       "%lld queued, %lld pending, %lld cancelled\n",
	       integer_of(campaign, "id"), json_string_value(json_object_get(campaign, "state")),
	       json_string_value(json_object_get(campaign, "image")), json_string_value(json_object_get(campaign, "mode")),
	       integer_of(campaign, "devices"), integer_of(counts, "done"), integer_of(counts, "failed"),
	       integer_of(counts, "downloading"), integer_of(counts, "queued"), integer_of(counts, "pending"),
	       integer_of(counts, "cancelled"));
}

static int parse_id(const char *command, int argc, char **argv, char *path, size_t size, const char *suffix)
{
	long long id;

	if (argc != 2 || parse_count(argv[1], UINT32_MAX, &id) < 0 || id == 0)
		return usage_error(command, "needs one campaign id");
	snprintf(path, size, "/api/campaigns/%lld%s", id, suffix);
	return 0;
}

static int campaign_status(int argc, char **argv)
{
	json_t *response, *campaign;
	char path[96];
	size_t index;

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
		json_array_foreach(json_object_get(response, "group_details"), index, group)
			printf("  group %lld: %lld devices, master %s (%s), %lld failed masters%s\n", integer_of(group, "group"),
			       integer_of(group, "devices"),
			       json_string_value(json_object_get(group, "master")) ?: "none",
			       json_string_value(json_object_get(group, "master_state")) ?: "-",
			       integer_of(group, "failed_masters"),
			       json_is_true(json_object_get(group, "fallback_origin")) ? ", slaves use the origin" : "");
	}
	json_decref(response);
	return 0;
}

static int campaign_control(const char *action, int argc, char **argv)
{
	char path[96], suffix[16], command[32];
	json_t *response;

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
	json_t *counts = json_object_get(campaign, "counts");
	long long total = integer_of(campaign, "devices"), done = integer_of(counts, "done"),
		  failed = integer_of(counts, "failed"), cancelled = integer_of(counts, "cancelled");
	long long finished = done + failed + cancelled;
	int width = 40, filled = total ? (int)(finished * width / total) : width;
	char bar[64];

	if (cli_options.json) {
		char *text = json_dumps(campaign, JSON_COMPACT);

		puts(text ? text : "{}");
		free(text);
		fflush(stdout);
		return;
	}
	if (!terminal) {
		print_counts(campaign);
		fflush(stdout);
		return;
	}
	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '.', (size_t)(width - filled));
	bar[width] = '\0';
	printf("\r[%s] %3lld%% %lld/%lld done, %lld failed, %lld downloading, %lld queued  %s   ", bar,
	       total ? finished * 100 / total : 100, done, total, failed, integer_of(counts, "downloading"),
	       integer_of(counts, "queued"), json_string_value(json_object_get(campaign, "state")));
	fflush(stdout);
}

static int campaign_watch(int argc, char **argv)
{
	static const struct option options[] = {
		{ "interval", required_argument, NULL, 'i' }, { "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	long long interval_ms = 1000, timeout_seconds = 600;
	bool terminal = isatty(STDOUT_FILENO);
	char path[96];
	time_t deadline;
	int option;

	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		double value;
		char *end;

		if (option == '?' || !optarg)
			return usage_error("campaign watch", "options are --interval SECONDS, --timeout SECONDS");
		value = strtod(optarg, &end);
		if (*end || end == optarg || value <= 0 || value > 86400)
			return usage_error("campaign watch", "--%s wants seconds, not \"%s\"",
					   option == 'i' ? "interval" : "timeout", optarg);
		if (option == 'i')
			interval_ms = (long long)(value * 1000);
		else
			timeout_seconds = (long long)value;
	}
	argv[optind - 1] = argv[0];
	if (parse_id("campaign watch", argc - optind + 1, argv + optind - 1, path, sizeof(path), ""))
		return 2;
	deadline = time(NULL) + timeout_seconds;
	for (;;) {
		json_t *campaign;
		const char *state;
		int finished;

		if (api_call("GET", path, NULL, &campaign))
			return 1;
		draw(campaign, terminal);
		state = json_string_value(json_object_get(campaign, "state"));
		finished = state && (strcmp(state, "done") == 0 || strcmp(state, "cancelled") == 0 ||
				     strcmp(state, "halted") == 0);
		if (finished) {
			long long failed = integer_of(json_object_get(campaign, "counts"), "failed");

			if (terminal && !cli_options.json)
				printf("\n");
			json_decref(campaign);
			return failed ? 1 : 0;
		}
		json_decref(campaign);
		if (time(NULL) >= deadline) {
			if (terminal && !cli_options.json)
				printf("\n");
			fprintf(stderr, "cascadectl campaign watch: gave up after %lld s (campaign still running)\n",
				timeout_seconds);
			return 3;
		}
		usleep((useconds_t)(interval_ms * 1000));
	}
}

int command_campaign(int argc, char **argv)
{
	const char *action = argc > 1 ? argv[1] : NULL;

	if (!action)
		return usage_error("campaign", "needs start, status, watch, pause, resume or cancel");
	if (strcmp(action, "start") == 0)
		return campaign_start(argc - 1, argv + 1);
	if (strcmp(action, "status") == 0)
		return campaign_status(argc - 1, argv + 1);
	if (strcmp(action, "watch") == 0)
		return campaign_watch(argc - 1, argv + 1);
	if (strcmp(action, "pause") == 0 || strcmp(action, "resume") == 0 || strcmp(action, "cancel") == 0)
		return campaign_control(action, argc - 1, argv + 1);
	return usage_error("campaign", "unknown action \"%s\" (start, status, watch, pause, resume, cancel)", action);
}
