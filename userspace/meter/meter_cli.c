/* cascade-meter's commands (see meter_cli.h; each declares its options and
 * help in a table of the tools' command-line layer, common/cli.h):
 * argument parsing and validation first, then one library call, so that a
 * bad argument is refused before anything changes. */
#include "meter/meter_cli.h"
#include "meter/cpu_meter.h"
#include "meter/group_meter.h"
#include "meter/meter_objects.h"
#include "meter/meter_values.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "meter_types.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE CLI_EXIT_USAGE

enum meter_option {
	OPTION_BPF_PIN_DIR = 1, OPTION_OLD_PIN_DIR, OPTION_JSON, OPTION_INTERFACE, OPTION_PORT, OPTION_MAX_PREFIXES,
	OPTION_NO_CPU, OPTION_UNPIN, OPTION_INTERVAL, OPTION_COUNT,
};

static const struct cli_option global_options[] = {
	{ .name = "bpf-pin-dir", .value_name = "DIR", .short_name = 'd', .code = OPTION_BPF_PIN_DIR,
	  .help = "where the meters' maps are pinned (default " METER_DEFAULT_PIN_DIR ")" },
	{ .name = "pin-dir", .value_name = "DIR", .code = OPTION_OLD_PIN_DIR, .hidden = true,
	  .help = "old spelling of --bpf-pin-dir" },
	{ .name = "json", .short_name = 'j', .code = OPTION_JSON, .help = "machine-readable output" },
	CLI_END_OF_OPTIONS,
};

static const struct cli_command main_command = {
	.words = "",
	.synopsis = "[--bpf-pin-dir DIR] [--json] COMMAND [ARGUMENTS]",
	.description = "Loads and inspects cascade's eBPF meters: per-group egress bytes and caps, and CPU occupancy.",
	.options = global_options,
	.notes = "Groups are 1..16777215; group 0 counts unattributed traffic. Packets whose socket mark is\n"
		 "0xCA000000|GROUP are that group's, whatever their address.",
	.options_first = true,
};

static const struct cli_option attach_options[] = {
	CLI_OPTION("interface", "IF", "the interface whose tc egress is metered (required)", OPTION_INTERFACE),
	CLI_OPTION("port", "PORT", "add PORT to the server ports whose unmarked packets count (repeatable;\n"
				   "none ever registered: every packet counts)", OPTION_PORT),
	CLI_OPTION("max-prefixes", "N", "prefixes per address family, 1..16384", OPTION_MAX_PREFIXES),
	CLI_OPTION("no-cpu", NULL, "do not start the CPU meter", OPTION_NO_CPU),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command attach_command = {
	.words = "attach",
	.synopsis = "--interface IF [--port PORT]... [--max-prefixes N] [--no-cpu]",
	.summary = "put the group meter on IF's tc egress and start the CPU meter",
	.description = "Puts the group meter on IF's tc egress (again: reuses the pins, counters survive) and\n"
		       "starts the CPU meter.",
	.options = attach_options,
};

static const struct cli_option detach_options[] = {
	CLI_OPTION("unpin", NULL, "also drop the counters and the pin directory", OPTION_UNPIN),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command detach_command = {
	.words = "detach",
	.synopsis = "[--unpin]",
	.summary = "remove the filter and the qdiscs the meter created, stop the CPU meter",
	.description = "Removes the filter and the qdiscs the meter created, forgets the ports and stops the CPU\n"
		       "meter; the counters stay pinned unless --unpin.",
	.options = detach_options,
};

static const struct cli_command group_set_command = {
	.words = "group set", .synopsis = "PREFIX GROUP",
	.summary = "count traffic to a destination prefix (10.1.0.0/16, fd00::/64) for GROUP",
};
static const struct cli_command group_remove_command = {
	.words = "group remove", .synopsis = "PREFIX", .summary = "forget a prefix",
};
static const struct cli_command group_list_command = {
	.words = "group list", .summary = "the prefixes and their groups",
};
static const struct cli_command *const group_commands[] = { &group_set_command, &group_remove_command,
							    &group_list_command, NULL };
static const struct cli_command group_command = {
	.words = "group", .synopsis = "set|remove|list ...", .summary = "destination prefixes of the groups",
	.subcommands = group_commands, .options_first = true,
};

static const struct cli_command port_list_command = {
	.words = "port list", .summary = "the server ports counted (what the program reads)",
};
static const struct cli_command port_remove_command = {
	.words = "port remove", .synopsis = "PORT", .summary = "stop counting a server port",
};
static const struct cli_command *const port_commands[] = { &port_list_command, &port_remove_command, NULL };
static const struct cli_command port_command = {
	.words = "port", .synopsis = "list|remove ...", .summary = "the server ports counted",
	.subcommands = port_commands, .options_first = true,
};

static const struct cli_command cap_set_command = {
	.words = "cap set", .synopsis = "GROUP RATE",
	.summary = "cap a group's total payload rate (all its slaves together): 10mbit, 5MB/s, 800kbit",
	.description = "Caps a group's total payload rate, all its slaves together (htb class ca:GROUP). RATE is a\n"
		       "number and a unit: 10mbit, 5MB/s, 800kbit (8kbit..100gbit).",
};
static const struct cli_command cap_clear_command = {
	.words = "cap clear", .synopsis = "GROUP", .summary = "remove a group's cap",
};
static const struct cli_command *const cap_commands[] = { &cap_set_command, &cap_clear_command, NULL };
static const struct cli_command cap_command = {
	.words = "cap", .synopsis = "set|clear ...", .summary = "caps of the groups' rates",
	.subcommands = cap_commands, .options_first = true,
};

static const struct cli_option show_options[] = {
	CLI_OPTION("interval", "DURATION", "rates over this long (default 1s; 0: no rates)", OPTION_INTERVAL),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command show_command = {
	.words = "show",
	.synopsis = "[--interval DURATION]",
	.summary = "one report: the meter as the kernel has it, groups, CPU occupancy",
	.description = "One report: the meter as the kernel has it, the groups (bytes, packets, rate, cap, class,\n"
		       "drops) and the CPU occupancy over the interval.",
	.options = show_options,
};

static const struct cli_option top_options[] = {
	CLI_OPTION("interval", "DURATION", "time between two reports, at least 100ms (default 1s)", OPTION_INTERVAL),
	CLI_OPTION("count", "N", "stop after N reports (default: until interrupted)", OPTION_COUNT),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command top_command = {
	.words = "top",
	.synopsis = "[--interval DURATION] [--count N]",
	.summary = "refreshing report (plain lines when not a terminal)",
	.options = top_options,
};

static const struct cli_command *const listed_commands[] = {
	&attach_command, &detach_command, &group_set_command, &group_remove_command, &group_list_command,
	&port_list_command, &port_remove_command, &cap_set_command, &cap_clear_command, &show_command,
	&top_command, NULL,
};

static const struct cli_program meter_program = {
	.name = "cascade-meter",
	.summary = "load, inspect and cap cascade's eBPF meters",
	.main = &main_command,
	.commands = listed_commands,
	.exit_status = "0 done; 1 failed (a one-line message on stderr); 2 bad usage.",
	.see_also = "cascade-master(8), cascade-cpe(8), cascadectl(1)",
	.man_section = 8,
};

void meter_cli_print_error(const struct meter_cli *cli, const char *message)
{
	fprintf(stderr, "%s: %s\n", cli->program, message);
}

/* Reads a command that takes no options: answers --help and --version,
 * refuses options, and checks it has from minimum to maximum operands.
 * Returns -1 to go on, or the exit status. */
static int read_words(const struct meter_cli *cli, const struct cli_command *command, int argc, char **argv,
		      int minimum, int maximum, const char *missing)
{
	struct cli_parser parser;
	int code;

	cli_begin(&parser, cli->program, command, argc, argv);
	if ((code = cli_next(&parser)) != CLI_END)
		return cli_exit_status(code);
	code = cli_check_operands(&parser, minimum, maximum, missing);
	return code != 0 ? code : -1;
}

/* A bad operand of command: "NAME WORDS: message 'word'... (see --help)". */
static int bad_operand(const struct meter_cli *cli, const struct cli_command *command, const char *format,
		       const char *word)
{
	struct cli_parser parser;

	cli_begin(&parser, cli->program, command, 0, NULL);
	return cli_usage_error(&parser, format, word);
}

static int failed(const struct meter_cli *cli, const struct meter_error *error)
{
	meter_cli_print_error(cli, error->message[0] ? error->message : "failed");
	return EXIT_FAILURE;
}

static void print_json_line(json_t *value)
{
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;

	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(value);
}

static void print_done(const struct meter_cli *cli, const char *what)
{
	if (cli->json)
		print_json_line(json_pack("{s:b, s:s}", "ok", 1, "done", what));
	else
		printf("%s\n", what);
}

/* Says so when other meters count on the same interface. */
static void print_others(const struct meter_cli *cli, struct group_meter *meter)
{
	struct group_meter_status status;

	if (group_meter_get_status(meter, &status, NULL) < 0)
		return;
	for (size_t index = 0; index < status.other_count; index++)
		fprintf(stderr, "%s: note: %s is also metered by the meter pinned at %s (tc pref %u)\n", cli->program,
			status.interface, status.others[index].pin_dir, status.others[index].tc_priority);
}

static int command_attach(const struct meter_cli *cli, int argc, char **argv)
{
	struct group_meter_options attach = { .pin_dir = cli->pin_dir };
	uint16_t ports[METER_MAX_PORTS];
	struct group_meter *meter = NULL;
	struct meter_error error = { 0 };
	struct cli_parser parser;
	bool with_cpu = true;
	long long value;
	int code;

	cli_begin(&parser, cli->program, &attach_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		switch (code) {
		case OPTION_INTERFACE: attach.interface = parser.value; break;
		case OPTION_PORT:
			if (parse_integer(parser.value, 1, 65535, &value) < 0)
				return cli_bad_value(&parser, "expected a port from 1 to 65535");
			if (attach.port_count == METER_MAX_PORTS)
				return cli_usage_error(&parser, "too many --port options (at most %d)", METER_MAX_PORTS);
			ports[attach.port_count++] = (uint16_t)value;
			break;
		case OPTION_MAX_PREFIXES:
			if (parse_integer(parser.value, 1, METER_MAX_PREFIXES, &value) < 0)
				return cli_bad_value(&parser, "expected a whole number from 1 to %d", METER_MAX_PREFIXES);
			attach.max_prefixes = (uint32_t)value;
			break;
		default: with_cpu = false; break; /* OPTION_NO_CPU */
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	if (attach.interface == NULL)
		return cli_usage_error(&parser, "needs --interface IF");
	attach.ports = ports;
	if (group_meter_attach(&attach, &meter, &error) < 0)
		return failed(cli, &error);
	print_others(cli, meter);
	group_meter_close(meter);
	if (with_cpu) {
		struct cpu_meter_options cpu_options = { .pin_dir = meter_pin_dir(cli->pin_dir) };
		struct cpu_meter *cpu = NULL;

		if (cpu_meter_open(&cpu_options, &cpu, &error) < 0)
			return failed(cli, &error);
		if (cpu_meter_source(cpu) != CPU_METER_SOURCE_EBPF)
			fprintf(stderr, "%s: CPU meter uses /proc/stat: %s\n", cli->program,
				cpu_meter_fallback_reason(cpu));
		cpu_meter_close(cpu);
	}
	print_done(cli, "attached");
	return EXIT_SUCCESS;
}

static int command_detach(const struct meter_cli *cli, int argc, char **argv)
{
	struct group_meter *meter = NULL;
	struct meter_error error = { 0 };
	struct cli_parser parser;
	bool unpin = false;
	int code, status = EXIT_SUCCESS;

	cli_begin(&parser, cli->program, &detach_command, argc, argv);
	while ((code = cli_next(&parser)) > 0)
		unpin = true; /* OPTION_UNPIN */
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	if (group_meter_open(cli->pin_dir, &meter, &error) == 0) {
		if (group_meter_detach(meter, unpin, &error) < 0)
			status = failed(cli, &error);
		group_meter_close(meter);
	} else if (unpin && (error.code == -ENOENT || error.code == -ESTALE)) {
		/* Not a whole meter of this build: remove what is left of one. */
		if (group_meter_remove_leftovers(cli->pin_dir, &error) < 0 && error.code != -ENOENT)
			status = failed(cli, &error);
	} else if (error.code != -ENOENT) {
		status = failed(cli, &error);
	}
	if (cpu_meter_detach(cli->pin_dir, &error) < 0)
		status = failed(cli, &error);
	if (status == EXIT_SUCCESS)
		print_done(cli, unpin ? "detached and unpinned" : "detached (counters kept in pins)");
	return status;
}

/* Opens the attached group meter or prints why not. */
static int open_meter(const struct meter_cli *cli, struct group_meter **meter)
{
	struct meter_error error = { 0 };

	if (group_meter_open(cli->pin_dir, meter, &error) < 0)
		return failed(cli, &error);
	return EXIT_SUCCESS;
}

static int bad_group(const struct meter_cli *cli, const struct cli_command *command, const char *text)
{
	return bad_operand(cli, command, "bad group '%s': groups are 1..16777215", text);
}

static int bad_prefix(const struct meter_cli *cli, const struct cli_command *command, const char *text)
{
	return bad_operand(cli, command, "bad prefix '%s': give ADDRESS[/LENGTH] with zero host bits", text);
}

/* The action word after a command of commands (group, port, cap): answers
 * --help; *index gets the action's position. Returns -1 to go on, or the
 * exit status. */
static int read_action(const struct meter_cli *cli, const struct cli_command *command, int argc, char **argv,
		       int *index)
{
	struct cli_parser parser;
	int code;

	cli_begin(&parser, cli->program, command, argc, argv);
	if ((code = cli_next(&parser)) != CLI_END)
		return cli_exit_status(code);
	if (parser.index >= argc)
		return cli_usage_error(&parser, "needs one of: %s", command->synopsis);
	*index = parser.index;
	return -1;
}

static int command_group_list(const struct meter_cli *cli, struct group_meter *meter)
{
	struct group_meter_prefix *entries = calloc(2 * METER_MAX_PREFIXES, sizeof(*entries));
	struct meter_error error = { 0 };
	size_t count = 0;

	if (entries == NULL)
		return EXIT_FAILURE;
	json_t *list = json_array();

	group_meter_list_prefixes(meter, entries, 2 * METER_MAX_PREFIXES, &count, &error);
	for (size_t index = 0; index < count && index < 2 * METER_MAX_PREFIXES; index++) {
		if (cli->json)
			json_array_append_new(list, json_pack("{s:s, s:I}", "prefix", entries[index].prefix, "group",
							      (json_int_t)entries[index].group));
		else
			printf("%-44s %u\n", entries[index].prefix, entries[index].group);
	}
	if (cli->json)
		print_json_line(json_pack("{s:o}", "prefixes", list));
	else
		json_decref(list);
	free(entries);
	return EXIT_SUCCESS;
}

static int command_group(const struct meter_cli *cli, int argc, char **argv)
{
	struct group_meter *meter = NULL;
	struct meter_error error = { 0 };
	struct meter_prefix prefix;
	uint32_t group = 0;
	int status, index;

	if ((status = read_action(cli, &group_command, argc, argv, &index)) >= 0)
		return status;
	argc -= index;
	argv += index;
	if (strcmp(argv[0], "set") == 0) {
		if ((status = read_words(cli, &group_set_command, argc, argv, 2, 2, "needs PREFIX and GROUP")) >= 0)
			return status;
		if (meter_parse_prefix(argv[1], &prefix) < 0)
			return bad_prefix(cli, &group_set_command, argv[1]);
		if (meter_parse_group(argv[2], &group) < 0)
			return bad_group(cli, &group_set_command, argv[2]);
	} else if (strcmp(argv[0], "remove") == 0) {
		if ((status = read_words(cli, &group_remove_command, argc, argv, 1, 1, "needs PREFIX")) >= 0)
			return status;
		if (meter_parse_prefix(argv[1], &prefix) < 0)
			return bad_prefix(cli, &group_remove_command, argv[1]);
	} else if (strcmp(argv[0], "list") == 0) {
		if ((status = read_words(cli, &group_list_command, argc, argv, 0, 0, "")) >= 0)
			return status;
	} else {
		return bad_operand(cli, &group_command, "unknown group command '%s'", argv[0]);
	}
	if ((status = open_meter(cli, &meter)) != EXIT_SUCCESS)
		return status;
	if (strcmp(argv[0], "list") == 0) {
		status = command_group_list(cli, meter);
	} else if (strcmp(argv[0], "set") == 0) {
		status = group_meter_set_prefix(meter, argv[1], group, &error) < 0 ? failed(cli, &error) : EXIT_SUCCESS;
		if (status == EXIT_SUCCESS)
			print_done(cli, "prefix set");
	} else {
		status = group_meter_remove_prefix(meter, argv[1], &error) < 0 ? failed(cli, &error) : EXIT_SUCCESS;
		if (status == EXIT_SUCCESS)
			print_done(cli, "prefix removed");
	}
	group_meter_close(meter);
	return status;
}

static int command_port(const struct meter_cli *cli, int argc, char **argv)
{
	struct group_meter *meter = NULL;
	struct group_meter_status status;
	struct meter_error error = { 0 };
	long long value = 0;
	int result, index;

	if ((result = read_action(cli, &port_command, argc, argv, &index)) >= 0)
		return result;
	argc -= index;
	argv += index;
	if (strcmp(argv[0], "list") == 0) {
		if ((result = read_words(cli, &port_list_command, argc, argv, 0, 0, "")) >= 0)
			return result;
	} else if (strcmp(argv[0], "remove") == 0) {
		if ((result = read_words(cli, &port_remove_command, argc, argv, 1, 1, "needs PORT")) >= 0)
			return result;
		if (parse_integer(argv[1], 1, 65535, &value) < 0)
			return bad_operand(cli, &port_remove_command, "bad port '%s': give 1..65535", argv[1]);
	} else {
		return bad_operand(cli, &port_command, "unknown port command '%s'", argv[0]);
	}
	if ((result = open_meter(cli, &meter)) != EXIT_SUCCESS)
		return result;
	if (value != 0) {
		result = group_meter_remove_port(meter, (uint16_t)value, &error);
		group_meter_close(meter);
		if (result < 0)
			return failed(cli, &error);
		print_done(cli, "port removed");
		return EXIT_SUCCESS;
	}
	result = group_meter_get_status(meter, &status, &error);
	group_meter_close(meter);
	if (result < 0)
		return failed(cli, &error);
	json_t *ports = json_array();

	for (uint32_t index = 0; index < status.port_count && index < METER_MAX_PORTS; index++) {
		json_array_append_new(ports, json_integer(status.ports[index]));
		if (!cli->json)
			printf("%u\n", status.ports[index]);
	}
	if (cli->json)
		print_json_line(json_pack("{s:o, s:b}", "ports", ports, "every_packet", status.port_count == 0));
	else {
		if (status.port_count == 0)
			printf("(none: every packet is counted)\n");
		json_decref(ports);
	}
	return EXIT_SUCCESS;
}

static int command_cap(const struct meter_cli *cli, int argc, char **argv)
{
	struct group_meter *meter = NULL;
	struct meter_error error = { 0 };
	uint64_t rate = 0;
	uint32_t group = 0;
	int status, result, index;

	if ((status = read_action(cli, &cap_command, argc, argv, &index)) >= 0)
		return status;
	argc -= index;
	argv += index;
	if (strcmp(argv[0], "set") == 0) {
		if ((status = read_words(cli, &cap_set_command, argc, argv, 2, 2, "needs GROUP and RATE")) >= 0)
			return status;
		if (meter_parse_group(argv[1], &group) < 0)
			return bad_group(cli, &cap_set_command, argv[1]);
		result = meter_parse_rate(argv[2], &rate);
		if (result == -ERANGE)
			return bad_operand(cli, &cap_set_command, "rate '%s' out of range: caps are 8kbit..100gbit",
					   argv[2]);
		if (result < 0)
			return bad_operand(cli, &cap_set_command,
					   "bad rate '%s': give a number and a unit, e.g. 10mbit, 5MB/s, 800kbit", argv[2]);
	} else if (strcmp(argv[0], "clear") == 0) {
		if ((status = read_words(cli, &cap_clear_command, argc, argv, 1, 1, "needs GROUP")) >= 0)
			return status;
		if (meter_parse_group(argv[1], &group) < 0)
			return bad_group(cli, &cap_clear_command, argv[1]);
	} else {
		return bad_operand(cli, &cap_command, "unknown cap command '%s'", argv[0]);
	}
	if ((status = open_meter(cli, &meter)) != EXIT_SUCCESS)
		return status;
	if (rate != 0)
		result = group_meter_set_cap(meter, group, rate, &error);
	else
		result = group_meter_clear_cap(meter, group, &error);
	group_meter_close(meter);
	if (result < 0)
		return failed(cli, &error);
	print_done(cli, rate != 0 ? "cap set" : "cap cleared");
	return EXIT_SUCCESS;
}

static int command_report(const struct meter_cli *cli, int argc, char **argv, bool top)
{
	uint64_t interval_ms = 1000;
	unsigned long count = top ? 0 : 1;
	struct cli_parser parser;
	long long value;
	int code;

	cli_begin(&parser, cli->program, top ? &top_command : &show_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		if (code == OPTION_INTERVAL) {
			if (parse_duration_ms(parser.value, &interval_ms) < 0 || interval_ms > 3600000 ||
			    (top && interval_ms < 100))
				return cli_bad_value(&parser, top ? "expected a duration from 100ms to 1h"
								  : "expected a duration up to 1h, e.g. 1s or 500ms");
		} else { /* OPTION_COUNT */
			if (parse_integer(parser.value, 1, 1000000, &value) < 0)
				return cli_bad_value(&parser, "expected a whole number from 1 to 1000000");
			count = (unsigned long)value;
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	return meter_cli_report(cli, interval_ms, count, top);
}

int meter_cli_main(int argc, char **argv)
{
	struct meter_cli cli = { .program = argc > 0 && argv[0] ? argv[0] : "cascade-meter" };
	struct cli_program program = meter_program;
	const char *slash = strrchr(cli.program, '/');

	if (slash != NULL)
		cli.program = slash + 1; /* run by its path: messages name the program only */
	struct cli_parser parser;
	const char *command;
	int code;

	log_init("cascade-meter");
	meter_route_libbpf_logs();
	program.name = cli.program;
	cli_begin_program(&parser, &program, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		switch (code) {
		case OPTION_OLD_PIN_DIR:
			fprintf(stderr, "%s: warning: --pin-dir is deprecated, use --bpf-pin-dir\n", cli.program);
			/* fall through */
		case OPTION_BPF_PIN_DIR:
			if (parser.value[0] != '/')
				return cli_bad_value(&parser, "expected an absolute path");
			cli.pin_dir = parser.value;
			break;
		default: cli.json = true; break; /* OPTION_JSON */
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if (parser.index >= argc)
		return cli_usage_error(&parser, "needs a command");
	command = argv[parser.index];
	argc -= parser.index;
	argv += parser.index;
	if (strcmp(command, "attach") == 0)
		return command_attach(&cli, argc, argv);
	if (strcmp(command, "detach") == 0)
		return command_detach(&cli, argc, argv);
	if (strcmp(command, "group") == 0)
		return command_group(&cli, argc, argv);
	if (strcmp(command, "cap") == 0)
		return command_cap(&cli, argc, argv);
	if (strcmp(command, "port") == 0)
		return command_port(&cli, argc, argv);
	if (strcmp(command, "show") == 0)
		return command_report(&cli, argc, argv, false);
	if (strcmp(command, "top") == 0)
		return command_report(&cli, argc, argv, true);
	if (strcmp(command, "help") == 0) {
		cli_print_program_help(&program, stdout);
		return EXIT_SUCCESS;
	}
	return cli_usage_error(&parser, "unknown command '%s'", command);
}
