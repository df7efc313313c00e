/* One settings layer for every cascade daemon: each daemon declares its
 * settings once, in a table (key, type, bounds, default, help, where the
 * value lives in its config struct), and gets from it the command line
 * (getopt_long), the INI file (inih), --help, --version, a man page and a
 * commented example config, with one wording for every error. The idea is
 * nginx's ngx_command_t with shared slot setters.
 *
 * Spelling: a key is lowercase words joined by '-'. On the command line it
 * is --KEY; in the INI file it is KEY in the program's own section (or at
 * the top), or, for a setting declared with a section, KEY under [SECTION]
 * and --SECTION-KEY on the command line. Old spellings are listed as
 * aliases and accepted with a deprecation warning; any key may also be
 * written with '_' instead of '-'.
 *
 * Defaults are text parsed by the same setter as a flag, so the default a
 * daemon runs with is the one --help prints. */
#ifndef CASCADE_COMMON_SETTINGS_H
#define CASCADE_COMMON_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum setting_type {
	SETTING_STRING,   /* char[size]; minimum/maximum bound the length (maximum 0: size - 1) */
	SETTING_UNSIGNED, /* unsigned int within [minimum, maximum] */
	SETTING_UINT64,   /* uint64_t within [minimum, maximum] */
	SETTING_SIZE,     /* uint64_t bytes: "64K", "1M" ... within [minimum, maximum] */
	SETTING_DURATION, /* uint64_t milliseconds: "250ms", "30s", "5m" ... within [minimum, maximum] */
	SETTING_BOOL,     /* bool: true/false, yes/no, on/off, 1/0 */
	SETTING_FLAG,     /* bool set true; takes no value on the command line, a bool in the file */
	SETTING_NEGATION, /* bool set false by a flag (--no-X); a bool in the file, inverted */
	SETTING_CHOICE,   /* int: the index of the value in choices (any case) */
	SETTING_CUSTOM,   /* the setting's own setter */
};

enum setting_flags {
	SETTING_REPEATABLE = 1 << 0,   /* may be given more than once (custom setters append) */
	SETTING_ARGUMENTS_ONLY = 1 << 1,   /* a flag only, not an INI key */
	SETTING_FILE_ONLY = 1 << 3,   /* an INI key only, not a flag */
	SETTING_HIDDEN = 1 << 2,   /* accepted, but left out of --help, man page and example */
};

struct settings_program;

/* A custom setter: 0, or -EINVAL with why filled (without the key's name). */
typedef int (*setting_setter)(void *config, const char *value, char *why, size_t why_size);

struct setting {
	const char *key;
	const char *section;          /* NULL: the program's own section */
	enum setting_type type;
	size_t offset;                /* offsetof(config struct, field) */
	size_t size;                  /* SETTING_STRING: sizeof(field) */
	long long minimum, maximum;   /* bounds, in the type's unit (ms, bytes) */
	const char *default_value;    /* text applied by settings_defaults; NULL: none */
	const char *default_note;     /* shown instead when there is no default text ("online CPUs") */
	const char *value_name;       /* "N", "DURATION", "ADDR:PORT"; NULL: from the type */
	const char *help;             /* one sentence, no trailing period needed */
	const char *const *choices;   /* SETTING_CHOICE: NULL-terminated names */
	setting_setter set;           /* SETTING_CUSTOM */
	const char *const *aliases;   /* NULL-terminated old spellings (full flag/INI keys) */
	unsigned int flags;
	char short_name;              /* 0: none */
};

/* A free-form INI section (e.g. "[groups]" of ID = PREFIX lines). */
struct settings_free_section {
	const char *name;
	int (*set)(void *config, const char *key, const char *value, char *why, size_t why_size);
	const char *help;             /* for the man page and the example config */
	const char *example;          /* example lines, commented out in the example config */
};

struct settings_program {
	const char *name;             /* "cascade-master" */
	const char *synopsis;         /* "--images DIR [options]" */
	const char *summary;          /* one line: the man page's NAME line */
	const char *description;      /* paragraphs separated by blank lines */
	const char *const *own_sections; /* INI sections holding the keys without a section; NULL-terminated */
	const struct setting *settings;
	size_t count;
	const struct settings_free_section *free_sections;
	size_t free_section_count;
	const char *notes;            /* extra text for --help and the man page (value formats...) */
	const char *files;            /* the man page's FILES paragraph */
	unsigned int man_section;     /* 1 for tools, 8 for daemons */
};

/* The project's version, from the top-level VERSION file. */
const char *settings_version(void);

/* Applies every default_value. Returns 0, or -EINVAL naming the bad one
 * on stderr (a bug in the table: tests call this). */
int settings_defaults(const struct settings_program *program, void *config);

/* Sets one setting by its command-line name without "--" (canonical or
 * alias, '-' or '_'). Returns 0; -ENOENT for an unknown key; -EINVAL with
 * why filled for a bad value. */
int settings_set(const struct settings_program *program, void *config, const char *key, const char *value, char *why,
		 size_t why_size);

/* Reads an INI file. Returns 0; -EIO when it cannot be read; -EINVAL with
 * why = "FILE:LINE: ..." for an unknown key, unknown section or bad value. */
int settings_load_file(const struct settings_program *program, void *config, const char *path, char *why,
		       size_t why_size);

/* The whole command line: --config FILE first (the file, then the flags
 * over it), then every flag, in order. --help (-h), --version, --man and
 * --example-config print to stdout and return 1. Errors are printed on
 * stderr as "NAME: ..." with "(see --help)" and return -EINVAL. Options end
 * at the first operand or "--"; *first_operand gets its index (argc when
 * none); with first_operand NULL an operand is an error. */
int settings_from_arguments(const struct settings_program *program, void *config, int argc, char **argv,
			    int *first_operand);

void settings_print_help(const struct settings_program *program, FILE *out);
void settings_print_man(const struct settings_program *program, FILE *out);
void settings_print_example(const struct settings_program *program, FILE *out);

/* The text form of a setting's current value in config (for --help of a
 * running config, tests and logs); out gets at least 1 byte. */
void settings_format_value(const struct setting *setting, const void *config, char *out, size_t out_size);

#endif
