/* cascadectl: the operator CLI. Global options may appear anywhere; the
 * first other word picks a command from the table below, which runs with
 * the remaining arguments (argv[0] = the command's name). Every command
 * declares its options in a table (common/cli.h) that gives its parser,
 * its --help and its part of the man page (cascadectl --man). */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum global_option { OPTION_API = 1, OPTION_TOKEN_FILE, OPTION_JSON };

static const struct cli_option global_options[] = {
	CLI_OPTION("api", "URL", "the cascade-acs API (default http://127.0.0.1:7548, or $CASCADE_API)", OPTION_API),
	CLI_OPTION("token-file", "FILE", "send \"Authorization: Bearer <token in FILE>\" (or $CASCADE_TOKEN_FILE)",
		   OPTION_TOKEN_FILE),
	CLI_OPTION("json", NULL, "print the API's JSON instead of tables", OPTION_JSON),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command main_command = {
	.words = "",
	.synopsis = "[--api URL] [--token-file FILE] [--json] COMMAND [ARGUMENTS]",
	.description = "The operator's command line of cascade-acs: devices, groups and their elected masters,\n"
		       "upgrade campaigns and their reports, faults, image signatures, and the eBPF meters of this machine.",
	.options = global_options,
	.notes = "Global options may stand anywhere on the line.",
	.options_first = true,
};

static const struct cli_command meter_command = {
	.words = "meter",
	.synopsis = "COMMAND [ARGUMENTS]",
	.summary = "the eBPF meters of this machine: the commands of cascade-meter(8) (meter --help)",
	.description = "Runs a cascade-meter command (attach, detach, group, port, cap, show, top) with\n"
		       "cascadectl's --json; see cascade-meter(8) or cascadectl meter --help.",
};

static const struct cli_command *const listed_commands[] = {
	&devices_command,
	&groups_command,
	&campaign_start_command,
	&campaign_status_command,
	&campaign_watch_command,
	&campaign_report_command,
	&campaign_pause_command,
	&campaign_resume_command,
	&campaign_cancel_command,
	&faults_command,
	&faults_clear_command,
	&faults_retry_command,
	&sign_command,
	&bound_command,
	&meter_command,
	NULL,
};

static const struct cli_program program = {
	.name = "cascadectl",
	.summary = "the cascade operator's command line: devices, groups, campaigns, signatures, meters",
	.main = &main_command,
	.commands = listed_commands,
	.exit_status = "0 done; 1 the command failed (the API's error, or campaign watch saw failed devices);\n"
		       "2 bad usage; 3 campaign watch gave up at its --timeout; 4 campaign watch saw it cancelled.",
	.see_also = "cascade-acs(8), cascade-meter(8), cascade-master(8), cascade-cpe(8)",
	.man_section = 1,
};

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} runners[] = {
	{ "devices", command_devices }, { "groups", command_groups }, { "campaign", command_campaign },
	{ "faults", command_faults },   { "meter", command_meter },   { "sign", command_sign },
	{ "bound", command_bound },
};

/* Takes the global options out of argv wherever they are; the other words
 * (the command, its options and operands) stay in order. */
static int take_global_options(int *argc, char **argv)
{
	struct cli_parser parser;
	int code;

	cli_begin(&parser, "cascadectl", &(struct cli_command){ .words = "", .options = global_options }, *argc,
		  argv);
	parser.keep_unknown = true;
	while ((code = cli_next(&parser)) > 0) {
		if (code == OPTION_API)
			cli_options.api_url = parser.value;
		else if (code == OPTION_TOKEN_FILE)
			cli_options.token_file = parser.value;
		else
			cli_options.json = true;
	}
	if (code < 0)
		return code;
	*argc = parser.operands + 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_parser parser;
	const char *environment, *command;
	int code, status;

	if ((environment = getenv("CASCADE_API")) && *environment)
		cli_options.api_url = environment;
	if ((environment = getenv("CASCADE_TOKEN_FILE")) && *environment)
		cli_options.token_file = environment;
	if ((code = take_global_options(&argc, argv)) < 0)
		return cli_exit_status(code);
	/* What is left before the command: --help, --version, --man or a mistake. */
	cli_begin_program(&parser, &program, argc, argv);
	if ((code = cli_next(&parser)) != CLI_END)
		return cli_exit_status(code);
	if (parser.index >= argc)
		return cli_usage_error(&parser, "needs a command");
	command = argv[parser.index];
	if (strcmp(command, "help") == 0) {
		cli_print_program_help(&program, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(runners) / sizeof(runners[0]); i++) {
		if (strcmp(command, runners[i].name) != 0)
			continue;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		status = runners[i].main(argc - parser.index, argv + parser.index);
		curl_global_cleanup();
		return status;
	}
	return cli_usage_error(&parser, "unknown command '%s'", command);
}
