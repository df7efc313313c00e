/* Writing roff (man page) text: the escaping shared by every man page
 * cascade generates (the daemons' settings layer and the tools' command
 * tables), so each page renders with groff without warnings. */
#ifndef CASCADE_COMMON_ROFF_H
#define CASCADE_COMMON_ROFF_H

#include <stdio.h>

/* Text inside a roff line (after a macro or between font changes):
 * backslashes and dashes escaped. */
void roff_inline(FILE *out, const char *text);
/* Body text: escapes as roff_inline, protects a leading '.' or '\'' on
 * every line, turns a blank line into a paragraph break and ends with a
 * newline. */
void roff_text(FILE *out, const char *text);
/* The .TH line: NAME in capitals, section, "cascade VERSION". */
void roff_title(FILE *out, const char *name, unsigned int section);

#endif
