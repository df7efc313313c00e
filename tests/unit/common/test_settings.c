/* Unit tests for the settings layer: every type with its bounds, aliases
 * and '_' spellings, the INI file and the command line setting the same
 * fields, --config under the flags, errors naming file, line and key, and
 * --help / man page / example config rendered from the same table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/settings.h"

struct example_config {
	char name[16];
	unsigned int threads;
	uint64_t count;
	uint64_t pipe_size;
	uint64_t timeout_ms;
	bool verbose;
	bool origin;
	bool meter;
	int mode;
	char prefixes[64];
	unsigned int max_occupancy;
	unsigned int free_lines;
};

static const char *const modes[] = { "auto", "splice", "zc", NULL };
static const char *const threads_aliases[] = { "loops", NULL };
static const char *const occupancy_aliases[] = { "max_cpu", NULL };
static const char *const own_sections[] = { "example", NULL };

static int add_prefix(void *config, const char *value, char *why, size_t why_size)
{
	struct example_config *example = config;
	size_t used = strlen(example->prefixes);

	if (strchr(value, '/') == NULL) {
		snprintf(why, why_size, "expected PREFIX/BITS");
		return -EINVAL;
	}
	snprintf(example->prefixes + used, sizeof(example->prefixes) - used, "%s%s", used ? " " : "", value);
	return 0;
}

static int free_line(void *config, const char *key, const char *value, char *why, size_t why_size)
{
	(void)key;
	if (value[0] == '\0') {
		snprintf(why, why_size, "empty");
		return -EINVAL;
	}
	((struct example_config *)config)->free_lines++;
	return 0;
}

#define AT(field) offsetof(struct example_config, field)
static const struct setting example_settings[] = {
	{ .key = "name", .type = SETTING_STRING, .offset = AT(name), .size = 16, .minimum = 1,
	  .default_value = "cascade", .help = "a name" },
	{ .key = "threads", .type = SETTING_UNSIGNED, .offset = AT(threads), .minimum = 1, .maximum = 256,
	  .default_note = "online CPUs", .help = "event loops", .aliases = threads_aliases, .short_name = 't' },
	{ .key = "count", .type = SETTING_UINT64, .offset = AT(count), .maximum = 1000000, .default_value = "10",
	  .help = "a count" },
	{ .key = "pipe-size", .type = SETTING_SIZE, .offset = AT(pipe_size), .minimum = 4096, .maximum = 1 << 30,
	  .default_value = "1M", .help = "pipe capacity" },
	{ .key = "timeout", .type = SETTING_DURATION, .offset = AT(timeout_ms), .minimum = 100,
	  .maximum = 86400000, .default_value = "30s", .help = "a timeout" },
	{ .key = "verbose", .type = SETTING_BOOL, .offset = AT(verbose), .default_value = "false", .help = "talk" },
	{ .key = "origin", .type = SETTING_FLAG, .offset = AT(origin), .help = "origin role" },
	{ .key = "meter", .type = SETTING_BOOL, .offset = AT(meter), .default_value = "true", .help = "meter" },
	{ .key = "no-meter", .type = SETTING_NEGATION, .offset = AT(meter), .flags = SETTING_ARGUMENTS_ONLY,
	  .help = "the same as --meter false" },
	{ .key = "mode", .type = SETTING_CHOICE, .offset = AT(mode), .choices = modes, .default_value = "auto",
	  .help = "send mode" },
	{ .key = "prefix", .type = SETTING_CUSTOM, .set = add_prefix, .value_name = "PREFIX/BITS",
	  .flags = SETTING_REPEATABLE, .help = "a prefix (repeatable)" },
	{ .key = "max-occupancy", .section = "election", .type = SETTING_UNSIGNED, .offset = AT(max_occupancy),
	  .maximum = 10000, .default_value = "8000", .help = "occupancy limit", .aliases = occupancy_aliases },
};

static const struct settings_free_section example_free_sections[] = {
	{ .name = "groups", .set = free_line, .help = "ID = PREFIX lines", .example = "1 = 10.0.0.0/8" },
};

static const struct settings_program example_program = {
	.name = "cascade-example",
	.synopsis = "[options]",
	.summary = "an example daemon",
	.description = "Does nothing, in detail.",
	.own_sections = own_sections,
	.settings = example_settings,
	.count = sizeof(example_settings) / sizeof(example_settings[0]),
	.free_sections = example_free_sections,
	.free_section_count = 1,
	.notes = "Durations take ms, s, m, h.",
	.man_section = 8,
};

static void fresh(struct example_config *config)
{
	memset(config, 0, sizeof(*config));
	config->threads = 2;
	assert_int_equal(settings_defaults(&example_program, config), 0);
}

static int run(struct example_config *config, const char *const *arguments)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "cascade-example";
	for (; *arguments; arguments++)
		argv[argc++] = (char *)*arguments;
	argv[argc] = NULL;
	return settings_from_arguments(&example_program, config, argc, argv, NULL);
}

static char *write_file(const char *text)
{
	static char path[64];
	FILE *file;

	snprintf(path, sizeof(path), "/tmp/cascade-settings-XXXXXX");
	close(mkstemp(path));
	file = fopen(path, "w");
	assert_non_null(file);
	fputs(text, file);
	fclose(file);
	return path;
}

static void test_defaults_from_the_table(void **state)
{
	struct example_config config;

	(void)state;
	fresh(&config);
	assert_string_equal(config.name, "cascade");
	assert_int_equal(config.threads, 2); /* no default text: the caller's value stays */
	assert_int_equal(config.count, 10);
	assert_int_equal(config.pipe_size, 1 << 20);
	assert_int_equal(config.timeout_ms, 30000);
	assert_false(config.verbose);
	assert_true(config.meter);
	assert_int_equal(config.mode, 0);
	assert_int_equal(config.max_occupancy, 8000);
}

static void test_every_type_and_bound(void **state)
{
	struct example_config config;
	char why[256];

	(void)state;
	fresh(&config);
#define SET(key, value) settings_set(&example_program, &config, key, value, why, sizeof(why))
	assert_int_equal(SET("name", "x"), 0);
	assert_int_equal(SET("name", ""), -EINVAL);
	assert_string_equal(why, "must not be empty");
	assert_int_equal(SET("name", "0123456789abcdef"), -EINVAL);
	assert_string_equal(config.name, "x");
	assert_int_equal(SET("threads", "256"), 0);
	assert_int_equal(config.threads, 256);
	assert_int_equal(SET("threads", "0"), -EINVAL);
	assert_string_equal(why, "expected a whole number from 1 to 256");
	assert_int_equal(SET("threads", "4x"), -EINVAL);
	assert_int_equal(SET("count", "1000001"), -EINVAL);
	assert_int_equal(SET("pipe-size", "64K"), 0);
	assert_int_equal(config.pipe_size, 65536);
	assert_int_equal(SET("pipe-size", "1K"), -EINVAL);
	assert_string_equal(why, "expected a size from 4K to 1G");
	assert_int_equal(SET("timeout", "250ms"), 0);
	assert_int_equal(config.timeout_ms, 250);
	assert_int_equal(SET("timeout", "2d"), -EINVAL);
	assert_int_equal(SET("timeout", "10ms"), -EINVAL);
	assert_string_equal(why, "expected a duration from 100ms to 24h");
	assert_int_equal(SET("verbose", "yes"), 0);
	assert_true(config.verbose);
	assert_int_equal(SET("verbose", "maybe"), -EINVAL);
	assert_int_equal(SET("mode", "zc"), 0);
	assert_int_equal(config.mode, 2);
	assert_int_equal(SET("mode", "fast"), -EINVAL);
	assert_string_equal(why, "expected one of auto, splice, zc");
	assert_int_equal(SET("prefix", "10.0.0.0/8"), 0);
	assert_int_equal(SET("prefix", "10.1.0.0/16"), 0);
	assert_string_equal(config.prefixes, "10.0.0.0/8 10.1.0.0/16");
	assert_int_equal(SET("prefix", "nonsense"), -EINVAL);
	assert_string_equal(why, "expected PREFIX/BITS");
	assert_int_equal(SET("election-max-occupancy", "10001"), -EINVAL);
	assert_int_equal(SET("no-such-key", "1"), -ENOENT);
#undef SET
}

static void test_command_line(void **state)
{
	struct example_config config;

	(void)state;
	fresh(&config);
	assert_int_equal(run(&config, (const char *const[]){ "--threads", "3", "--count=7", "-t", "5", "--origin",
							     "--no-meter", "--election-max-occupancy", "5000",
							     "--prefix", "1.0.0.0/8", NULL }), 0);
	assert_int_equal(config.threads, 5); /* the last one wins */
	assert_int_equal(config.count, 7);
	assert_true(config.origin);
	assert_false(config.meter);
	assert_int_equal(config.max_occupancy, 5000);
	assert_string_equal(config.prefixes, "1.0.0.0/8");
	/* A declared alias works; '_' is not an alias on the command line. */
	assert_int_equal(run(&config, (const char *const[]){ "--loops", "9", NULL }), 0);
	assert_int_equal(config.threads, 9);
	assert_int_equal(run(&config, (const char *const[]){ "--pipe_size", "8K", NULL }), -EINVAL);
	assert_int_equal(run(&config, (const char *const[]){ "--bogus", NULL }), -EINVAL);
	assert_int_equal(run(&config, (const char *const[]){ "--threads", NULL }), -EINVAL);
	assert_int_equal(run(&config, (const char *const[]){ "--origin=yes", NULL }), -EINVAL);
	assert_int_equal(run(&config, (const char *const[]){ "operand", NULL }), -EINVAL);
	assert_int_equal(run(&config, (const char *const[]){ "--threads", "0", NULL }), -EINVAL);
	/* Prefixes of a name are not the name. */
	assert_int_equal(run(&config, (const char *const[]){ "--thread", "2", NULL }), -EINVAL);
}

static void test_file_and_flags_agree(void **state)
{
	struct example_config from_file, from_flags;
	char why[256];
	char *path = write_file("; comment\n"
				"threads = 3\ncount = 7\npipe-size = 64K\ntimeout = 5m\nverbose = on\n"
				"origin = true\nmeter = false\nmode = splice\nprefix = 1.0.0.0/8\n"
				"[election]\nmax-occupancy = 4000\n"
				"[groups]\n1 = 10.0.0.0/8\n2 = 10.1.0.0/16\n");

	(void)state;
	fresh(&from_file);
	fresh(&from_flags);
	assert_int_equal(settings_load_file(&example_program, &from_file, path, why, sizeof(why)), 0);
	assert_int_equal(run(&from_flags, (const char *const[]){ "--threads", "3", "--count", "7", "--pipe-size",
								 "64K", "--timeout", "5m", "--verbose", "on",
								 "--origin", "--meter", "false", "--mode", "splice",
								 "--prefix", "1.0.0.0/8", "--election-max-occupancy",
								 "4000", NULL }), 0);
	assert_int_equal(from_file.free_lines, 2);
	from_file.free_lines = 0;
	assert_memory_equal(&from_file, &from_flags, sizeof(from_file));
	/* --config loads first, flags win wherever they are on the line. */
	fresh(&from_flags);
	assert_int_equal(run(&from_flags, (const char *const[]){ "--threads", "11", "--config", path, NULL }), 0);
	assert_int_equal(from_flags.threads, 11);
	assert_int_equal(from_flags.count, 7);
	unlink(path);
}

static void test_file_errors_name_line_and_key(void **state)
{
	struct example_config config;
	char why[256];
	char *path;

	(void)state;
	fresh(&config);
	path = write_file("threads = 3\n[example]\ncount = 1\nthreadz = 4\n");
	assert_int_equal(settings_load_file(&example_program, &config, path, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, ":4: unknown key 'threadz'"));
	unlink(path);
	path = write_file("[election]\nmax-occupancy = lots\n");
	assert_int_equal(settings_load_file(&example_program, &config, path, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, ":2: bad value 'lots' for max-occupancy: expected a whole number"));
	unlink(path);
	path = write_file("[nowhere]\nx = 1\n");
	assert_int_equal(settings_load_file(&example_program, &config, path, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "unknown section [nowhere]"));
	unlink(path);
	path = write_file("no-meter = true\n"); /* a flag only */
	assert_int_equal(settings_load_file(&example_program, &config, path, why, sizeof(why)), -EINVAL);
	unlink(path);
	path = write_file("[groups]\n1 =\n");
	assert_int_equal(settings_load_file(&example_program, &config, path, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "in [groups]: empty"));
	unlink(path);
	assert_int_equal(settings_load_file(&example_program, &config, "/nonexistent/x.ini", why, sizeof(why)),
			 -EIO);
}

static void test_old_spellings_in_the_file(void **state)
{
	struct example_config config;
	char why[256];
	char *path = write_file("pipe_size = 8K\nloops = 6\n[election]\nmax_cpu = 100\n");

	(void)state;
	fresh(&config);
	assert_int_equal(settings_load_file(&example_program, &config, path, why, sizeof(why)), 0);
	assert_int_equal(config.pipe_size, 8192);
	assert_int_equal(config.threads, 6);
	assert_int_equal(config.max_occupancy, 100);
	unlink(path);
}

/* Captures what a printer writes. */
static char *render(void (*printer)(const struct settings_program *, FILE *))
{
	char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream(&text, &length);

	assert_non_null(out);
	printer(&example_program, out);
	fclose(out);
	return text;
}

static void test_help_man_and_example(void **state)
{
	char *help = render(settings_print_help), *man = render(settings_print_man),
	     *example = render(settings_print_example);
	struct example_config defaults, parsed;
	char why[256], *path, *uncommented;

	(void)state;
	assert_non_null(strstr(help, "Usage: cascade-example [options]"));
	assert_non_null(strstr(help, "-t, --threads N"));
	assert_non_null(strstr(help, "(default online CPUs)"));
	assert_non_null(strstr(help, "--mode auto|splice|zc"));
	assert_non_null(strstr(help, "--election-max-occupancy N"));
	assert_non_null(strstr(help, "--version"));
	assert_null(strstr(help, "--no-meter BOOL"));
	assert_non_null(strstr(man, ".TH CASCADE-EXAMPLE 8"));
	assert_non_null(strstr(man, "\\fB\\-\\-pipe\\-size\\fR \\fISIZE\\fR"));
	assert_non_null(strstr(man, ".SS \"Section [election]\""));
	assert_non_null(strstr(man, "Old spelling, still accepted: loops"));
	assert_non_null(strstr(example, "[example]\n"));
	assert_non_null(strstr(example, "#pipe-size = 1M\n"));
	assert_non_null(strstr(example, "[election]\n"));
	assert_non_null(strstr(example, "# 1 = 10.0.0.0/8"));
	assert_null(strstr(example, "no-meter"));
	/* The example config, uncommented, is a valid file giving the defaults
	 * (settings without a default show a placeholder and stay commented). */
	uncommented = calloc(1, strlen(example) + 1);
	assert_non_null(uncommented);
	for (char *line = example, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		if (line[0] == '#' && line[1] != ' ' && strncmp(line + 1, "prefix", 6) != 0 &&
		    strncmp(line + 1, "threads", 7) != 0)
			line++;
		strncat(uncommented, line, (size_t)(end - line + 1));
	}
	assert_non_null(strstr(uncommented, "\nname = cascade\n"));
	path = write_file(uncommented);
	fresh(&defaults);
	fresh(&parsed);
	assert_int_equal(settings_load_file(&example_program, &parsed, path, why, sizeof(why)), 0);
	assert_memory_equal(&defaults, &parsed, sizeof(parsed));
	unlink(path);
	free(help);
	free(man);
	free(example);
	free(uncommented);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_from_the_table),
		cmocka_unit_test(test_every_type_and_bound),
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_file_and_flags_agree),
		cmocka_unit_test(test_file_errors_name_line_and_key),
		cmocka_unit_test(test_old_spellings_in_the_file),
		cmocka_unit_test(test_help_man_and_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
