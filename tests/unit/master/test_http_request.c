/* Unit tests for the master's HTTP request head parser: the requests it
 * must accept, the statuses it must answer to malformed ones, incomplete
 * input, and its helpers (percent-decoding, list tokens, group=N). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master/http_request.h"

static enum http_parse_result parse(const char *text, struct http_request *request)
{
	return http_request_parse(text, strlen(text), request);
}

static bool string_is(struct http_string value, const char *expected)
{
	return value.length == strlen(expected) && memcmp(value.data, expected, value.length) == 0;
}

static void test_simple_get(void **state)
{
	struct http_request request;
	const char *text = "GET /images/a.bin?group=7&x=1 HTTP/1.1\r\nHost: m\r\n"
			   "Range: bytes=0-9\r\nIf-None-Match: \"abc\"\r\n\r\nGET /next";

	(void)state;
	assert_int_equal(parse(text, &request), HTTP_PARSE_COMPLETE);
	assert_int_equal(request.method, HTTP_METHOD_GET);
	assert_true(string_is(request.path, "/images/a.bin"));
	assert_true(string_is(request.query, "group=7&x=1"));
	assert_true(string_is(request.range, "bytes=0-9"));
	assert_true(string_is(request.if_none_match, "\"abc\""));
	assert_int_equal(request.version_minor, 1);
	assert_true(request.keep_alive);
	assert_false(request.has_body);
	/* head_length points at the pipelined request */
	assert_int_equal(request.head_length, strlen(text) - strlen("GET /next"));
}

static void test_versions_and_keep_alive(void **state)
{
	struct http_request request;

	(void)state;
	assert_int_equal(parse("HEAD / HTTP/1.0\r\n\r\n", &request), HTTP_PARSE_COMPLETE);
	assert_int_equal(request.method, HTTP_METHOD_HEAD);
	assert_false(request.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &request),
			 HTTP_PARSE_COMPLETE);
	assert_true(request.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n",
			       &request), HTTP_PARSE_COMPLETE);
	assert_false(request.keep_alive);
	/* bare LF line ends are accepted */
	assert_int_equal(parse("GET / HTTP/1.1\nHost: x\n\n", &request), HTTP_PARSE_COMPLETE);
	/* absolute-form target */
	assert_int_equal(parse("GET http://m:8080/images/a HTTP/1.1\r\nHost: m\r\n\r\n", &request),
			 HTTP_PARSE_COMPLETE);
	assert_true(string_is(request.path, "/images/a"));
}

static void expect_error(const char *text, int status)
{
	struct http_request request;

	assert_int_equal(parse(text, &request), HTTP_PARSE_ERROR);
	assert_int_equal(request.error_status, status);
	assert_non_null(request.error_reason);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error("GET / HTTP/1.1\r\n\r\n", 400);                        /* no Host */
	expect_error("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
	expect_error("GET / HTTP/3.0\r\n\r\n", 505);
	expect_error("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET /\r\n\r\n", 400);                                 /* HTTP/0.9 */
	expect_error("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400);           /* double space */
	expect_error("GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	expect_error("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET images HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
}

static void test_garbage_refused_before_line_end(void **state)
{
	struct http_request request;
	const char garbage[] = { 0x16, 0x03, 0x01, 0x02, 0x00 };   /* a TLS hello */

	(void)state;
	assert_int_equal(http_request_parse(garbage, sizeof(garbage), &request), HTTP_PARSE_ERROR);
	assert_int_equal(request.error_status, 400);
	assert_int_equal(parse("\x80\x81", &request), HTTP_PARSE_ERROR);
	/* a plausible prefix waits for more */
	assert_int_equal(parse("GE", &request), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(parse("GET /images/a HTTP/1.1\r\nHost: x\r\n", &request),
			 HTTP_PARSE_INCOMPLETE);
	assert_int_equal(parse("", &request), HTTP_PARSE_INCOMPLETE);
}

static void test_methods(void **state)
{
	struct http_request request;

	(void)state;
	assert_int_equal(parse("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", &request), HTTP_PARSE_COMPLETE);
	assert_int_equal(request.method, HTTP_METHOD_OTHER_KNOWN);
	assert_int_equal(parse("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", &request), HTTP_PARSE_COMPLETE);
	assert_int_equal(request.method, HTTP_METHOD_UNKNOWN);
	assert_int_equal(parse("get / HTTP/1.1\r\nHost: x\r\n\r\n", &request), HTTP_PARSE_COMPLETE);
	assert_int_equal(request.method, HTTP_METHOD_UNKNOWN);   /* methods are case-sensitive */
	assert_int_equal(parse("POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
			       &request), HTTP_PARSE_COMPLETE);
	assert_int_equal(request.method, HTTP_METHOD_POST);
	assert_false(request.has_body);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", &request),
			 HTTP_PARSE_COMPLETE);
	assert_true(request.has_body);
}

static void test_head_limit(void **state)
{
	struct http_request request;
	size_t size = HTTP_HEAD_LIMIT + 200;
	char *text = malloc(size + 1);
	int used;

	(void)state;
	/* headers past 8 KiB: 431 */
	used = snprintf(text, size, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(text + used, 'a', size - (size_t)used);
	text[size] = '\0';
	assert_int_equal(http_request_parse(text, size, &request), HTTP_PARSE_ERROR);
	assert_int_equal(request.error_status, 431);
	/* the same head just under the limit is fine */
	used = snprintf(text, size, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(text + used, 'a', HTTP_HEAD_LIMIT - (size_t)used - 4);
	memcpy(text + HTTP_HEAD_LIMIT - 4, "\r\n\r\n", 4);
	assert_int_equal(http_request_parse(text, HTTP_HEAD_LIMIT, &request), HTTP_PARSE_COMPLETE);
	/* a request line past the limit: 414 */
	memcpy(text, "GET /", 5);
	memset(text + 5, 'a', size - 5);
	assert_int_equal(http_request_parse(text, size, &request), HTTP_PARSE_ERROR);
	assert_int_equal(request.error_status, 414);
	free(text);
}

static void test_nul_byte(void **state)
{
	struct http_request request;
	const char text[] = "GET /images/a\0b HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)state;
	assert_int_equal(http_request_parse(text, sizeof(text) - 1, &request), HTTP_PARSE_ERROR);
	assert_int_equal(request.error_status, 400);
}

static void test_percent_decode(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(http_percent_decode((struct http_string){ "a%20b", 5 }, out, sizeof(out)), 3);
	assert_string_equal(out, "a b");
	assert_int_equal(http_percent_decode((struct http_string){ "%2e%2E%2F", 9 }, out, sizeof(out)), 3);
	assert_string_equal(out, "../");
	assert_int_equal(http_percent_decode((struct http_string){ "a%00", 4 }, out, sizeof(out)), -EINVAL);
	assert_int_equal(http_percent_decode((struct http_string){ "a%zz", 4 }, out, sizeof(out)), -EINVAL);
	assert_int_equal(http_percent_decode((struct http_string){ "a%2", 3 }, out, sizeof(out)), -EINVAL);
	assert_int_equal(http_percent_decode((struct http_string){ "0123456789abcdefg", 17 }, out,
					     sizeof(out)), -ENAMETOOLONG);
}

static void test_list_and_group(void **state)
{
	(void)state;
	assert_true(http_list_contains((struct http_string){ "a, Keep-Alive ,b", 16 }, "keep-alive"));
	assert_false(http_list_contains((struct http_string){ "keep-alive-x", 12 }, "keep-alive"));
	assert_int_equal(http_query_group((struct http_string){ "group=42", 8 }), 42);
	assert_int_equal(http_query_group((struct http_string){ "a=1&group=16777215&b", 20 }), 16777215);
	assert_int_equal(http_query_group((struct http_string){ "group=16777216", 14 }), 0);
	assert_int_equal(http_query_group((struct http_string){ "group=0", 7 }), 0);
	assert_int_equal(http_query_group((struct http_string){ "group=07", 8 }), 0);
	assert_int_equal(http_query_group((struct http_string){ "group=1x", 8 }), 0);
	assert_int_equal(http_query_group((struct http_string){ "xgroup=5", 8 }), 0);
	assert_int_equal(http_query_group((struct http_string){ "", 0 }), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_versions_and_keep_alive),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_garbage_refused_before_line_end),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_percent_decode),
		cmocka_unit_test(test_list_and_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
