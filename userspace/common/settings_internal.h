/* What settings.c and settings_render.c share; not for daemons. */
#ifndef CASCADE_COMMON_SETTINGS_INTERNAL_H
#define CASCADE_COMMON_SETTINGS_INTERNAL_H

#include "common/settings.h"

/* The flag name without "--": KEY, or SECTION-KEY for a sectioned setting. */
void settings_flag_name(const struct setting *setting, char *out, size_t out_size);
/* Looks a setting up by flag name (section NULL) or, for the INI file, by
 * key inside section ("" for the program's own). Accepts declared aliases
 * and '_' for '-'; with warn, an old spelling prints a deprecation warning. */
const struct setting *settings_find(const struct settings_program *program, const char *section, const char *name,
				    bool warn);
/* Runs the setting's setter on value. */
int settings_apply(const struct setting *setting, void *config, const char *value, char *why, size_t why_size);
/* A number in the type's unit as an operator writes it ("30s", "64K", "16"). */
void settings_format_number(enum setting_type type, uint64_t value, char *out, size_t out_size);

#endif
