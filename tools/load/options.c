/* Command-line parsing for cascade-load: one table of options (common/cli.h:
 * the parser, --help and --man from it). */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/parse.h"

enum load_option {
	OPTION_CLIENTS = 1, OPTION_THREADS, OPTION_DEADLINE, OPTION_DURATION, OPTION_SOURCE_RANGE, OPTION_CONNECT_BURST,
	OPTION_VERIFY_SHA256, OPTION_EXPECT_SIZE, OPTION_OUTPUT, OPTION_RESUME, OPTION_QUIET, OPTION_BODY,
	OPTION_RESET_RANDOMLY, OPTION_SEED,
};

static const struct cli_option load_options[] = {
	CLI_OPTION("clients", "N", "concurrent downloads (default 1)", OPTION_CLIENTS),
	CLI_OPTION("threads", "N", "event loops sharing the clients, up to 64 (default 1)", OPTION_THREADS),
	CLI_OPTION("deadline", "DURATION", "give up after this; unfinished clients count as timeouts (default 10m)",
		   OPTION_DEADLINE),
	CLI_OPTION("duration", "DURATION", "timed run, as wrk does: each client GETs the URL again and again\n"
					   "(keep-alive; a new connection when the server closes one) until\n"
					   "DURATION passed; completed counts responses, bytes include the\n"
					   "responses still in flight at the end, and errors are counted\n"
					   "(the client then reconnects)", OPTION_DURATION),
	CLI_OPTION("source-range", "CIDR", "spread connections over these local addresses, e.g. 127.1.0.0/16",
		   OPTION_SOURCE_RANGE),
	CLI_OPTION("connect-burst", "N", "connections being opened at once (default 512)", OPTION_CONNECT_BURST),
	CLI_OPTION("body", "copy|discard", "copy every body byte into user space, as a real client does (default),\n"
					   "or discard it unread with MSG_TRUNC (cheaper than any real client; a\n"
					   "labelled extra in benchmarks)", OPTION_BODY),
	CLI_OPTION("verify-sha256", "HEX", "hash every body and compare", OPTION_VERIFY_SHA256),
	CLI_OPTION("expect-size", "BYTES", "every body must have this length", OPTION_EXPECT_SIZE),
	CLI_OPTION("output", "FILE", "single download into FILE", OPTION_OUTPUT),
	CLI_OPTION("resume", NULL, "with --output: continue a partial FILE with a Range request", OPTION_RESUME),
	CLI_OPTION("reset-randomly", NULL, "stress mode: each client resets its connection (SO_LINGER 0 + close)\n"
					   "at a random point: mid-request, right after the request, or after a\n"
					   "random number of response bytes; counted as client_resets, not as errors",
		   OPTION_RESET_RANDOMLY),
	CLI_OPTION("seed", "N", "seed of --reset-randomly's choices (default 1)", OPTION_SEED),
	CLI_OPTION("quiet", NULL, "no progress lines on stderr", OPTION_QUIET),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command load_command = {
	.words = "",
	.synopsis = "URL [options]",
	.description = "Runs N concurrent full HTTP/1.1 GET downloads of URL and prints one JSON line:\n"
		       "clients, completed, errors by kind, bytes, seconds, makespan, throughput.\n"
		       "With --output, downloads once into a file (optionally resuming it).",
	.options = load_options,
	.notes = "Exit status: 0 when every client completed without error, 1 otherwise, 2 on bad usage.",
};

static const struct cli_program load_program = {
	.name = "cascade-load",
	.summary = "HTTP load generator and download client (a cascade test and benchmark tool)",
	.main = &load_command,
	.exit_status = "0 when every client completed without error, 1 otherwise, 2 on bad usage.",
	.see_also = "cascade-master(8)",
	.man_section = 1,
};

static int parse_source_range(const char *text, struct load_options *options)
{
	uint32_t base, size;
	unsigned int bits;

	if (parse_ipv4_prefix(text, 8, 30, &base, &bits) != 0)
		return -EINVAL;
	size = 1u << (32 - bits);
	/* Skip the network and broadcast addresses. */
	options->source_first = base + 1;
	options->source_count = size - 2;
	options->has_source_range = true;
	return 0;
}

/* The usage errors in the tools' one wording; -EINVAL. */
#define bad_value(parser, ...) (cli_bad_value((parser), __VA_ARGS__), -EINVAL)
#define fail(parser, ...) (cli_usage_error((parser), __VA_ARGS__), -EINVAL)

int load_options_parse(int argc, char **argv, struct load_options *options)
{
	struct cli_parser parser;
	const char *reason = NULL;
	long long number;
	int code;

	memset(options, 0, sizeof(*options));
	options->clients = 1;
	options->threads = 1;
	options->connect_burst = 512;
	options->deadline_ms = 600000;
	options->copy_body = true;
	options->seed = 1;
	cli_begin_program(&parser, &load_program, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		const char *value = parser.value;

		switch (code) {
		case OPTION_CLIENTS:
			if (parse_integer(value, 1, 1000000, &number) != 0)
				return bad_value(&parser, "expected a whole number from 1 to 1000000");
			options->clients = (unsigned int)number;
			break;
		case OPTION_THREADS:
			if (parse_integer(value, 1, 64, &number) != 0)
				return bad_value(&parser, "expected a whole number from 1 to 64");
			options->threads = (unsigned int)number;
			break;
		case OPTION_CONNECT_BURST:
			if (parse_integer(value, 1, 1000000, &number) != 0)
				return bad_value(&parser, "expected a whole number from 1 to 1000000");
			options->connect_burst = (unsigned int)number;
			break;
		case OPTION_DEADLINE:
			if (parse_duration_ms(value, &options->deadline_ms) != 0 || options->deadline_ms == 0)
				return bad_value(&parser, "expected a duration such as 30s or 10m");
			break;
		case OPTION_DURATION:
			if (parse_duration_ms(value, &options->duration_ms) != 0 || options->duration_ms == 0)
				return bad_value(&parser, "expected a duration such as 10s");
			break;
		case OPTION_SOURCE_RANGE:
			if (parse_source_range(value, options) != 0)
				return bad_value(&parser, "expected A.B.C.D/BITS with 8..30 bits");
			break;
		case OPTION_VERIFY_SHA256:
			if (sha256_from_hex(value, options->sha256) != 0)
				return bad_value(&parser, "expected 64 hex digits");
			options->verify = true;
			break;
		case OPTION_EXPECT_SIZE:
			if (parse_size(value, &options->expected_size) != 0)
				return bad_value(&parser, "expected a size such as 4096 or 64M");
			options->has_expected_size = true;
			break;
		case OPTION_OUTPUT: options->output = value; break;
		case OPTION_RESUME: options->resume = true; break;
		case OPTION_QUIET: options->quiet = true; break;
		case OPTION_BODY:
			if (strcmp(value, "copy") == 0)
				options->copy_body = true;
			else if (strcmp(value, "discard") == 0)
				options->copy_body = false;
			else
				return bad_value(&parser, "expected copy or discard");
			break;
		case OPTION_RESET_RANDOMLY: options->reset_randomly = true; break;
		default: /* OPTION_SEED */
			if (parse_integer(value, 0, 1000000000000ll, &number) != 0)
				return bad_value(&parser, "expected a whole number");
			options->seed = (uint64_t)number;
			break;
		}
	}
	if (code == CLI_ANSWERED)
		return 1;
	if (code < 0 || cli_check_operands(&parser, 1, 1, "needs the URL to download") != 0)
		return -EINVAL;
	options->url_text = argv[1];
	if (url_parse(options->url_text, &options->url, &reason) != 0)
		return fail(&parser, "%s: %s", reason, options->url_text);
	if (options->resume && options->output == NULL)
		return fail(&parser, "--resume needs --output");
	if (options->output != NULL && options->clients != 1)
		return fail(&parser, "--output downloads once: --clients must be 1");
	if (options->reset_randomly && (options->output != NULL || options->verify))
		return fail(&parser, "--reset-randomly cannot be combined with --output or --verify-sha256");
	if (options->duration_ms > 0 && (options->output != NULL || options->verify || options->reset_randomly))
		return fail(&parser, "--duration cannot be combined with --output, --verify-sha256 or --reset-randomly");
	if (options->duration_ms > 0)
		options->deadline_ms = options->duration_ms;
	if (options->threads > options->clients)
		options->threads = options->clients;
	return 0;
}
