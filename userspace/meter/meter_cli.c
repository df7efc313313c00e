/* cascade-meter's commands (see meter_cli.h and the usage text below):
 * argument parsing and validation first, then one library call, so that a
 * bad argument is refused before anything changes. */
#include "meter/meter_cli.h"
#include "meter/cpu_meter.h"
#include "meter/group_meter.h"
#include "meter/meter_objects.h"
#include "meter/meter_values.h"
#include "common/log.h"
#include "common/parse.h"
#include "meter_types.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
#define OPTION_OLD_PIN_DIR 256   /* --pin-dir, kept as an alias of --bpf-pin-dir */

static void print_usage(FILE *out, const char *program)
{
	fprintf(out,
		"Usage: %s [--bpf-pin-dir DIR] [--json] COMMAND [ARGUMENTS]\n"
		"Loads and inspects cascade's eBPF meters (per-group egress bytes and caps,\n"
		"CPU occupancy); maps are pinned under DIR (default %s).\n"
		"\n"
		"Commands:\n"
		"  attach --interface IF [--port PORT]... [--max-prefixes N] [--no-cpu]\n"
		"                         put the group meter on IF's tc egress (again: reuse\n"
		"                         pins, counters survive) and start the CPU meter;\n"
		"                         --port adds PORT to the server ports whose unmarked\n"
		"                         packets count (none ever registered: every packet)\n"
		"  detach [--unpin]       remove the filter and the qdiscs the meter created,\n"
		"                         forget the ports, stop the CPU meter; --unpin also\n"
		"                         drops the counters and the pin directory\n"
		"  group set PREFIX GROUP destination prefix (10.1.0.0/16, fd00::/64) -> group\n"
		"  group remove PREFIX\n"
		"  group list\n"
		"  port list              the server ports counted (what the program reads)\n"
		"  port remove PORT\n"
		"  cap set GROUP RATE     cap a group's total payload rate (all its slaves\n"
		"                         together): 10mbit, 5MB/s, 800kbit; htb class ca:GROUP\n"
		"  cap clear GROUP\n"
		"  show [--interval D]    one report: the meter as the kernel has it, groups\n"
		"                         (bytes, packets, rate, cap, class, drops) and CPU\n"
		"                         occupancy over D (default 1s; 0: no rates)\n"
		"  top [--interval D] [--count N]\n"
		"                         refreshing report (plain lines when not a terminal)\n"
		"\n"
		"Groups are 1..16777215; group 0 counts unattributed traffic. Packets whose\n"
		"socket mark is 0xCA000000|GROUP are that group's, whatever their address.\n"
		"Options: --bpf-pin-dir DIR (--pin-dir is an old spelling), --json\n"
		"(machine-readable output), -h/--help.\n",
		program, METER_DEFAULT_PIN_DIR);
}

void meter_cli_print_error(const struct meter_cli *cli, const char *message)
{
	fprintf(stderr, "%s: %s\n", cli->program, message);
}

static int usage_error(const struct meter_cli *cli, const char *format, const char *detail)
{
	fprintf(stderr, "%s: ", cli->program);
	fprintf(stderr, format, detail ? detail : "");
	fprintf(stderr, " (try --help)\n");
	return EXIT_USAGE;
}

/* getopt is silent (opterr = 0): name the option it refused. */
static int bad_option(const struct meter_cli *cli, char **argv)
{
	return usage_error(cli, "unknown option or missing value: '%s'", argv[optind - 1]);
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
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' }, { "port", required_argument, NULL, 'p' },
		{ "max-prefixes", required_argument, NULL, 'm' }, { "no-cpu", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct group_meter_options attach = { .pin_dir = cli->pin_dir };
	uint16_t ports[METER_MAX_PORTS];
	struct group_meter *meter = NULL;
	struct meter_error error = { 0 };
	bool with_cpu = true;
	long long value;
	int option;

	optind = 0;
	while ((option = getopt_long(argc, argv, "+i:p:m:n", options, NULL)) != -1) {
		switch (option) {
		case 'i': attach.interface = optarg; break;
		case 'p':
			if (parse_integer(optarg, 1, 65535, &value) < 0)
				return usage_error(cli, "bad --port '%s': give 1..65535", optarg);
			if (attach.port_count == METER_MAX_PORTS)
				return usage_error(cli, "too many --port options (at most 8)%s", NULL);
			ports[attach.port_count++] = (uint16_t)value;
			break;
		case 'm':
			if (parse_integer(optarg, 1, METER_MAX_PREFIXES, &value) < 0)
				return usage_error(cli, "bad --max-prefixes '%s': give 1..16384", optarg);
			attach.max_prefixes = (uint32_t)value;
			break;
		case 'n': with_cpu = false; break;
		default: return bad_option(cli, argv);
		}
	}
	if (optind != argc)
		return usage_error(cli, "attach: unexpected argument '%s'", argv[optind]);
	if (attach.interface == NULL)
		return usage_error(cli, "attach needs --interface IF%s", NULL);
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
	static const struct option options[] = { { "unpin", no_argument, NULL, 'u' }, { NULL, 0, NULL, 0 } };
	struct group_meter *meter = NULL;
	struct meter_error error = { 0 };
	bool unpin = false;
	int option, status = EXIT_SUCCESS;

	optind = 0;
	while ((option = getopt_long(argc, argv, "+u", options, NULL)) != -1) {
		if (option != 'u')
			return bad_option(cli, argv);
		unpin = true;
	}
	if (optind != argc)
		return usage_error(cli, "detach: unexpected argument '%s'", argv[optind]);
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

static int bad_group(const struct meter_cli *cli, const char *text)
{
	return usage_error(cli, "bad group '%s': groups are 1..16777215", text);
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
	int status;

	if (argc < 2)
		return usage_error(cli, "group needs set, remove or list%s", NULL);
	if (strcmp(argv[1], "set") == 0) {
		if (argc != 4)
			return usage_error(cli, "usage: group set PREFIX GROUP%s", NULL);
		if (meter_parse_prefix(argv[2], &prefix) < 0)
			return usage_error(cli, "bad prefix '%s': give ADDRESS[/LENGTH] with zero host bits", argv[2]);
		if (meter_parse_group(argv[3], &group) < 0)
			return bad_group(cli, argv[3]);
	} else if (strcmp(argv[1], "remove") == 0) {
		if (argc != 3)
			return usage_error(cli, "usage: group remove PREFIX%s", NULL);
		if (meter_parse_prefix(argv[2], &prefix) < 0)
			return usage_error(cli, "bad prefix '%s': give ADDRESS[/LENGTH] with zero host bits", argv[2]);
	} else if (strcmp(argv[1], "list") == 0) {
		if (argc != 2)
			return usage_error(cli, "usage: group list%s", NULL);
	} else {
		return usage_error(cli, "unknown group command '%s'", argv[1]);
	}
	if ((status = open_meter(cli, &meter)) != EXIT_SUCCESS)
		return status;
	if (strcmp(argv[1], "list") == 0) {
		status = command_group_list(cli, meter);
	} else if (strcmp(argv[1], "set") == 0) {
		status = group_meter_set_prefix(meter, argv[2], group, &error) < 0 ? failed(cli, &error) : EXIT_SUCCESS;
		if (status == EXIT_SUCCESS)
			print_done(cli, "prefix set");
	} else {
		status = group_meter_remove_prefix(meter, argv[2], &error) < 0 ? failed(cli, &error) : EXIT_SUCCESS;
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
	int result;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		/* nothing more to parse */
	} else if (argc == 3 && strcmp(argv[1], "remove") == 0) {
		if (parse_integer(argv[2], 1, 65535, &value) < 0)
			return usage_error(cli, "bad port '%s': give 1..65535", argv[2]);
	} else {
		return usage_error(cli, "usage: port list | port remove PORT%s", NULL);
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
	int status, result;

	if (argc < 2)
		return usage_error(cli, "cap needs set or clear%s", NULL);
	if (strcmp(argv[1], "set") == 0) {
		if (argc != 4)
			return usage_error(cli, "usage: cap set GROUP RATE%s", NULL);
		if (meter_parse_group(argv[2], &group) < 0)
			return bad_group(cli, argv[2]);
		result = meter_parse_rate(argv[3], &rate);
		if (result == -ERANGE)
			return usage_error(cli, "rate '%s' out of range: caps are 8kbit..100gbit", argv[3]);
		if (result < 0)
			return usage_error(cli, "bad rate '%s': give a number and a unit, e.g. 10mbit, 5MB/s, 800kbit",
					   argv[3]);
	} else if (strcmp(argv[1], "clear") == 0) {
		if (argc != 3)
			return usage_error(cli, "usage: cap clear GROUP%s", NULL);
		if (meter_parse_group(argv[2], &group) < 0)
			return bad_group(cli, argv[2]);
	} else {
		return usage_error(cli, "unknown cap command '%s'", argv[1]);
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
	static const struct option options[] = {
		{ "interval", required_argument, NULL, 'i' }, { "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t interval_ms = 1000;
	unsigned long count = top ? 0 : 1;
	long long value;
	int option;

	optind = 0;
	while ((option = getopt_long(argc, argv, top ? "+i:c:" : "+i:", options, NULL)) != -1) {
		switch (option) {
		case 'i':
			if (parse_duration_ms(optarg, &interval_ms) < 0 || interval_ms > 3600000 ||
			    (top && interval_ms < 100))
				return usage_error(cli, "bad --interval '%s': e.g. 1s, 500ms (top: at least 100ms)", optarg);
			break;
		case 'c':
			if (parse_integer(optarg, 1, 1000000, &value) < 0)
				return usage_error(cli, "bad --count '%s': give 1..1000000", optarg);
			count = (unsigned long)value;
			break;
		default: return bad_option(cli, argv);
		}
	}
	if (optind != argc)
		return usage_error(cli, "unexpected argument '%s'", argv[optind]);
	return meter_cli_report(cli, interval_ms, count, top);
}

int meter_cli_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "bpf-pin-dir", required_argument, NULL, 'd' }, { "pin-dir", required_argument, NULL, OPTION_OLD_PIN_DIR },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct meter_cli cli = { .program = argc > 0 && argv[0] ? argv[0] : "cascade-meter" };
	const char *command;
	int option;

	log_init("cascade-meter");
	meter_route_libbpf_logs();
	opterr = 0;
	optind = 0;
	while ((option = getopt_long(argc, argv, "+d:jh", options, NULL)) != -1) {
		switch (option) {
		case OPTION_OLD_PIN_DIR:
			fprintf(stderr, "%s: warning: --pin-dir is deprecated, use --bpf-pin-dir\n", cli.program);
			/* fall through */
		case 'd':
			if (optarg[0] != '/')
				return usage_error(&cli, "bad --bpf-pin-dir '%s': give an absolute path", optarg);
			cli.pin_dir = optarg;
			break;
		case 'j': cli.json = true; break;
		case 'h': print_usage(stdout, cli.program); return EXIT_SUCCESS;
		default: return bad_option(&cli, argv);
		}
	}
	if (optind >= argc)
		return usage_error(&cli, "missing command%s", NULL);
	command = argv[optind];
	argc -= optind;
	argv += optind;
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
		print_usage(stdout, cli.program);
		return EXIT_SUCCESS;
	}
	return usage_error(&cli, "unknown command '%s'", command);
}
