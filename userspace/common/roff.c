/* roff escaping for the generated man pages (see roff.h). */
#include "common/roff.h"

#include <stdbool.h>

#include "common/settings.h"

/* One character: a backslash or a dash escaped, others as they are. */
static void escape(FILE *out, char character)
{
	if (character == '\\')
		fputs("\\e", out);
	else if (character == '-')
		fputs("\\-", out);
	else
		fputc(character, out);
}

void roff_inline(FILE *out, const char *text)
{
	for (; *text; text++)
		escape(out, *text);
}

void roff_text(FILE *out, const char *text)
{
	bool line_start = true;

	for (; *text; text++) {
		if (line_start && *text == '\n') {
			fputs(".PP\n", out);
			continue;
		}
		if (line_start && (*text == '.' || *text == '\''))
			fputs("\\&", out);
		escape(out, *text);
		line_start = *text == '\n';
	}
	if (!line_start)
		fputc('\n', out);
}

void roff_title(FILE *out, const char *name, unsigned int section)
{
	fputs(".TH ", out);
	for (; *name; name++)
		fputc(*name >= 'a' && *name <= 'z' ? *name - 'a' + 'A' : *name, out);
	fprintf(out, " %u \"\" \"cascade %s\" \"cascade manual\"\n", section ? section : 1, settings_version());
}
