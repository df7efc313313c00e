/* The settings layer: lookup by name, the shared setters (one per type),
 * defaults, the INI file and the command line. Rendering (--help, man page,
 * example config) is in settings_render.c. */
#include "common/settings.h"

#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cli.h"
#include "common/parse.h"
#include "common/settings_internal.h"

#ifndef CASCADE_VERSION
#define CASCADE_VERSION "unknown"
#endif

#define NAME_MAX_LENGTH 128

const char *settings_version(void)
{
	return CASCADE_VERSION;
}

static void set_why(char *why, size_t why_size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t why_size, const char *format, ...)
{
	va_list arguments;

	if (why == NULL || why_size == 0)
		return;
	va_start(arguments, format);
	vsnprintf(why, why_size, format, arguments);
	va_end(arguments);
}

void settings_flag_name(const struct setting *setting, char *out, size_t out_size)
{
	size_t index;

	if (setting->section != NULL)
		snprintf(out, out_size, "%s-%s", setting->section, setting->key);
	else
		snprintf(out, out_size, "%s", setting->key);
	/* A section spelled with '_' ([connection_request]) gives '-' in flags. */
	for (index = 0; out[index] != '\0'; index++)
		if (out[index] == '_')
			out[index] = '-';
}

/* name with every '_' turned into '-'; false when it does not fit. */
static bool normalized(const char *name, char *out, size_t out_size)
{
	size_t index, length = strlen(name);

	if (length >= out_size)
		return false;
	for (index = 0; index <= length; index++)
		out[index] = name[index] == '_' ? '-' : name[index];
	return true;
}

static bool listed(const char *const *names, const char *name)
{
	for (; names != NULL && *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

/* Warns once per program run and spelling. */
static void warn_deprecated(const struct settings_program *program, const char *used, const char *canonical)
{
	static char warned[32][NAME_MAX_LENGTH];
	static unsigned int warned_count;
	unsigned int index;

	for (index = 0; index < warned_count; index++)
		if (strcmp(warned[index], used) == 0)
			return;
	if (warned_count < 32)
		snprintf(warned[warned_count++], NAME_MAX_LENGTH, "%s", used);
	fprintf(stderr, "%s: warning: '%s' is deprecated, use '%s'\n", program->name, used, canonical);
}

const struct setting *settings_find(const struct settings_program *program, const char *section, const char *name,
				    bool warn)
{
	char wanted[NAME_MAX_LENGTH], candidate[NAME_MAX_LENGTH];
	size_t index;

	if (!normalized(name, wanted, sizeof(wanted)))
		return NULL;
	for (index = 0; index < program->count; index++) {
		const struct setting *setting = &program->settings[index];

		if (section != NULL) {
			/* INI lookup: the key inside its own section. */
			if ((setting->section == NULL) != (section[0] == '\0'))
				continue;
			if (setting->section != NULL && strcmp(setting->section, section) != 0)
				continue;
			snprintf(candidate, sizeof(candidate), "%s", setting->key);
		} else {
			settings_flag_name(setting, candidate, sizeof(candidate));
		}
		if (strcmp(candidate, wanted) == 0) {
			if (warn && strcmp(candidate, name) != 0)
				warn_deprecated(program, name, candidate);
			return setting;
		}
		if (listed(setting->aliases, name)) {
			if (warn)
				warn_deprecated(program, name, candidate);
			return setting;
		}
	}
	return NULL;
}

static void *field(void *config, const struct setting *setting)
{
	return (char *)config + setting->offset;
}

/* Shared range check for the numeric types; the unit is the type's. */
static int check_range(const struct setting *setting, uint64_t value, const char *unit_text, char *why,
		       size_t why_size)
{
	uint64_t minimum = setting->minimum > 0 ? (uint64_t)setting->minimum : 0;
	uint64_t maximum = setting->maximum > 0 ? (uint64_t)setting->maximum : UINT64_MAX;

	if (value >= minimum && value <= maximum)
		return 0;
	if (setting->maximum > 0) {
		char low[32], high[32];

		settings_format_number(setting->type, minimum, low, sizeof(low));
		settings_format_number(setting->type, maximum, high, sizeof(high));
		set_why(why, why_size, "expected %s from %s to %s", unit_text, low, high);
	} else {
		char low[32];

		settings_format_number(setting->type, minimum, low, sizeof(low));
		set_why(why, why_size, "expected %s of at least %s", unit_text, low);
	}
	return -EINVAL;
}

static int set_string(const struct setting *setting, void *config, const char *value, char *why, size_t why_size)
{
	size_t length = strlen(value);
	size_t maximum = setting->maximum > 0 ? (size_t)setting->maximum : setting->size - 1;

	if (length > maximum || length >= setting->size) {
		set_why(why, why_size, "longer than %zu characters", maximum);
		return -EINVAL;
	}
	if ((long long)length < setting->minimum) {
		set_why(why, why_size, setting->minimum == 1 ? "must not be empty" : "shorter than %lld characters",
			setting->minimum);
		return -EINVAL;
	}
	memcpy(field(config, setting), value, length + 1);
	return 0;
}

static int set_number(const struct setting *setting, void *config, const char *value, char *why, size_t why_size)
{
	long long number;
	uint64_t parsed;

	switch (setting->type) {
	case SETTING_UNSIGNED:
		if (parse_integer(value, 0, UINT32_MAX, &number) < 0) {
			set_why(why, why_size, "expected a whole number");
			return -EINVAL;
		}
		if (check_range(setting, (uint64_t)number, "a whole number", why, why_size) < 0)
			return -EINVAL;
		*(unsigned int *)field(config, setting) = (unsigned int)number;
		return 0;
	case SETTING_UINT64:
		if (parse_integer(value, 0, INT64_MAX, &number) < 0) {
			set_why(why, why_size, "expected a whole number");
			return -EINVAL;
		}
		parsed = (uint64_t)number;
		if (check_range(setting, parsed, "a whole number", why, why_size) < 0)
			return -EINVAL;
		break;
	case SETTING_SIZE:
		if (parse_size(value, &parsed) < 0) {
			set_why(why, why_size, "expected a size such as 4096, 64K or 1M");
			return -EINVAL;
		}
		if (check_range(setting, parsed, "a size", why, why_size) < 0)
			return -EINVAL;
		break;
	default: /* SETTING_DURATION */
		if (parse_duration_ms(value, &parsed) < 0) {
			set_why(why, why_size, "expected a duration such as 250ms, 30s, 5m or 1h");
			return -EINVAL;
		}
		if (check_range(setting, parsed, "a duration", why, why_size) < 0)
			return -EINVAL;
		break;
	}
	*(uint64_t *)field(config, setting) = parsed;
	return 0;
}

static int set_choice(const struct setting *setting, void *config, const char *value, char *why, size_t why_size)
{
	char names[256] = "";
	size_t used = 0;
	int index;

	for (index = 0; setting->choices[index] != NULL; index++) {
		if (strcasecmp(setting->choices[index], value) == 0) {
			*(int *)field(config, setting) = index;
			return 0;
		}
		used += (size_t)snprintf(names + used, used < sizeof(names) ? sizeof(names) - used : 0, "%s%s",
					 index ? ", " : "", setting->choices[index]);
		if (used >= sizeof(names))
			used = sizeof(names) - 1;
	}
	set_why(why, why_size, "expected one of %s", names);
	return -EINVAL;
}

int settings_apply(const struct setting *setting, void *config, const char *value, char *why, size_t why_size)
{
	bool flag;

	switch (setting->type) {
	case SETTING_STRING:
		return set_string(setting, config, value, why, why_size);
	case SETTING_UNSIGNED:
	case SETTING_UINT64:
	case SETTING_SIZE:
	case SETTING_DURATION:
		return set_number(setting, config, value, why, why_size);
	case SETTING_BOOL:
	case SETTING_FLAG:
	case SETTING_NEGATION:
		if (parse_bool(value, &flag) < 0) {
			set_why(why, why_size, "expected true or false");
			return -EINVAL;
		}
		*(bool *)field(config, setting) = setting->type == SETTING_NEGATION ? !flag : flag;
		return 0;
	case SETTING_CHOICE:
		return set_choice(setting, config, value, why, why_size);
	case SETTING_CUSTOM:
		set_why(why, why_size, "bad value");
		return setting->set(config, value, why, why_size);
	}
	return -EINVAL;
}

int settings_defaults(const struct settings_program *program, void *config)
{
	char why[256];
	size_t index;

	for (index = 0; index < program->count; index++) {
		const struct setting *setting = &program->settings[index];

		if (setting->default_value == NULL || setting->type == SETTING_NEGATION)
			continue;
		if (settings_apply(setting, config, setting->default_value, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: built-in default '%s' of %s: %s\n", program->name,
				setting->default_value, setting->key, why);
			return -EINVAL;
		}
	}
	return 0;
}

int settings_set(const struct settings_program *program, void *config, const char *key, const char *value, char *why,
		 size_t why_size)
{
	const struct setting *setting = settings_find(program, NULL, key, false);

	if (setting == NULL)
		return -ENOENT;
	return settings_apply(setting, config, value, why, why_size);
}

/* ---- INI files ----------------------------------------------------------- */

struct file_reading {
	const struct settings_program *program;
	void *config;
	const char *path;
	int line;
	char why[256];
	bool failed;
};

static bool is_own_section(const struct settings_program *program, const char *section)
{
	return section[0] == '\0' || listed(program->own_sections, section);
}

static bool declares_section(const struct settings_program *program, const char *section)
{
	size_t index;

	for (index = 0; index < program->count; index++)
		if (program->settings[index].section != NULL && strcmp(program->settings[index].section, section) == 0)
			return true;
	return false;
}

#if INI_HANDLER_LINENO
static int handle_line(void *user, const char *section, const char *key, const char *value, int line)
#else
static int handle_line(void *user, const char *section, const char *key, const char *value)
#endif
{
	struct file_reading *reading = user;
	const struct settings_program *program = reading->program;
	const struct setting *setting = NULL;
	char why[200] = "bad value";
	size_t index;

#if INI_HANDLER_LINENO
	(void)line;
#endif
	if (reading->failed)
		return 1; /* report the first problem only */
	for (index = 0; index < program->free_section_count; index++) {
		if (strcmp(program->free_sections[index].name, section) == 0) {
			if (program->free_sections[index].set(reading->config, key, value, why, sizeof(why)) < 0) {
				snprintf(reading->why, sizeof(reading->why), "bad line '%s = %s' in [%s]: %s", key,
					 value, section, why);
				reading->failed = true;
				return 0;
			}
			return 1;
		}
	}
	if (is_own_section(program, section))
		setting = settings_find(program, "", key, true);
	else if (declares_section(program, section))
		setting = settings_find(program, section, key, true);
	else {
		snprintf(reading->why, sizeof(reading->why), "unknown section [%s]", section);
		reading->failed = true;
		return 0;
	}
	if (setting == NULL || (setting->flags & SETTING_ARGUMENTS_ONLY)) {
		snprintf(reading->why, sizeof(reading->why), "unknown key '%s'%s%s%s", key, section[0] ? " in [" : "",
			 section, section[0] ? "]" : "");
		reading->failed = true;
		return 0;
	}
	if (settings_apply(setting, reading->config, value, why, sizeof(why)) < 0) {
		snprintf(reading->why, sizeof(reading->why), "bad value '%s' for %s: %s", value, key, why);
		reading->failed = true;
		return 0;
	}
	return 1;
}

int settings_load_file(const struct settings_program *program, void *config, const char *path, char *why,
		       size_t why_size)
{
	struct file_reading reading = { .program = program, .config = config, .path = path };
	FILE *file = fopen(path, "r");
	int result;

	if (file == NULL) {
		set_why(why, why_size, "%s: cannot read: %s", path, strerror(errno));
		return -EIO;
	}
	result = ini_parse_file(file, handle_line, &reading);
	fclose(file);
	if (result == 0)
		return 0;
	if (result < 0) {
		set_why(why, why_size, "%s: cannot read", path);
		return -EIO;
	}
	if (reading.failed)
		set_why(why, why_size, "%s:%d: %s", path, result, reading.why);
	else
		set_why(why, why_size, "%s:%d: not a 'key = value' line or a [section]", path, result);
	return -EINVAL;
}

/* ---- the command line ---------------------------------------------------- */

enum builtin {
	BUILTIN_NONE,
	BUILTIN_CONFIG,
	BUILTIN_HELP,
	BUILTIN_VERSION,
	BUILTIN_MAN,
	BUILTIN_EXAMPLE,
};

static enum builtin builtin_named(const char *name)
{
	if (strcmp(name, "config") == 0)
		return BUILTIN_CONFIG;
	if (strcmp(name, "help") == 0)
		return BUILTIN_HELP;
	if (strcmp(name, "version") == 0)
		return BUILTIN_VERSION;
	if (strcmp(name, "man") == 0)
		return BUILTIN_MAN;
	if (strcmp(name, "example-config") == 0)
		return BUILTIN_EXAMPLE;
	return BUILTIN_NONE;
}

static int usage_error(const struct settings_program *program, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const struct settings_program *program, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	cli_usage_error_va(program->name, format, arguments);
	va_end(arguments);
	return -EINVAL;
}

/* One parsed command-line item. */
struct argument {
	enum builtin builtin;
	const struct setting *setting;
	const char *value;        /* NULL for flags */
	char spelled[NAME_MAX_LENGTH + 2];
};

static const struct setting *find_short(const struct settings_program *program, char letter)
{
	size_t index;

	for (index = 0; index < program->count; index++)
		if (program->settings[index].short_name == letter)
			return &program->settings[index];
	return NULL;
}

static bool takes_value(const struct setting *setting)
{
	return setting->type != SETTING_FLAG && setting->type != SETTING_NEGATION;
}

/* Reads argv[*index] (and its value) into item and advances *index.
 * Returns 0 for an option; 1 at an operand (not consumed: options end
 * there); 2 after "--" (consumed: options end); -EINVAL with the message
 * printed. */
static int read_argument(const struct settings_program *program, int argc, char **argv, int *index,
			 struct argument *item, bool warn)
{
	const char *text = argv[*index], *equals, *value = NULL;
	char name[NAME_MAX_LENGTH];
	size_t name_length;

	memset(item, 0, sizeof(*item));
	if (strcmp(text, "--") == 0) {
		(*index)++;
		return 2;
	}
	if (text[0] != '-' || text[1] == '\0')
		return 1;
	if (text[1] != '-') {
		/* -h, or a declared short option with its value next. */
		if (text[2] != '\0')
			return usage_error(program, "unknown option '%s'", text);
		snprintf(item->spelled, sizeof(item->spelled), "%s", text);
		if (text[1] == 'h') {
			item->builtin = BUILTIN_HELP;
			(*index)++;
			return 0;
		}
		item->setting = find_short(program, text[1]);
		if (item->setting == NULL)
			return usage_error(program, "unknown option '%s'", text);
		(*index)++;
		if (takes_value(item->setting)) {
			if (*index >= argc)
				return usage_error(program, "option '%s' needs a value", text);
			item->value = argv[(*index)++];
		}
		return 0;
	}
	equals = strchr(text + 2, '=');
	name_length = equals ? (size_t)(equals - text - 2) : strlen(text + 2);
	if (name_length == 0 || name_length >= sizeof(name))
		return usage_error(program, "unknown option '%s'", text);
	memcpy(name, text + 2, name_length);
	name[name_length] = '\0';
	snprintf(item->spelled, sizeof(item->spelled), "--%s", name);
	item->builtin = builtin_named(name);
	if (item->builtin == BUILTIN_NONE) {
		item->setting = settings_find(program, NULL, name, warn);
		/* On the command line '_' is not an alias: only declared ones are. */
		if (item->setting == NULL || (strchr(name, '_') && !listed(item->setting->aliases, name)) ||
		    (item->setting->flags & SETTING_FILE_ONLY))
			return usage_error(program, "unknown option '--%s'", name);
	}
	(*index)++;
	if (item->builtin == BUILTIN_CONFIG || (item->setting != NULL && takes_value(item->setting))) {
		if (equals != NULL)
			value = equals + 1;
		else if (*index < argc)
			value = argv[(*index)++];
		else
			return usage_error(program, "option '--%s' needs a value", name);
	} else if (equals != NULL) {
		return usage_error(program, "option '--%s' takes no value", name);
	}
	item->value = value;
	return 0;
}

/* The first pass: --help and friends answer at once; --config is loaded,
 * so the flags of the second pass win over the file. */
static int first_pass(const struct settings_program *program, void *config, int argc, char **argv)
{
	const char *config_path = NULL;
	struct argument item;
	char why[512];
	int index = 1, result;

	while (index < argc) {
		result = read_argument(program, argc, argv, &index, &item, false);
		if (result < 0)
			return result;
		if (result > 0)
			break;
		switch (item.builtin) {
		case BUILTIN_HELP:
			settings_print_help(program, stdout);
			return 1;
		case BUILTIN_VERSION:
			printf("%s %s\n", program->name, settings_version());
			return 1;
		case BUILTIN_MAN:
			settings_print_man(program, stdout);
			return 1;
		case BUILTIN_EXAMPLE:
			settings_print_example(program, stdout);
			return 1;
		case BUILTIN_CONFIG:
			config_path = item.value;
			break;
		default:
			break;
		}
	}
	if (config_path == NULL)
		return 0;
	result = settings_load_file(program, config, config_path, why, sizeof(why));
	if (result < 0) {
		fprintf(stderr, "%s: %s\n", program->name, why);
		return -EINVAL;
	}
	return 0;
}

int settings_from_arguments(const struct settings_program *program, void *config, int argc, char **argv,
			    int *first_operand)
{
	struct argument item;
	char why[256];
	int index = 1, result;

	result = first_pass(program, config, argc, argv);
	if (result != 0)
		return result;
	while (index < argc) {
		result = read_argument(program, argc, argv, &index, &item, true);
		if (result < 0)
			return result;
		if (result > 0)
			break;
		if (item.builtin != BUILTIN_NONE)
			continue;
		result = settings_apply(item.setting, config, item.value ? item.value : "true", why, sizeof(why));
		if (result < 0)
			return usage_error(program, "bad value '%s' for %s: %s", item.value ? item.value : "",
					   item.spelled, why);
	}
	if (index < argc && first_operand == NULL)
		return usage_error(program, "unexpected argument '%s'", argv[index]);
	if (first_operand != NULL)
		*first_operand = index;
	return 0;
}
