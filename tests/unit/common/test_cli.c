/* Unit tests for the tools' command-line layer (common/cli.h): options
 * with and without values, operands gathered in front wherever they stand,
 * "--", options_first, keep_unknown, --help and --version answered, and the
 * one wording of every usage error (the settings layer's), plus --help and
 * the man page rendered from the same tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/settings.h"

enum { OPTION_LIMIT = 1, OPTION_JSON, OPTION_OLD };

static const struct cli_option options[] = {
	CLI_HEADING("Listing"),
	CLI_OPTION("limit", "N", "at most N\nof them", OPTION_LIMIT),
	{ .name = "json", .short_name = 'j', .code = OPTION_JSON, .help = "machine-readable output" },
	{ .name = "old", .value_name = "X", .code = OPTION_OLD, .hidden = true, .help = "an old spelling" },
	CLI_END_OF_OPTIONS,
};

static const struct cli_command list_command = {
	.words = "list",
	.synopsis = "[--limit N] NAME...",
	.summary = "list things",
	.options = options,
};

static const struct cli_command *const commands[] = { &list_command, NULL };

static const struct cli_command main_command = {
	.words = "",
	.synopsis = "COMMAND",
	.description = "A test program.",
	.options_first = true,
};

static const struct cli_program program = {
	.name = "tool",
	.summary = "a test tool",
	.main = &main_command,
	.commands = commands,
	.exit_status = "0 done; 2 bad usage.",
	.man_section = 1,
};

/* Runs the parser over the words with stderr (or stdout) caught in text. */
struct run {
	int codes[8];
	int code_count;
	int last;
	int operands;
	char *argv[16];
	char text[4096];
};

/* What a program writes on stdout or stderr between catch_begin and catch_end. */
struct caught {
	FILE *file;
	int stream, saved;
};

static void catch_begin(struct caught *caught, bool catch_stdout)
{
	caught->stream = catch_stdout ? STDOUT_FILENO : STDERR_FILENO;
	caught->file = tmpfile();
	assert_non_null(caught->file);
	fflush(catch_stdout ? stdout : stderr);
	caught->saved = dup(caught->stream);
	dup2(fileno(caught->file), caught->stream);
}

static void catch_end(struct caught *caught, char *text, size_t size)
{
	size_t length;

	fflush(caught->stream == STDOUT_FILENO ? stdout : stderr);
	dup2(caught->saved, caught->stream);
	close(caught->saved);
	rewind(caught->file);
	length = fread(text, 1, size - 1, caught->file);
	text[length] = '\0';
	fclose(caught->file);
}

static void run_parser(struct run *run, const struct cli_command *command, bool keep_unknown, bool catch_stdout,
		       const char *const *words)
{
	struct cli_parser parser;
	struct caught caught;
	int argc = 1;

	memset(run, 0, sizeof(*run));
	run->argv[0] = "tool";
	for (; *words != NULL && argc < 15; words++)
		run->argv[argc++] = (char *)*words;
	catch_begin(&caught, catch_stdout);
	cli_begin(&parser, "tool", command, argc, run->argv);
	parser.keep_unknown = keep_unknown;
	while ((run->last = cli_next(&parser)) > 0 && run->code_count < 8)
		run->codes[run->code_count++] = run->last;
	run->operands = command->options_first ? argc - parser.index : parser.operands;
	catch_end(&caught, run->text, sizeof(run->text));
}

static void test_options_and_operands(void **state)
{
	struct run run;

	(void)state;
	run_parser(&run, &list_command, false, false,
		   (const char *[]){ "a", "--limit", "5", "b", "--limit=7", "-j", "--", "--json", NULL });
	assert_int_equal(run.last, CLI_END);
	assert_int_equal(run.code_count, 3);
	assert_int_equal(run.codes[0], OPTION_LIMIT);
	assert_int_equal(run.codes[2], OPTION_JSON);
	/* Operands move to the front in order; after "--" an option is an operand. */
	assert_int_equal(run.operands, 3);
	assert_string_equal(run.argv[1], "a");
	assert_string_equal(run.argv[2], "b");
	assert_string_equal(run.argv[3], "--json");
	assert_null(run.argv[4]);
	assert_string_equal(run.text, "");

	/* A hidden option is accepted. */
	run_parser(&run, &list_command, false, false, (const char *[]){ "--old", "x", NULL });
	assert_int_equal(run.codes[0], OPTION_OLD);
}

static void test_one_wording(void **state)
{
	struct run run;

	(void)state;
	run_parser(&run, &list_command, false, false, (const char *[]){ "--limits", "5", NULL });
	assert_int_equal(run.last, CLI_FAILED);
	assert_string_equal(run.text, "tool list: unknown option '--limits' (see --help)\n");
	run_parser(&run, &list_command, false, false, (const char *[]){ "a", "--limit", NULL });
	assert_int_equal(run.last, CLI_FAILED);
	assert_string_equal(run.text, "tool list: option '--limit' needs a value (see --help)\n");
	run_parser(&run, &list_command, false, false, (const char *[]){ "--json=yes", NULL });
	assert_string_equal(run.text, "tool list: option '--json' takes no value (see --help)\n");
	run_parser(&run, &list_command, false, false, (const char *[]){ "-x", NULL });
	assert_string_equal(run.text, "tool list: unknown option '-x' (see --help)\n");
	assert_int_equal(cli_exit_status(CLI_FAILED), CLI_EXIT_USAGE);
	assert_int_equal(cli_exit_status(CLI_ANSWERED), 0);
}

static void test_bad_value_and_operands(void **state)
{
	struct cli_parser parser;
	char *argv[] = { "tool", "--limit", "many", "a", "b", NULL };
	struct caught caught;
	char text[512] = "";

	(void)state;
	catch_begin(&caught, false);
	cli_begin(&parser, "tool", &list_command, 5, argv);
	assert_int_equal(cli_next(&parser), OPTION_LIMIT);
	assert_int_equal(cli_bad_value(&parser, "expected a number from %d", 1), CLI_EXIT_USAGE);
	assert_int_equal(cli_next(&parser), CLI_END);
	assert_int_equal(cli_check_operands(&parser, 1, 2, "needs NAME"), 0);
	assert_int_equal(cli_check_operands(&parser, 1, 1, "needs NAME"), CLI_EXIT_USAGE);
	assert_int_equal(cli_check_operands(&parser, 3, 3, "needs three NAMEs"), CLI_EXIT_USAGE);
	catch_end(&caught, text, sizeof(text));
	assert_string_equal(text, "tool list: bad value 'many' for --limit: expected a number from 1 (see --help)\n"
				  "tool list: unexpected argument 'b' (see --help)\n"
				  "tool list: needs three NAMEs (see --help)\n");
}

static void test_options_first_and_keep_unknown(void **state)
{
	struct run run;

	(void)state;
	/* A program: options end at the command word, which is left in place. */
	run_parser(&run, &main_command, false, false, (const char *[]){ "list", "--limit", "5", NULL });
	assert_int_equal(run.last, CLI_END);
	assert_int_equal(run.operands, 3);
	assert_string_equal(run.argv[1], "list");

	/* Taking global options out of a line: the rest stays, in order. */
	run_parser(&run, &list_command, true, false,
		   (const char *[]){ "devices", "--group", "5", "--json", "--help", "--limit=3", NULL });
	assert_int_equal(run.last, CLI_END);
	assert_int_equal(run.code_count, 2);
	assert_int_equal(run.codes[0], OPTION_JSON);
	assert_int_equal(run.codes[1], OPTION_LIMIT);
	assert_int_equal(run.operands, 4);
	assert_string_equal(run.argv[1], "devices");
	assert_string_equal(run.argv[2], "--group");
	assert_string_equal(run.argv[3], "5");
	assert_string_equal(run.argv[4], "--help");
}

static void test_help_and_version_answered(void **state)
{
	struct run run;
	char expected[128];

	(void)state;
	run_parser(&run, &list_command, false, true, (const char *[]){ "a", "--help", "--bogus", NULL });
	assert_int_equal(run.last, CLI_ANSWERED);
	assert_non_null(strstr(run.text, "Usage: tool list [--limit N] NAME...\nlist things\n"));
	assert_non_null(strstr(run.text, "\nListing:\n  --limit N"));
	/* A help text's second line stands under its first. */
	assert_non_null(strstr(run.text, "at most N\n                              of them\n"));
	assert_non_null(strstr(run.text, "  -j, --json"));
	assert_null(strstr(run.text, "--old"));
	run_parser(&run, &list_command, false, true, (const char *[]){ "-h", NULL });
	assert_int_equal(run.last, CLI_ANSWERED);
	run_parser(&run, &list_command, false, true, (const char *[]){ "--version", NULL });
	assert_int_equal(run.last, CLI_ANSWERED);
	snprintf(expected, sizeof(expected), "tool %s\n", settings_version());
	assert_string_equal(run.text, expected);
}

static void test_program_help_and_man(void **state)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	(void)state;
	cli_print_program_help(&program, out);
	fclose(out);
	assert_non_null(strstr(text, "Usage: tool COMMAND\nA test program.\n\nCommands:\n  list"));
	assert_non_null(strstr(text, "  --man "));
	free(text);

	out = open_memstream(&text, &size);
	cli_print_man(&program, out);
	fclose(out);
	assert_true(strncmp(text, ".TH TOOL 1 ", 11) == 0);
	assert_non_null(strstr(text, ".SH COMMANDS\n.SS \"tool list [\\-\\-limit N] NAME...\"\n"));
	assert_non_null(strstr(text, "\\fB\\-\\-limit\\fR \\fIN\\fR\n"));
	assert_non_null(strstr(text, ".SH \"EXIT STATUS\"\n"));
	assert_null(strstr(text, "old spelling"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_and_operands),
		cmocka_unit_test(test_one_wording),
		cmocka_unit_test(test_bad_value_and_operands),
		cmocka_unit_test(test_options_first_and_keep_unknown),
		cmocka_unit_test(test_help_and_version_answered),
		cmocka_unit_test(test_program_help_and_man),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
