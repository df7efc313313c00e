/* cascadectl: the operator CLI. Global options may appear anywhere; the
 * first other word picks a command from the table below, which runs with
 * the remaining arguments (argv[0] = the command's name). */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "devices", "list devices: [--group N] [--limit N] [--offset N]", command_devices },
	{ "groups", "list groups with their elected masters", command_groups },
	{ "campaign", "campaign start|status|watch|pause|resume|cancel (see below)", command_campaign },
	{ "meter", "eBPF meters: attach, detach, group, cap, show, top (meter --help)", command_meter },
	{ "sign", "sign an image for devices with --image-public-key (see below)", command_sign },
};

static void usage(FILE *stream)
{
	fprintf(stream, "Usage: cascadectl [--api URL] [--token-file FILE] [--json] COMMAND [ARGS]\n\n"
			"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stream, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(stream,
		"\nCampaigns:\n"
		"  campaign start --origin URL (--file PATH | --image NAME --size N --sha256 HEX)\n"
		"                 [--image NAME] [--mode url|spv] [--fanout N] [--group N] [--selector F=V,...]\n"
		"                 [--signature BASE64] [--pieces-sha256 HEX | --piece-size SIZE | --no-pieces]\n"
		"                 with --file, the piece list's digest is computed (1M pieces; the origin's\n"
		"                 --piece-size must match), so cascade devices check every piece as it arrives\n"
		"  campaign status [ID]\n"
		"  campaign watch ID [--interval SECONDS] [--timeout SECONDS]  (exit 0 done, 1 failures, 3 timeout)\n"
		"  campaign pause|resume|cancel ID\n"
		"\nImage signatures (Ed25519; docs/security.md):\n"
		"  sign --key PRIVATE.pem (--file PATH [--image NAME] | --image NAME --size N --sha256 HEX)\n"
		"       prints the signature for campaign start --signature\n"
		"\nGlobal options (anywhere on the line):\n"
		"  --api URL          the cascade-acs API (default http://127.0.0.1:7548, or $CASCADE_API)\n"
		"  --token-file FILE  send \"Authorization: Bearer <token>\" (or $CASCADE_TOKEN_FILE)\n"
		"  --json             print the API's JSON\n"
		"  -h, --help         this text\n");
}

/* Takes the global options out of argv wherever they are. */
static int strip_global_options(int *argc, char **argv)
{
	int kept = 1;

	for (int i = 1; i < *argc; i++) {
		const char *word = argv[i];

		if (strcmp(word, "--json") == 0) {
			cli_options.json = true;
		} else if (strcmp(word, "--api") == 0 || strcmp(word, "--token-file") == 0) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "cascadectl: %s needs a value\n", word);
				return -1;
			}
			if (strcmp(word, "--api") == 0)
				cli_options.api_url = argv[++i];
			else
				cli_options.token_file = argv[++i];
		} else if (strncmp(word, "--api=", 6) == 0) {
			cli_options.api_url = word + 6;
		} else if (strncmp(word, "--token-file=", 13) == 0) {
			cli_options.token_file = word + 13;
		} else {
			argv[kept++] = argv[i];
		}
	}
	argv[kept] = NULL;
	*argc = kept;
	return 0;
}

int main(int argc, char **argv)
{
	const char *environment;
	int status;

	if ((environment = getenv("CASCADE_API")) && *environment)
		cli_options.api_url = environment;
	if ((environment = getenv("CASCADE_TOKEN_FILE")) && *environment)
		cli_options.token_file = environment;
	if (strip_global_options(&argc, argv) < 0)
		return 2;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "cascadectl: unknown option %s\n", argv[1]);
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		status = commands[i].main(argc - 1, argv + 1);
		curl_global_cleanup();
		return status;
	}
	fprintf(stderr, "cascadectl: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
