/* Unit tests for cascadectl's campaign watch and report output: every
 * watch line starts with the time of its poll; a cancelled campaign ends
 * the watch with status 4 (never 0), a halted one or one with failures
 * with 1, a clean one with 0; the report's CSV has a row per group and a
 * total, with text fields quoted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../tools/cascadectl/report.h"
#include "../../../tools/cascadectl/watch.h"

static json_t *campaign(const char *state, int done, int failed, int cancelled, int downloading)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i}}", "id", 7, "state", state, "image",
			 "fw.bin", "mode", "url", "devices", done + failed + cancelled + downloading, "counts", "done", done,
			 "failed", failed, "cancelled", cancelled, "downloading", downloading, "queued", 0, "pending", 0);
}

static void test_watch_lines_carry_timestamps(void **state)
{
	json_t *running = campaign("running", 3, 0, 0, 1);
	char line[512];

	(void)state;
	watch_line(running, 1767225600, false, line, sizeof(line)); /* 2026-01-01T00:00:00Z */
	assert_true(strncmp(line, "2026-01-01T00:00:00Z campaign 7 running image fw.bin mode url: 4 devices, 3 done, 0 failed, "
				  "1 downloading", strlen("2026-01-01T00:00:00Z campaign 7 running image fw.bin mode url: 4 "
							  "devices, 3 done, 0 failed, 1 downloading")) == 0);
	watch_line(running, 1767225600 + 3723, true, line, sizeof(line));
	assert_true(strncmp(line, "01:02:03 [", 10) == 0);
	assert_non_null(strstr(line, " 75% 3/4 done"));
	json_decref(running);
}

static void test_watch_ends_non_zero_on_cancel(void **state)
{
	json_t *document;
	int status = -1;

	(void)state;
	document = campaign("running", 3, 0, 0, 1);
	assert_false(watch_finished(document, &status));
	json_decref(document);
	document = campaign("paused", 3, 0, 0, 1);
	assert_false(watch_finished(document, &status));
	json_decref(document);
	document = campaign("cancelled", 3, 0, 1, 0); /* even with nothing failed */
	assert_true(watch_finished(document, &status));
	assert_int_equal(status, WATCH_EXIT_CANCELLED);
	json_decref(document);
	document = campaign("cancelled", 3, 0, 0, 2); /* transfers still running after the cancel */
	assert_true(watch_finished(document, &status));
	assert_int_equal(status, WATCH_EXIT_CANCELLED);
	json_decref(document);
	document = campaign("done", 4, 0, 0, 0);
	assert_true(watch_finished(document, &status));
	assert_int_equal(status, WATCH_EXIT_DONE);
	json_decref(document);
	document = campaign("done", 3, 1, 0, 0);
	assert_true(watch_finished(document, &status));
	assert_int_equal(status, WATCH_EXIT_FAILURES);
	json_decref(document);
	document = campaign("halted", 0, 1, 0, 0);
	assert_true(watch_finished(document, &status));
	assert_int_equal(status, WATCH_EXIT_FAILURES);
	json_decref(document);
}

static void test_report_csv(void **state)
{
	json_t *report = json_pack(
		"{s:i, s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:i, s:i, s:{s:i, s:i},"
		" s:[{s:i, s:s, s:i, s:s, s:i, s:b, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:i, s:i, s:i}]}",
		"campaign", 3, "image", "fw.bin", "size", 1000, "mode", "url", "state", "done", "started_ms",
		(json_int_t)1767225600000, "finished_ms", (json_int_t)1767225612345, "makespan_ms", (json_int_t)12345,
		"devices", 4, "counts", "done", 3, "failed", 1, "cancelled", 0, "pending", 0, "queued", 0, "downloading", 0,
		"served_by_masters", 2, "still_running", 0, "origin", "requests", 2, "bytes", 2000, "group_details", "group",
		1, "key", "manufacturer=Acme \"X\", Inc|hw=1", "devices", 4, "master", "OUI-PC-1", "failed_masters", 1,
		"fallback_origin", 0, "counts", "done", 3, "failed", 1, "cancelled", 0, "pending", 0, "queued", 0,
		"downloading", 0, "origin_requests", 2, "origin_bytes", 2000, "served_by_masters", 2);
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	(void)state;
	assert_non_null(report);
	report_print(out, report, REPORT_CSV);
	fclose(out);
	assert_string_equal(text,
			    "group,key,devices,done,failed,cancelled,unfinished,origin_requests,origin_bytes,"
			    "served_by_masters,master,failed_masters,fallback_origin\n"
			    "1,\"manufacturer=Acme \"\"X\"\", Inc|hw=1\",4,3,1,0,0,2,2000,2,\"OUI-PC-1\",1,false\n"
			    "total,,4,3,1,0,0,2,2000,2,,,\n");
	free(text);
	text = NULL;
	out = open_memstream(&text, &size);
	report_print(out, report, REPORT_TEXT);
	fclose(out);
	assert_non_null(strstr(text, "started    2026-01-01T00:00:00.000Z\nfinished   2026-01-01T00:00:12.345Z\n"
				     "makespan   12.345 s\n"));
	assert_non_null(strstr(text, "origin     2 requests, 2000 bytes"));
	free(text);
	json_decref(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_lines_carry_timestamps),
		cmocka_unit_test(test_watch_ends_non_zero_on_cancel),
		cmocka_unit_test(test_report_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
