/* JSON summary: counts, bytes, times, throughput, per-client percentiles. */
#include "summary.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int compare_doubles(const void *left, const void *right)
{
	double a = *(const double *)left;
	double b = *(const double *)right;

	return (a > b) - (a < b);
}

static json_t *percentiles(const struct load_result *result)
{
	double *values = result->client_seconds;
	uint64_t count = result->client_seconds_count;

	if (count == 0)
		return json_null();
	qsort(values, count, sizeof(values[0]), compare_doubles);
	return json_pack("{s:f, s:f, s:f, s:f}", "min", values[0], "p50", values[count / 2],
			 "p99", values[count * 99 / 100], "max", values[count - 1]);
}

void summary_print(const struct load_options *options, const struct load_result *result,
		   const struct download_sink *sink)
{
	json_t *errors = json_object();
	json_t *root;
	char *text;
	uint64_t error_total = 0;

	for (int kind = 1; kind < CLIENT_ERROR_KINDS; kind++) {
		json_object_set_new(errors, client_error_name(kind),
				    json_integer((json_int_t)result->errors[kind]));
		error_total += result->errors[kind];
	}
	root = json_pack("{s:s, s:I, s:I, s:I, s:o, s:I, s:f, s:o, s:f, s:o, s:b}",
			 "url", options->url_text, "clients", (json_int_t)result->clients,
			 "completed", (json_int_t)result->completed,
			 "error_total", (json_int_t)error_total, "errors", errors,
			 "bytes", (json_int_t)result->bytes, "seconds", result->seconds,
			 "makespan", result->completed == result->clients && result->clients > 0
					     ? json_real(result->makespan) : json_null(),
			 "throughput_bytes_per_second",
			 result->seconds > 0 ? (double)result->bytes / result->seconds : 0.0,
			 "client_seconds", percentiles(result), "verified", options->verify);
	if (root != NULL && options->reset_randomly)
		json_object_set_new(root, "client_resets", json_integer((json_int_t)result->client_resets));
	if (root != NULL && options->duration_ms > 0)
		json_object_set_new(root, "duration", json_real((double)options->duration_ms / 1000));
	if (root != NULL)
		json_object_set_new(root, "body", json_string(options->copy_body ? "copy" : "discard"));
	if (root != NULL && sink != NULL)
		json_object_set_new(root, "download", json_pack("{s:s, s:i, s:I, s:I, s:b, s:b}",
			"output", options->output, "status", result->status,
			"resumed_from", (json_int_t)sink->existing,
			"size", (json_int_t)sink->complete_size, "restarted", sink->restarted,
			"already_complete", sink->already_complete));
	text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	if (text != NULL)
		printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(root);
}
