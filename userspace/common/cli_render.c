/* What a tool's command tables render: --help of a command, --help of a
 * program (with its commands) and the program's man page (roff), all from
 * the tables the parser reads, so they never drift from what it accepts. */
#include "common/cli.h"

#include <string.h>

#include "common/roff.h"

#define HELP_COLUMN 30

static bool at_end(const struct cli_option *option)
{
	return option->name == NULL && option->help == NULL;
}

/* "--name VALUE" (with "-x, " before it when the option has a letter). */
static void option_label(const struct cli_option *option, char *out, size_t out_size)
{
	if (option->short_name)
		snprintf(out, out_size, "-%c, --%s%s%s", option->short_name, option->name,
			 option->value_name ? " " : "", option->value_name ? option->value_name : "");
	else
		snprintf(out, out_size, "--%s%s%s", option->name, option->value_name ? " " : "",
			 option->value_name ? option->value_name : "");
}

/* "  LEFT   help" with the help's further lines under its first. */
static void print_entry(FILE *out, const char *left, const char *help)
{
	if (strlen(left) + 2 >= HELP_COLUMN)
		fprintf(out, "  %s\n  %*s", left, HELP_COLUMN - 2, "");
	else
		fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
	for (; *help; help++) {
		fputc(*help, out);
		if (*help == '\n')
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
	fputc('\n', out);
}

static void print_options(FILE *out, const struct cli_option *options, bool program)
{
	char label[160];

	/* A table that starts with a heading has its own titles. */
	if (options == NULL || options->name != NULL || at_end(options))
		fprintf(out, "\nOptions:\n");
	for (; options != NULL && !at_end(options); options++) {
		if (options->name == NULL) {
			fprintf(out, "\n%s:\n", options->help);
			continue;
		}
		if (options->hidden)
			continue;
		option_label(options, label, sizeof(label));
		print_entry(out, label, options->help);
	}
	print_entry(out, "-h, --help", "print this help and exit");
	print_entry(out, "--version", "print the version and exit");
	if (program)
		print_entry(out, "--man", "print the manual page (roff) and exit");
}

static void print_usage_line(FILE *out, const char *program, const struct cli_command *command)
{
	fprintf(out, "Usage: %s%s%s%s%s\n", program, command->words[0] ? " " : "", command->words,
		command->synopsis && command->synopsis[0] ? " " : "", command->synopsis ? command->synopsis : "");
}

/* "Commands:" and a line per command: its words and summary. */
static void print_commands(FILE *out, const struct cli_command *const *commands)
{
	fprintf(out, "\nCommands:\n");
	for (; *commands != NULL; commands++)
		print_entry(out, (*commands)->words, (*commands)->summary ? (*commands)->summary : "");
}

void cli_print_help(const char *program, const struct cli_command *command, FILE *out)
{
	print_usage_line(out, program, command);
	if (command->description != NULL || command->summary != NULL)
		fprintf(out, "%s\n", command->description ? command->description : command->summary);
	if (command->subcommands != NULL)
		print_commands(out, command->subcommands);
	print_options(out, command->options, false);
	if (command->notes != NULL)
		fprintf(out, "\n%s\n", command->notes);
}

void cli_print_program_help(const struct cli_program *program, FILE *out)
{
	print_usage_line(out, program->name, program->main);
	if (program->main->description != NULL)
		fprintf(out, "%s\n", program->main->description);
	if (program->commands != NULL)
		print_commands(out, program->commands);
	print_options(out, program->main->options, true);
	if (program->commands != NULL)
		fprintf(out, "\nEvery command answers --help with its own options: %s COMMAND --help.\n", program->name);
	if (program->main->notes != NULL)
		fprintf(out, "\n%s\n", program->main->notes);
}

/* ---- the man page ------------------------------------------------------ */

static void man_option(FILE *out, const char *name, char short_name, const char *value_name, const char *help)
{
	fputs(".TP\n", out);
	if (short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", short_name);
	fputs("\\fB\\-\\-", out);
	roff_inline(out, name);
	fputs("\\fR", out);
	if (value_name != NULL) {
		fputs(" \\fI", out);
		roff_inline(out, value_name);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff_text(out, help);
}

static void man_options(FILE *out, const struct cli_option *options)
{
	for (; options != NULL && !at_end(options); options++) {
		if (options->name == NULL) {
			fputs(".PP\n\\fI", out);
			roff_inline(out, options->help);
			fputs("\\fR\n", out);
		} else if (!options->hidden) {
			man_option(out, options->name, options->short_name, options->value_name, options->help);
		}
	}
}

static void man_command(FILE *out, const char *program, const struct cli_command *command)
{
	fputs(".SS \"", out);
	roff_inline(out, program);
	fputc(' ', out);
	roff_inline(out, command->words);
	if (command->synopsis != NULL && command->synopsis[0]) {
		fputc(' ', out);
		roff_inline(out, command->synopsis);
	}
	fputs("\"\n", out);
	if (command->description != NULL)
		roff_text(out, command->description);
	else if (command->summary != NULL)
		roff_text(out, command->summary);
	if (command->options != NULL && !at_end(command->options)) {
		fputs(".RS\n", out);
		man_options(out, command->options);
		fputs(".RE\n", out);
	}
	if (command->notes != NULL) {
		fputs(".PP\n", out);
		roff_text(out, command->notes);
	}
}

void cli_print_man(const struct cli_program *program, FILE *out)
{
	const struct cli_command *const *command;

	roff_title(out, program->name, program->man_section);
	fprintf(out, ".SH NAME\n");
	roff_inline(out, program->name);
	fputs(" \\- ", out);
	roff_text(out, program->summary ? program->summary : "");
	fprintf(out, ".SH SYNOPSIS\n.B ");
	roff_inline(out, program->name);
	fputc('\n', out);
	roff_text(out, program->main->synopsis ? program->main->synopsis : "");
	if (program->main->description != NULL) {
		fprintf(out, ".SH DESCRIPTION\n");
		roff_text(out, program->main->description);
	}
	fprintf(out, ".SH OPTIONS\n");
	man_options(out, program->main->options);
	man_option(out, "help", 'h', NULL, "Print the usage (of the program, or of the command it follows) and exit.");
	man_option(out, "version", 0, NULL, "Print the version and exit.");
	man_option(out, "man", 0, NULL, "Print this manual page and exit.");
	if (program->commands != NULL) {
		fprintf(out, ".SH COMMANDS\n");
		for (command = program->commands; *command != NULL; command++)
			man_command(out, program->name, *command);
	}
	if (program->main->notes != NULL) {
		fprintf(out, ".SH NOTES\n");
		roff_text(out, program->main->notes);
	}
	if (program->exit_status != NULL) {
		fprintf(out, ".SH \"EXIT STATUS\"\n");
		roff_text(out, program->exit_status);
	}
	if (program->see_also != NULL) {
		fprintf(out, ".SH \"SEE ALSO\"\n");
		roff_text(out, program->see_also);
	}
}
