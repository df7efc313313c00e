/* The tools' command-line parser (see cli.h): options from a command's
 * table, --help and --version on every command, operands gathered at the
 * front of argv, and the one wording of usage errors. Rendering (--help,
 * --man) is in cli_render.c. */
#include "common/cli.h"

#include <string.h>

#include "common/settings.h"

/* "PROGRAM WORDS" of the parser's command. */
static void command_name(const struct cli_parser *parser, char *out, size_t out_size)
{
	const char *words = parser->command->words;

	snprintf(out, out_size, "%s%s%s", parser->program, words && words[0] ? " " : "", words ? words : "");
}

int cli_usage_error_va(const char *name, const char *format, va_list arguments)
{
	fprintf(stderr, "%s: ", name);
	vfprintf(stderr, format, arguments);
	fprintf(stderr, " (see --help)\n");
	return CLI_EXIT_USAGE;
}

int cli_usage_error_named(const char *name, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	cli_usage_error_va(name, format, arguments);
	va_end(arguments);
	return CLI_EXIT_USAGE;
}

int cli_usage_error(const struct cli_parser *parser, const char *format, ...)
{
	char name[160];
	va_list arguments;

	command_name(parser, name, sizeof(name));
	va_start(arguments, format);
	cli_usage_error_va(name, format, arguments);
	va_end(arguments);
	return CLI_EXIT_USAGE;
}

int cli_bad_value(const struct cli_parser *parser, const char *why_format, ...)
{
	char name[160], why[256];
	va_list arguments;

	command_name(parser, name, sizeof(name));
	va_start(arguments, why_format);
	vsnprintf(why, sizeof(why), why_format, arguments);
	va_end(arguments);
	return cli_usage_error_named(name, "bad value '%s' for %s: %s", parser->value ? parser->value : "",
				     parser->spelled, why);
}

int cli_check_operands(const struct cli_parser *parser, int minimum, int maximum, const char *missing_message)
{
	if (parser->operands > maximum)
		return cli_usage_error(parser, "unexpected argument '%s'", parser->argv[maximum + 1]);
	if (parser->operands < minimum)
		return cli_usage_error(parser, "%s", missing_message);
	return 0;
}

int cli_exit_status(int result)
{
	return result == CLI_ANSWERED ? 0 : CLI_EXIT_USAGE;
}

void cli_print_version(const char *name, FILE *out)
{
	fprintf(out, "%s %s\n", name, settings_version());
}

void cli_begin(struct cli_parser *parser, const char *program, const struct cli_command *command, int argc,
	       char **argv)
{
	memset(parser, 0, sizeof(*parser));
	parser->program = program;
	parser->command = command;
	parser->argc = argc;
	parser->argv = argv;
	parser->index = 1;
}

void cli_begin_program(struct cli_parser *parser, const struct cli_program *program, int argc, char **argv)
{
	cli_begin(parser, program->name, program->main, argc, argv);
	parser->whole = program;
}

static const struct cli_option *find_long(const struct cli_option *options, const char *name, size_t length)
{
	for (; options != NULL && (options->name != NULL || options->help != NULL); options++)
		if (options->name != NULL && strlen(options->name) == length && strncmp(options->name, name, length) == 0)
			return options;
	return NULL;
}

static const struct cli_option *find_short(const struct cli_option *options, char letter)
{
	for (; options != NULL && (options->name != NULL || options->help != NULL); options++)
		if (options->name != NULL && options->short_name == letter)
			return options;
	return NULL;
}

/* Moves the word at index to the front, after the operands kept so far:
 * the words between were options, already read. */
static void keep_operand(struct cli_parser *parser)
{
	char *operand = parser->argv[parser->index++];

	parser->argv[++parser->operands] = operand;
}

/* --help, --version and --man: answered at once. */
static int answer_builtin(struct cli_parser *parser, const char *name)
{
	if (strcmp(name, "help") == 0) {
		if (parser->whole != NULL)
			cli_print_program_help(parser->whole, stdout);
		else
			cli_print_help(parser->program, parser->command, stdout);
		return CLI_ANSWERED;
	}
	if (strcmp(name, "version") == 0) {
		cli_print_version(parser->program, stdout);
		return CLI_ANSWERED;
	}
	if (strcmp(name, "man") == 0 && parser->whole != NULL) {
		cli_print_man(parser->whole, stdout);
		return CLI_ANSWERED;
	}
	return CLI_END;
}

/* A long option at argv[index]: "--name" or "--name=value". */
static int read_long(struct cli_parser *parser, const char *text)
{
	const char *name = text + 2, *equals = strchr(name, '=');
	size_t length = equals ? (size_t)(equals - name) : strlen(name);
	const struct cli_option *option = find_long(parser->command->options, name, length);

	snprintf(parser->spelled, sizeof(parser->spelled), "--%.*s", (int)length, name);
	if (option == NULL) {
		int answered = CLI_END;

		if (equals == NULL)
			answered = answer_builtin(parser, name);
		if (answered != CLI_END)
			return answered;
		cli_usage_error(parser, "unknown option '%s'", parser->spelled);
		return CLI_FAILED;
	}
	parser->index++;
	parser->option = option;
	parser->value = NULL;
	if (option->value_name == NULL) {
		if (equals != NULL) {
			cli_usage_error(parser, "option '%s' takes no value", parser->spelled);
			return CLI_FAILED;
		}
		return option->code;
	}
	if (equals != NULL)
		parser->value = equals + 1;
	else if (parser->index < parser->argc)
		parser->value = parser->argv[parser->index++];
	else {
		cli_usage_error(parser, "option '%s' needs a value", parser->spelled);
		return CLI_FAILED;
	}
	return option->code;
}

/* A short option: "-h" or a declared letter, its value the next word. */
static int read_short(struct cli_parser *parser, const char *text)
{
	const struct cli_option *option = text[2] == '\0' ? find_short(parser->command->options, text[1]) : NULL;

	snprintf(parser->spelled, sizeof(parser->spelled), "%s", text);
	if (option == NULL) {
		if (strcmp(text, "-h") == 0)
			return answer_builtin(parser, "help");
		cli_usage_error(parser, "unknown option '%s'", text);
		return CLI_FAILED;
	}
	parser->index++;
	parser->option = option;
	parser->value = NULL;
	if (option->value_name == NULL)
		return option->code;
	if (parser->index >= parser->argc) {
		cli_usage_error(parser, "option '%s' needs a value", text);
		return CLI_FAILED;
	}
	parser->value = parser->argv[parser->index++];
	return option->code;
}

/* Whether text names an option of the command's table. */
static bool declared(const struct cli_parser *parser, const char *text)
{
	const char *equals = strchr(text, '=');

	if (text[1] != '-')
		return text[2] == '\0' && find_short(parser->command->options, text[1]) != NULL;
	return find_long(parser->command->options, text + 2, equals ? (size_t)(equals - text - 2) : strlen(text + 2)) !=
	       NULL;
}

int cli_next(struct cli_parser *parser)
{
	while (parser->index < parser->argc) {
		const char *text = parser->argv[parser->index];
		bool operand = parser->options_ended || text[0] != '-' || text[1] == '\0';

		if (operand && parser->command->options_first) {
			parser->options_ended = true;
			return CLI_END;
		}
		if (operand || (parser->keep_unknown && !declared(parser, text))) {
			keep_operand(parser);
			continue;
		}
		if (strcmp(text, "--") == 0) {
			parser->index++;
			parser->options_ended = true;
			continue;
		}
		return text[1] == '-' ? read_long(parser, text) : read_short(parser, text);
	}
	if (!parser->command->options_first)
		parser->argv[parser->operands + 1] = NULL;
	return CLI_END;
}
