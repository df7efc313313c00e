/* What a settings table renders: --help, the man page (roff) and the
 * commented example config, all from the same table so they never drift
 * from what the daemon accepts. */
#include "common/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/roff.h"
#include "common/settings_internal.h"

#define HELP_COLUMN 32

void settings_format_number(enum setting_type type, uint64_t value, char *out, size_t out_size)
{
	static const struct {
		uint64_t unit;
		const char *suffix;
	} durations[] = { { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } },
	  sizes[] = { { 1ull << 40, "T" }, { 1ull << 30, "G" }, { 1ull << 20, "M" }, { 1ull << 10, "K" } };
	size_t index;

	if (type == SETTING_DURATION) {
		for (index = 0; index < sizeof(durations) / sizeof(durations[0]); index++)
			if (value != 0 && value % durations[index].unit == 0) {
				snprintf(out, out_size, "%" PRIu64 "%s", value / durations[index].unit,
					 durations[index].suffix);
				return;
			}
		snprintf(out, out_size, "%" PRIu64 "ms", value);
		return;
	}
	if (type == SETTING_SIZE)
		for (index = 0; index < sizeof(sizes) / sizeof(sizes[0]); index++)
			if (value != 0 && value % sizes[index].unit == 0) {
				snprintf(out, out_size, "%" PRIu64 "%s", value / sizes[index].unit, sizes[index].suffix);
				return;
			}
	snprintf(out, out_size, "%" PRIu64, value);
}

void settings_format_value(const struct setting *setting, const void *config, char *out, size_t out_size)
{
	const char *slot = (const char *)config + setting->offset;

	switch (setting->type) {
	case SETTING_STRING:
		snprintf(out, out_size, "%s", slot);
		return;
	case SETTING_UNSIGNED:
		snprintf(out, out_size, "%u", *(const unsigned int *)slot);
		return;
	case SETTING_UINT64:
	case SETTING_SIZE:
	case SETTING_DURATION:
		settings_format_number(setting->type, *(const uint64_t *)slot, out, out_size);
		return;
	case SETTING_BOOL:
	case SETTING_FLAG:
		snprintf(out, out_size, "%s", *(const bool *)slot ? "true" : "false");
		return;
	case SETTING_NEGATION:
		snprintf(out, out_size, "%s", *(const bool *)slot ? "false" : "true");
		return;
	case SETTING_CHOICE:
		snprintf(out, out_size, "%s", setting->choices[*(const int *)slot]);
		return;
	case SETTING_CUSTOM:
		snprintf(out, out_size, "%s", setting->default_value ? setting->default_value : "");
		return;
	}
	if (out_size > 0)
		out[0] = '\0';
}

/* The placeholder shown after a flag: declared, or from the type. */
static void value_name(const struct setting *setting, char *out, size_t out_size)
{
	size_t used = 0;
	int index;

	if (setting->value_name != NULL) {
		snprintf(out, out_size, "%s", setting->value_name);
		return;
	}
	switch (setting->type) {
	case SETTING_STRING: snprintf(out, out_size, "TEXT"); return;
	case SETTING_UNSIGNED:
	case SETTING_UINT64: snprintf(out, out_size, "N"); return;
	case SETTING_SIZE: snprintf(out, out_size, "SIZE"); return;
	case SETTING_DURATION: snprintf(out, out_size, "DURATION"); return;
	case SETTING_BOOL: snprintf(out, out_size, "BOOL"); return;
	case SETTING_FLAG:
	case SETTING_NEGATION: snprintf(out, out_size, "%s", ""); return;
	case SETTING_CUSTOM: snprintf(out, out_size, "VALUE"); return;
	case SETTING_CHOICE:
		out[0] = '\0';
		for (index = 0; setting->choices[index] != NULL && used < out_size; index++)
			used += (size_t)snprintf(out + used, out_size - used, "%s%s", index ? "|" : "",
						 setting->choices[index]);
		return;
	}
}

/* "(default: X)" text, or "" when the setting has none worth showing. */
static void default_text(const struct setting *setting, char *out, size_t out_size)
{
	if (setting->type == SETTING_FLAG || setting->type == SETTING_NEGATION)
		out[0] = '\0';
	else if (setting->default_note != NULL)
		snprintf(out, out_size, "%s", setting->default_note);
	else if (setting->default_value != NULL && setting->default_value[0] != '\0')
		snprintf(out, out_size, "%s", setting->default_value);
	else
		out[0] = '\0';
}

static bool shown(const struct setting *setting)
{
	return !(setting->flags & SETTING_HIDDEN);
}

/* Sections in order of first appearance; NULL (own) first. */
static size_t collect_sections(const struct settings_program *program, const char **sections, size_t capacity)
{
	size_t count = 0, index, known;

	sections[count++] = NULL;
	for (index = 0; index < program->count && count < capacity; index++) {
		const char *section = program->settings[index].section;

		if (section == NULL)
			continue;
		for (known = 1; known < count; known++)
			if (strcmp(sections[known], section) == 0)
				break;
		if (known == count)
			sections[count++] = section;
	}
	return count;
}

static bool same_section(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void print_help_line(FILE *out, const char *left, const char *help, const char *default_value)
{
	if (strlen(left) + 2 >= HELP_COLUMN)
		fprintf(out, "  %s\n  %*s", left, HELP_COLUMN - 2, "");
	else
		fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
	fprintf(out, "%s", help);
	if (default_value != NULL && default_value[0] != '\0')
		fprintf(out, " (default %s)", default_value);
	fputc('\n', out);
}

void settings_print_help(const struct settings_program *program, FILE *out)
{
	const char *sections[64];
	size_t section_count = collect_sections(program, sections, 64), section, index;
	char flag[272], name[128], value[128], fallback[128];

	fprintf(out, "Usage: %s %s\n", program->name, program->synopsis);
	if (program->description != NULL)
		fprintf(out, "%s\n", program->description);
	for (section = 0; section < section_count; section++) {
		if (sections[section] == NULL)
			fprintf(out, "\nOptions:\n");
		else
			fprintf(out, "\nOptions of the [%s] section:\n", sections[section]);
		for (index = 0; index < program->count; index++) {
			const struct setting *setting = &program->settings[index];

			if (!shown(setting) || !same_section(setting->section, sections[section]) ||
			    (setting->flags & SETTING_FILE_ONLY))
				continue;
			settings_flag_name(setting, name, sizeof(name));
			value_name(setting, value, sizeof(value));
			if (setting->short_name)
				snprintf(flag, sizeof(flag), "-%c, --%s%s%s", setting->short_name, name,
					 value[0] ? " " : "", value);
			else
				snprintf(flag, sizeof(flag), "--%s%s%s", name, value[0] ? " " : "", value);
			default_text(setting, fallback, sizeof(fallback));
			print_help_line(out, flag, setting->help, fallback);
		}
	}
	fprintf(out, "\n");
	print_help_line(out, "--config FILE", "read settings from an INI file first; flags win", NULL);
	print_help_line(out, "-h, --help", "print this help and exit", NULL);
	print_help_line(out, "--version", "print the version and exit", NULL);
	print_help_line(out, "--man", "print the manual page (roff) and exit", NULL);
	print_help_line(out, "--example-config", "print a commented example config file and exit", NULL);
	if (program->notes != NULL)
		fprintf(out, "\n%s\n", program->notes);
}

void settings_print_man(const struct settings_program *program, FILE *out)
{
	const char *sections[64];
	size_t section_count = collect_sections(program, sections, 64), section, index;
	char name[128], value[128], fallback[128], alias[160];

	roff_title(out, program->name, program->man_section);
	fprintf(out, ".SH NAME\n%s \\- ", program->name);
	roff_text(out, program->summary ? program->summary : "");
	fprintf(out, ".SH SYNOPSIS\n.B %s\n", program->name);
	roff_text(out, program->synopsis);
	if (program->description != NULL) {
		fprintf(out, ".SH DESCRIPTION\n");
		roff_text(out, program->description);
	}
	fprintf(out, ".SH OPTIONS\n");
	for (section = 0; section < section_count; section++) {
		if (sections[section] != NULL)
			fprintf(out, ".SS \"Section [%s]\"\n", sections[section]);
		for (index = 0; index < program->count; index++) {
			const struct setting *setting = &program->settings[index];

			if (!shown(setting) || !same_section(setting->section, sections[section]))
				continue;
			settings_flag_name(setting, name, sizeof(name));
			value_name(setting, value, sizeof(value));
			fprintf(out, ".TP\n\\fB");
			if (!(setting->flags & SETTING_FILE_ONLY))
				fputs("\\-\\-", out);
			roff_inline(out, (setting->flags & SETTING_FILE_ONLY) ? setting->key : name);
			fputs("\\fR", out);
			if (value[0]) {
				fputs(" \\fI", out);
				roff_inline(out, value);
				fputs("\\fR", out);
			}
			fputs((setting->flags & SETTING_FILE_ONLY) ? " (config file only)\n" : "\n", out);
			roff_text(out, setting->help);
			default_text(setting, fallback, sizeof(fallback));
			if (fallback[0]) {
				fprintf(out, ".br\nDefault: ");
				roff_text(out, fallback);
			}
			if (setting->aliases != NULL && setting->aliases[0] != NULL) {
				fputs(".br\n", out);
				snprintf(alias, sizeof(alias), "Old spelling, still accepted: %s", setting->aliases[0]);
				roff_text(out, alias);
			}
		}
	}
	fprintf(out, ".TP\n\\fB\\-\\-config\\fR \\fIFILE\\fR\nRead settings from an INI file first; flags win.\n");
	fprintf(out, ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nPrint the usage and exit.\n");
	fprintf(out, ".TP\n\\fB\\-\\-version\\fR\nPrint the version and exit.\n");
	fprintf(out, ".TP\n\\fB\\-\\-man\\fR, \\fB\\-\\-example\\-config\\fR\n"
		     "Print this manual page, or a commented example config file, and exit.\n");
	fprintf(out, ".SH CONFIGURATION FILE\n");
	roff_text(out, "Every option is also a key of the INI file given with --config: the key is the option's "
		       "name without the dashes, under the section named above it (or at the top of the file). "
		       "The example config (--example-config) lists every key with its default.");
	for (index = 0; index < program->free_section_count; index++) {
		fprintf(out, ".TP\n\\fB[%s]\\fR\n", program->free_sections[index].name);
		roff_text(out, program->free_sections[index].help);
	}
	if (program->notes != NULL) {
		fprintf(out, ".SH NOTES\n");
		roff_text(out, program->notes);
	}
	if (program->files != NULL) {
		fprintf(out, ".SH FILES\n");
		roff_text(out, program->files);
	}
	fprintf(out, ".SH SEE ALSO\n\\fBcascade-acs\\fR(8), \\fBcascade-master\\fR(8), \\fBcascade-cpe\\fR(8), "
		     "\\fBcascadectl\\fR(1)\n");
}

/* Writes text as '# ' comment lines. */
static void comment_lines(FILE *out, const char *text)
{
	fputs("# ", out);
	for (; *text; text++) {
		fputc(*text, out);
		if (*text == '\n' && text[1] != '\0')
			fputs("# ", out);
	}
	fputc('\n', out);
}

void settings_print_example(const struct settings_program *program, FILE *out)
{
	const char *sections[64];
	size_t section_count = collect_sections(program, sections, 64), section, index;
	char value[128], fallback[128];

	fprintf(out, "# Example configuration of %s %s (printed by %s --example-config).\n"
		     "# Every key is commented out and shows its default; uncomment a line to change it.\n"
		     "# Give the file with --config FILE; flags on the command line win over it.\n",
		program->name, settings_version(), program->name);
	for (section = 0; section < section_count; section++) {
		const char *header = sections[section] != NULL ? sections[section]
				     : program->own_sections != NULL ? program->own_sections[0] : NULL;

		if (header != NULL)
			fprintf(out, "\n[%s]\n", header);
		else
			fputc('\n', out);
		for (index = 0; index < program->count; index++) {
			const struct setting *setting = &program->settings[index];

			if (!shown(setting) || !same_section(setting->section, sections[section]) ||
			    (setting->flags & SETTING_ARGUMENTS_ONLY))
				continue;
			value_name(setting, value, sizeof(value));
			fprintf(out, "\n");
			comment_lines(out, setting->help);
			if (setting->type == SETTING_FLAG || setting->type == SETTING_NEGATION) {
				fprintf(out, "#%s = %s\n", setting->key,
					setting->type == SETTING_FLAG && setting->default_value ? setting->default_value
												 : "false");
				continue;
			}
			if (setting->default_value != NULL && setting->default_value[0] != '\0') {
				fprintf(out, "#%s = %s\n", setting->key, setting->default_value);
			} else {
				default_text(setting, fallback, sizeof(fallback));
				if (fallback[0])
					fprintf(out, "# (default: %s)\n", fallback);
				fprintf(out, "#%s = %s\n", setting->key, value);
			}
		}
	}
	for (index = 0; index < program->free_section_count; index++) {
		fprintf(out, "\n[%s]\n", program->free_sections[index].name);
		comment_lines(out, program->free_sections[index].help);
		if (program->free_sections[index].example != NULL)
			comment_lines(out, program->free_sections[index].example);
	}
}
