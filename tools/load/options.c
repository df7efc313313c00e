/* Command-line parsing for cascade-load (getopt_long). */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cascade-load URL [options]\n"
		"Runs N concurrent full HTTP/1.1 GET downloads of URL and prints one JSON line:\n"
		"clients, completed, errors by kind, bytes, seconds, makespan, throughput.\n"
		"With --output, downloads once into a file (optionally resuming it).\n\n"
		"Options:\n"
		"  --clients N          concurrent downloads (default 1)\n"
		"  --threads N          event loops sharing the clients (default 1)\n"
		"  --deadline DURATION  give up after this; unfinished clients count as timeouts (default 10m)\n"
		"  --duration DURATION  timed run, as wrk does: each client GETs the URL again and again\n"
		"                       (keep-alive; a new connection when the server closes one) until\n"
		"                       DURATION passed; completed counts responses, bytes include the\n"
		"                       responses still in flight at the end, and errors are counted\n"
		"                       (the client then reconnects)\n"
		"  --source-range CIDR  spread connections over these local addresses, e.g. 127.1.0.0/16\n"
		"  --connect-burst N    connections being opened at once (default 512)\n"
		"  --body copy|discard  copy every body byte into user space, as a real client does\n"
		"                       (default), or discard it unread with MSG_TRUNC (cheaper than any\n"
		"                       real client; a labelled extra in benchmarks)\n"
		"  --verify-sha256 HEX  hash every body and compare\n"
		"  --expect-size BYTES  every body must have this length\n"
		"  --output FILE        single download into FILE\n"
		"  --resume             with --output: continue a partial FILE with a Range request\n"
		"  --reset-randomly     stress mode: each client resets its connection (SO_LINGER 0 +\n"
		"                       close) at a random point: mid-request, right after the request,\n"
		"                       or after a random number of response bytes; counted as\n"
		"                       client_resets, not as errors\n"
		"  --seed N             seed of --reset-randomly's choices (default 1)\n"
		"  --quiet              no progress lines on stderr\n"
		"  --help               print this help\n"
		"Exit status: 0 when every client completed without error, 1 otherwise, 2 on bad usage.\n");
}

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

static int fail(const char *message, const char *value)
{
	fprintf(stderr, "cascade-load: %s%s%s (see --help)\n", message, value ? ": " : "",
		value ? value : "");
	return -EINVAL;
}

int load_options_parse(int argc, char **argv, struct load_options *options)
{
	static const struct option long_options[] = {
		{ "clients", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 'D' },
		{ "source-range", required_argument, NULL, 's' },
		{ "connect-burst", required_argument, NULL, 'b' },
		{ "verify-sha256", required_argument, NULL, 'v' },
		{ "expect-size", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "resume", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "body", required_argument, NULL, 'B' },
		{ "reset-randomly", no_argument, NULL, 'R' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	long long number;
	int option;

	memset(options, 0, sizeof(*options));
	options->clients = 1;
	options->threads = 1;
	options->connect_burst = 512;
	options->deadline_ms = 600000;
	options->copy_body = true;
	options->seed = 1;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (option) {
		case 'c':
			if (parse_integer(optarg, 1, 1000000, &number) != 0)
				return fail("bad --clients", optarg);
			options->clients = (unsigned int)number;
			break;
		case 't':
			if (parse_integer(optarg, 1, 64, &number) != 0)
				return fail("bad --threads", optarg);
			options->threads = (unsigned int)number;
			break;
		case 'b':
			if (parse_integer(optarg, 1, 1000000, &number) != 0)
				return fail("bad --connect-burst", optarg);
			options->connect_burst = (unsigned int)number;
			break;
		case 'd':
			if (parse_duration_ms(optarg, &options->deadline_ms) != 0 ||
			    options->deadline_ms == 0)
				return fail("bad --deadline", optarg);
			break;
		case 'D':
			if (parse_duration_ms(optarg, &options->duration_ms) != 0 ||
			    options->duration_ms == 0)
				return fail("bad --duration", optarg);
			break;
		case 's':
			if (parse_source_range(optarg, options) != 0)
				return fail("bad --source-range (want A.B.C.D/BITS, 8..30 bits)", optarg);
			break;
		case 'v':
			if (sha256_from_hex(optarg, options->sha256) != 0)
				return fail("bad --verify-sha256 (want 64 hex digits)", optarg);
			options->verify = true;
			break;
		case 'e':
			if (parse_size(optarg, &options->expected_size) != 0)
				return fail("bad --expect-size", optarg);
			options->has_expected_size = true;
			break;
		case 'o':
			options->output = optarg;
			break;
		case 'r':
			options->resume = true;
			break;
		case 'q':
			options->quiet = true;
			break;
		case 'B':
			if (strcmp(optarg, "copy") == 0)
				options->copy_body = true;
			else if (strcmp(optarg, "discard") == 0)
				options->copy_body = false;
			else
				return fail("bad --body (want copy or discard)", optarg);
			break;
		case 'R':
			options->reset_randomly = true;
			break;
		case 'S':
			if (parse_integer(optarg, 0, 1000000000000ll, &number) != 0)
				return fail("bad --seed", optarg);
			options->seed = (uint64_t)number;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return fail("unknown option or missing value", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return fail("exactly one URL is needed", NULL);
	options->url_text = argv[optind];
	if (url_parse(options->url_text, &options->url, &reason) != 0)
		return fail(reason, options->url_text);
	if (options->resume && options->output == NULL)
		return fail("--resume needs --output", NULL);
	if (options->output != NULL && options->clients != 1)
		return fail("--output downloads once: --clients must be 1", NULL);
	if (options->reset_randomly && (options->output != NULL || options->verify))
		return fail("--reset-randomly cannot be combined with --output or --verify-sha256", NULL);
	if (options->duration_ms > 0 && (options->output != NULL || options->verify ||
					 options->reset_randomly))
		return fail("--duration cannot be combined with --output, --verify-sha256 or "
			    "--reset-randomly", NULL);
	if (options->duration_ms > 0)
		options->deadline_ms = options->duration_ms;
	if (options->threads > options->clients)
		options->threads = options->clients;
	return 0;
}
