/* Printing campaign reports (see report.h). */
#include "report.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long number(json_t *object, const char *key)
{
	return (long long)json_integer_value(json_object_get(object, key));
}

static const char *text(json_t *object, const char *key)
{
	const char *value = json_string_value(json_object_get(object, key));

	return value ? value : "";
}

/* A CSV field: always quoted, quotes doubled (RFC 4180). */
static void csv_text(FILE *out, const char *value)
{
	fputc('"', out);
	for (; *value; value++) {
		if (*value == '"')
			fputc('"', out);
		fputc(*value, out);
	}
	fputc('"', out);
}

/* "2026-01-02T03:04:05.678Z" for unix milliseconds, "-" for null. */
static void format_time(json_t *milliseconds, char *out, size_t size)
{
	time_t seconds = (time_t)(json_integer_value(milliseconds) / 1000);
	struct tm utc;
	char base[32];

	if (!json_is_integer(milliseconds) || !gmtime_r(&seconds, &utc)) {
		snprintf(out, size, "-");
		return;
	}
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &utc);
	snprintf(out, size, "%s.%03lldZ", base, (long long)(json_integer_value(milliseconds) % 1000));
}

static long long running_of(json_t *counts)
{
	return number(counts, "queued") + number(counts, "downloading") + number(counts, "pending");
}

static void print_csv(FILE *out, json_t *report)
{
	json_t *group, *counts = json_object_get(report, "counts"), *origin = json_object_get(report, "origin");
	size_t index;

	fprintf(out, "group,key,devices,done,failed,cancelled,unfinished,origin_requests,origin_bytes,"
		     "served_by_masters,master,failed_masters,fallback_origin\n");
	json_array_foreach(json_object_get(report, "group_details"), index, group) {
		json_t *group_counts = json_object_get(group, "counts");

		fprintf(out, "%lld,", number(group, "group"));
		csv_text(out, text(group, "key"));
		fprintf(out, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,", number(group, "devices"),
			number(group_counts, "done"), number(group_counts, "failed"), number(group_counts, "cancelled"),
			running_of(group_counts), number(group, "origin_requests"), number(group, "origin_bytes"),
			number(group, "served_by_masters"));
		csv_text(out, text(group, "master"));
		fprintf(out, ",%lld,%s\n", number(group, "failed_masters"),
			json_is_true(json_object_get(group, "fallback_origin")) ? "true" : "false");
	}
	fprintf(out, "total,,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,,,\n", number(report, "devices"),
		number(counts, "done"), number(counts, "failed"), number(counts, "cancelled"), running_of(counts),
		number(origin, "requests"), number(origin, "bytes"), number(report, "served_by_masters"));
}

static void print_text(FILE *out, json_t *report)
{
	json_t *counts = json_object_get(report, "counts"), *origin = json_object_get(report, "origin"), *group;
	json_t *makespan = json_object_get(report, "makespan_ms");
	char started[40], finished[40];
	size_t index;

	format_time(json_object_get(report, "started_ms"), started, sizeof(started));
	format_time(json_object_get(report, "finished_ms"), finished, sizeof(finished));
	fprintf(out, "campaign %lld: %s (%lld bytes, mode %s), %s\n", number(report, "campaign"), text(report, "image"),
		number(report, "size"), text(report, "mode"), text(report, "state"));
	fprintf(out, "started    %s\nfinished   %s\n", started, finished);
	if (json_is_integer(makespan))
		fprintf(out, "makespan   %.3f s\n", (double)json_integer_value(makespan) / 1000.0);
	else
		fprintf(out, "running    %.3f s so far\n", (double)number(report, "elapsed_ms") / 1000.0);
	fprintf(out, "devices    %lld: %lld done, %lld failed, %lld cancelled, %lld unfinished (%lld still running)\n",
		number(report, "devices"), number(counts, "done"), number(counts, "failed"), number(counts, "cancelled"),
		running_of(counts), number(report, "still_running"));
	fprintf(out, "origin     %lld requests, %lld bytes; all direct: %lld requests, %lld bytes (%.1f %% of direct)\n",
		number(origin, "requests"), number(origin, "bytes"), number(origin, "direct_requests"),
		number(origin, "direct_bytes"), 100.0 * json_number_value(json_object_get(origin, "fraction_of_direct")));
	fprintf(out, "masters    served %lld devices\n\n", number(report, "served_by_masters"));
	fprintf(out, "%5s %7s %6s %6s %9s %10s %6s %-32s %s\n", "GROUP", "DEVICES", "DONE", "FAILED", "CANCELLED",
		"UNFINISHED", "ORIGIN", "MASTER", "FAILED MASTERS");
	json_array_foreach(json_object_get(report, "group_details"), index, group) {
		json_t *group_counts = json_object_get(group, "counts");

		fprintf(out, "%5lld %7lld %6lld %6lld %9lld %10lld %6lld %-32s %lld%s\n", number(group, "group"),
			number(group, "devices"), number(group_counts, "done"), number(group_counts, "failed"),
			number(group_counts, "cancelled"), running_of(group_counts), number(group, "origin_requests"),
			*text(group, "master") ? text(group, "master") : "-", number(group, "failed_masters"),
			json_is_true(json_object_get(group, "fallback_origin")) ? " (slaves from the origin)" : "");
	}
}

void report_print(FILE *out, json_t *report, enum report_format format)
{
	if (format == REPORT_JSON) {
		char *dumped = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		fprintf(out, "%s\n", dumped ? dumped : "{}");
		free(dumped);
	} else if (format == REPORT_CSV) {
		print_csv(out, report);
	} else {
		print_text(out, report);
	}
}
