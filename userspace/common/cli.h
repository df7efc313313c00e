/* The command line of cascade's tools (cascadectl, cascade-meter,
 * cascade-swarm, cascade-load, cascade-meter-traffic) and their
 * subcommands. Each command declares its options once, in a table (name,
 * value placeholder, help line, the code the parser returns); the same
 * table gives the parser, --help and the tool's man page (--man), so they
 * never drift. Every command answers --help (-h) and --version, and every
 * error is worded as the daemons' settings layer (common/settings.h)
 * words it, with exit status 2:
 *
 *   NAME: unknown option '--x' (see --help)
 *   NAME: option '--x' needs a value (see --help)
 *   NAME: bad value 'v' for --x: why (see --help)
 *
 * NAME is the program and the command words ("cascadectl campaign start").
 *
 *   struct cli_parser parser;
 *   int code;
 *
 *   cli_begin(&parser, "cascadectl", &devices_command, argc, argv);
 *   while ((code = cli_next(&parser)) > 0)
 *           switch (code) { case OPTION_LIMIT: ... parser.value ... }
 *   if (code < 0)
 *           return cli_exit_status(code);
 *   ... the operands are argv[1] .. argv[parser.operands] ...
 */
#ifndef CASCADE_COMMON_CLI_H
#define CASCADE_COMMON_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The exit status of a usage error (settings layer and tools alike). */
#define CLI_EXIT_USAGE 2

struct cli_option {
	const char *name;        /* long name without "--"; NULL: a heading (help) or the end (no help) */
	const char *value_name;  /* "N", "URL"; NULL: a flag that takes no value */
	const char *help;        /* help text ('\n' continues it); a heading's title */
	int code;                /* what cli_next returns for it: > 0 */
	char short_name;         /* 0: none */
	bool hidden;             /* accepted (an old spelling), left out of --help and the man page */
};

/* An option (value_name NULL: a flag), a heading line inside an option
 * table, and the table's end. */
#define CLI_OPTION(name_, value_name_, help_, code_) \
	{ .name = (name_), .value_name = (value_name_), .help = (help_), .code = (code_) }
#define CLI_HEADING(title) { .name = NULL, .help = (title) }
#define CLI_END_OF_OPTIONS { .name = NULL, .help = NULL }

struct cli_command {
	const char *words;       /* the command words after the program ("campaign start"); "" for the program */
	const char *synopsis;    /* what follows NAME on the Usage line */
	const char *summary;     /* one line, for the program's list of commands */
	const char *description; /* lines printed under the Usage line; NULL: none */
	const struct cli_option *options; /* NULL, or ends with CLI_END_OF_OPTIONS */
	const char *notes;       /* lines printed after the options; NULL: none */
	const struct cli_command *const *subcommands; /* a command of commands: listed by --help; NULL-terminated */
	bool options_first;      /* options end at the first operand (a program whose operand is a command) */
};

/* A program: its own command and its subcommands, for --help and --man. */
struct cli_program {
	const char *name;        /* "cascadectl" */
	const char *summary;     /* the man page's NAME line */
	const struct cli_command *main;            /* the program's own options and usage */
	const struct cli_command *const *commands; /* NULL-terminated; NULL: none */
	const char *exit_status; /* the man page's EXIT STATUS paragraph; NULL: none */
	const char *see_also;    /* "cascade-acs(8), cascadectl(1)"; NULL: none */
	unsigned int man_section;
};

enum cli_result {
	CLI_END = 0,             /* the arguments are used up */
	CLI_ANSWERED = -1,       /* --help or --version was printed: exit 0 */
	CLI_FAILED = -2,         /* a usage error was printed: exit 2 */
};

struct cli_parser {
	const char *program;                 /* "cascadectl", "cascade-meter" */
	const struct cli_command *command;
	const struct cli_program *whole;     /* for the program's --help / --man; NULL for a subcommand */
	int argc;
	char **argv;
	int index;                           /* next argv entry to read */
	int operands;                        /* operands so far, moved to argv[1 .. operands] */
	bool options_ended;                  /* after "--" (or the first operand with options_first) */
	bool keep_unknown;                   /* set after cli_begin: words not in the table (even --help)
					      * are kept as operands, so a program can take its global
					      * options out of a command's line */
	const struct cli_option *option;     /* the option just returned */
	const char *value;                   /* its value; NULL for a flag */
	char spelled[80];                    /* as written, without "=VALUE": "--limit" */
};

/* Starts reading argv[1..argc-1] for command; program is the name before
 * the command words in messages and usage. */
void cli_begin(struct cli_parser *parser, const char *program, const struct cli_command *command, int argc,
	       char **argv);
/* The same for a program's main command: its --help also lists the
 * commands, and --man prints the whole manual page. */
void cli_begin_program(struct cli_parser *parser, const struct cli_program *program, int argc, char **argv);
/* The next option's code (its value in parser->value); CLI_END when done,
 * the operands then in argv[1 .. parser->operands] and, with
 * options_first, the rest from argv[parser->index] on; CLI_ANSWERED after
 * --help or --version; CLI_FAILED after an unknown option or a missing
 * value was reported. Options may follow operands unless options_first. */
int cli_next(struct cli_parser *parser);
/* 0 for CLI_ANSWERED, CLI_EXIT_USAGE for CLI_FAILED. */
int cli_exit_status(int result);

/* "NAME: bad value 'VALUE' for --OPTION: WHY (see --help)" for the option
 * just returned; returns CLI_EXIT_USAGE. */
int cli_bad_value(const struct cli_parser *parser, const char *why_format, ...) __attribute__((format(printf, 2, 3)));
/* "NAME: MESSAGE (see --help)"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_parser *parser, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* The same wording for callers without a parser (name: "cascade-master"). */
int cli_usage_error_named(const char *name, const char *format, ...) __attribute__((format(printf, 2, 3)));
int cli_usage_error_va(const char *name, const char *format, va_list arguments) __attribute__((format(printf, 2, 0)));
/* Reports the first operand beyond maximum ("unexpected argument 'x'"), or
 * too few of them (with missing_message); returns 0 or CLI_EXIT_USAGE. */
int cli_check_operands(const struct cli_parser *parser, int minimum, int maximum, const char *missing_message);

/* --version's line: "NAME VERSION" (the VERSION file's). */
void cli_print_version(const char *name, FILE *out);
void cli_print_help(const char *program, const struct cli_command *command, FILE *out);
void cli_print_program_help(const struct cli_program *program, FILE *out);
void cli_print_man(const struct cli_program *program, FILE *out);

#endif
