/* `cascadectl campaign report ID [--json|--csv]`: the campaign report of
 * GET /api/campaigns/ID/report as text, JSON or CSV (one row per group and
 * a "total" row). */
#ifndef CASCADE_CASCADECTL_REPORT_H
#define CASCADE_CASCADECTL_REPORT_H

#include <jansson.h>
#include <stdio.h>

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_CSV };

void report_print(FILE *out, json_t *report, enum report_format format);

#endif
