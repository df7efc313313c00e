/* Unit tests for common/log and common/log_limit: a message carrying
 * device-supplied text stays one line (newlines, carriage returns, escape
 * sequences, C1 controls, U+2028 and bytes that are not UTF-8 are escaped,
 * valid UTF-8 is kept); the rate limit lets a burst through, suppresses the
 * rest of the window and says how many it suppressed; the per-call-site
 * macro limits a flood of one error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/log_limit.h"

/* Runs emit with stderr redirected to a file; returns what was written. */
static char *captured_stderr(void (*emit)(void))
{
	char path[] = "/tmp/cascade-test-log-XXXXXX";
	int file = mkstemp(path), saved = dup(STDERR_FILENO);
	static char text[1 << 16];
	ssize_t length;

	assert_true(file >= 0 && saved >= 0);
	unlink(path);
	assert_int_equal(dup2(file, STDERR_FILENO), STDERR_FILENO);
	emit();
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	length = pread(file, text, sizeof(text) - 1, 0);
	close(file);
	assert_true(length >= 0);
	text[length] = '\0';
	return text;
}

static size_t count_lines(const char *text)
{
	size_t lines = 0;

	for (; *text; text++)
		lines += *text == '\n';
	return lines;
}

static void log_forged_command_key(void)
{
	/* what a CommandKey "x&#10;2026-01-01T00:00:00.000Z cascade-acs[1] info: forged" decodes to */
	log_info("TransferComplete from %s: key %s", "00AA11-GW-1",
		 "x\n2026-01-01T00:00:00.000Z cascade-acs[1] info: forged\r\x1b[2J");
}

static void a_forged_line_stays_inside_its_line(void **state)
{
	char *text;

	(void)state;
	text = captured_stderr(log_forged_command_key);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "key x\\n2026-01-01T00:00:00.000Z cascade-acs[1] info: forged\\r\\x1b[2J\n"));
}

static void escape_keeps_utf8_and_escapes_controls(void **state)
{
	char out[256];

	(void)state;
	log_escape("plain text, 100%", out, sizeof(out));
	assert_string_equal(out, "plain text, 100%");
	log_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", out, sizeof(out));
	assert_string_equal(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	log_escape("tab\there\x7f", out, sizeof(out));
	assert_string_equal(out, "tab\\there\\x7f");
	log_escape("c1 \xc2\x9b" "31m, line\xe2\x80\xa8separator", out, sizeof(out));
	assert_string_equal(out, "c1 \\xc2\\x9b31m, line\\xe2\\x80\\xa8separator");
	log_escape("bad \xff\xc3(\xed\xa0\x80 end", out, sizeof(out));
	assert_string_equal(out, "bad \\xff\\xc3(\\xed\\xa0\\x80 end");
}

static void escape_stops_at_a_whole_character(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(log_escape("abc\ndefgh", out, sizeof(out)), 7);
	assert_string_equal(out, "abc\\nde");
	assert_int_equal(log_escape("abcdef\ng", out, sizeof(out)), 6);
	assert_string_equal(out, "abcdef");
	assert_int_equal(log_escape("ab\x01", out, 5), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(log_escape("x", out, 1), 0);
	assert_string_equal(out, "");
}

static void limit_lets_a_burst_through_then_counts(void **state)
{
	struct log_limit limit = LOG_LIMIT_WINDOW_INITIALIZER("test", 3, 1000);

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(log_limit_allow(&limit, 5000 + (uint64_t)i));
	for (int i = 0; i < 100; i++)
		assert_false(log_limit_allow(&limit, 5500));
	assert_int_equal(limit.suppressed, 100);
	assert_true(log_limit_allow(&limit, 6000));
	assert_int_equal(limit.suppressed, 0);
}

static struct log_limit reported_limit = LOG_LIMIT_INITIALIZER("disk error", 1);

static void log_through_reported_limit(void)
{
	for (int i = 0; i < 50; i++)
		if (log_limit_allow(&reported_limit, 100))
			log_error("write failed");
	if (log_limit_allow(&reported_limit, 1100))
		log_error("write failed");
}

static void limit_says_how_many_it_suppressed(void **state)
{
	char *text;

	(void)state;
	text = captured_stderr(log_through_reported_limit);
	assert_int_equal(count_lines(text), 3);
	assert_non_null(strstr(text, "49 more lines like \"disk error\" suppressed"));
}

static void flood_one_call_site(void)
{
	for (int i = 0; i < 10000; i++)
		log_error_limited("database COMMIT failed: %s (%d)", "disk I/O error", i);
}

static void call_site_macro_limits_a_flood(void **state)
{
	char *text;

	(void)state;
	text = captured_stderr(flood_one_call_site);
	/* 10 lines per 10 s window; a slow machine may open a second window */
	assert_in_range(count_lines(text), LOG_LIMIT_SITE_LINES, 2 * LOG_LIMIT_SITE_LINES + 1);
	assert_non_null(strstr(text, "database COMMIT failed: disk I/O error (0)"));
	assert_null(strstr(text, "(9999)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_forged_line_stays_inside_its_line),
		cmocka_unit_test(escape_keeps_utf8_and_escapes_controls),
		cmocka_unit_test(escape_stops_at_a_whole_character),
		cmocka_unit_test(limit_lets_a_burst_through_then_counts),
		cmocka_unit_test(limit_says_how_many_it_suppressed),
		cmocka_unit_test(call_site_macro_limits_a_flood),
	};

	log_init("cascade-test");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
