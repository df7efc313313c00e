/* Unit tests for Range parsing, conditional requests (If-Match,
 * If-None-Match, If-Range) and response head formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "master/http_conditional.h"
#include "master/http_range.h"
#include "master/http_response.h"

static enum http_range_result range(const char *text, uint64_t size, struct http_byte_range *out)
{
	return http_range_parse((struct http_string){ text, strlen(text) }, size, out);
}

static void test_single_ranges(void **state)
{
	struct http_byte_range r;

	(void)state;
	assert_int_equal(range("bytes=0-9", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(r.first, 0);
	assert_int_equal(r.last, 9);
	assert_int_equal(range("bytes=90-", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(r.first, 90);
	assert_int_equal(r.last, 99);
	assert_int_equal(range("bytes=-10", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(r.first, 90);
	assert_int_equal(r.last, 99);
	assert_int_equal(range("bytes=-1000", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(r.first, 0);
	assert_int_equal(range("bytes=50-5000", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(r.last, 99);
	assert_int_equal(range("Bytes= 5-6 ", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(r.first, 5);
	assert_int_equal(range("bytes=99-99", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(range("bytes=0-99999999999999999999999", 100, &r), HTTP_RANGE_PARTIAL);
	assert_int_equal(r.last, 99);
}

static void test_unsatisfiable(void **state)
{
	struct http_byte_range r;

	(void)state;
	assert_int_equal(range("bytes=100-", 100, &r), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(range("bytes=100-200", 100, &r), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(range("bytes=-0", 100, &r), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(range("bytes=0-", 0, &r), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(range("bytes=99999999999999999999999-", 100, &r), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(range("bytes=200-300, 400-", 100, &r), HTTP_RANGE_UNSATISFIABLE);
}

static void test_ignored(void **state)
{
	struct http_byte_range r = { 7, 7 };

	(void)state;
	assert_int_equal(range("items=0-1", 100, &r), HTTP_RANGE_NONE);
	assert_int_equal(range("bytes=", 100, &r), HTTP_RANGE_NONE);
	assert_int_equal(range("bytes=abc", 100, &r), HTTP_RANGE_NONE);
	assert_int_equal(range("bytes=5-1", 100, &r), HTTP_RANGE_NONE);
	assert_int_equal(range("bytes=1-2-3", 100, &r), HTTP_RANGE_NONE);
	assert_int_equal(range("bytes=--1", 100, &r), HTTP_RANGE_NONE);
	/* several satisfiable ranges: whole image, documented */
	assert_int_equal(range("bytes=0-1,5-6", 100, &r), HTTP_RANGE_NONE);
	assert_int_equal(range("bytes=0-1,x", 100, &r), HTTP_RANGE_NONE);
	assert_int_equal(r.first, 7);
}

static struct http_request request_with(enum http_method method, const char *range_value,
					const char *if_range, const char *if_none_match,
					const char *if_match)
{
	struct http_request request;

	memset(&request, 0, sizeof(request));
	request.method = method;
#define SET(field, value) if (value) request.field = (struct http_string){ value, strlen(value) }
	SET(range, range_value);
	SET(if_range, if_range);
	SET(if_none_match, if_none_match);
	SET(if_match, if_match);
#undef SET
	return request;
}

static void test_conditionals(void **state)
{
	struct http_string etag = { "\"abc\"", 5 };
	struct http_request request;

	(void)state;
	request = request_with(HTTP_METHOD_GET, NULL, NULL, "\"abc\"", NULL);
	assert_int_equal(http_evaluate_preconditions(&request, etag), HTTP_CONDITION_NOT_MODIFIED);
	request = request_with(HTTP_METHOD_HEAD, NULL, NULL, "\"x\", W/\"abc\"", NULL);
	assert_int_equal(http_evaluate_preconditions(&request, etag), HTTP_CONDITION_NOT_MODIFIED);
	request = request_with(HTTP_METHOD_GET, NULL, NULL, "*", NULL);
	assert_int_equal(http_evaluate_preconditions(&request, etag), HTTP_CONDITION_NOT_MODIFIED);
	request = request_with(HTTP_METHOD_GET, NULL, NULL, "\"abd\"", NULL);
	assert_int_equal(http_evaluate_preconditions(&request, etag), HTTP_CONDITION_PROCEED);
	request = request_with(HTTP_METHOD_GET, NULL, NULL, "abc", NULL);   /* malformed */
	assert_int_equal(http_evaluate_preconditions(&request, etag), HTTP_CONDITION_PROCEED);
	request = request_with(HTTP_METHOD_GET, NULL, NULL, NULL, "\"other\"");
	assert_int_equal(http_evaluate_preconditions(&request, etag),
			 HTTP_CONDITION_PRECONDITION_FAILED);
	request = request_with(HTTP_METHOD_GET, NULL, NULL, NULL, "W/\"abc\"");   /* strong only */
	assert_int_equal(http_evaluate_preconditions(&request, etag),
			 HTTP_CONDITION_PRECONDITION_FAILED);
	request = request_with(HTTP_METHOD_GET, NULL, NULL, NULL, "\"abc\"");
	assert_int_equal(http_evaluate_preconditions(&request, etag), HTTP_CONDITION_PROCEED);
}

static void test_if_range(void **state)
{
	struct http_string etag = { "\"abc\"", 5 };
	struct http_request request;

	(void)state;
	request = request_with(HTTP_METHOD_GET, "bytes=0-1", NULL, NULL, NULL);
	assert_true(http_range_applies(&request, etag));
	request = request_with(HTTP_METHOD_GET, "bytes=0-1", "\"abc\"", NULL, NULL);
	assert_true(http_range_applies(&request, etag));
	request = request_with(HTTP_METHOD_GET, "bytes=0-1", "\"old\"", NULL, NULL);
	assert_false(http_range_applies(&request, etag));
	request = request_with(HTTP_METHOD_GET, "bytes=0-1", "W/\"abc\"", NULL, NULL);
	assert_false(http_range_applies(&request, etag));
	request = request_with(HTTP_METHOD_GET, "bytes=0-1", "Sat, 29 Oct 1994 19:43:31 GMT", NULL, NULL);
	assert_false(http_range_applies(&request, etag));
	request = request_with(HTTP_METHOD_HEAD, "bytes=0-1", NULL, NULL, NULL);
	assert_false(http_range_applies(&request, etag));
	request = request_with(HTTP_METHOD_GET, NULL, "\"abc\"", NULL, NULL);
	assert_false(http_range_applies(&request, etag));
}

static void test_response_heads(void **state)
{
	uint8_t sha256[32];
	char fields[HTTP_IMAGE_FIELDS_MAX];
	char out[HTTP_RESPONSE_HEAD_MAX];
	struct http_head head;
	int length;

	(void)state;
	memset(sha256, 0, sizeof(sha256));
	sha256[0] = 0xab;
	length = http_format_image_fields(sha256, fields, sizeof(fields));
	assert_true(length > 0);
	assert_non_null(strstr(fields, "ETag: \"ab000000"));
	assert_non_null(strstr(fields, "Repr-Digest: sha-256=:qwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:\r\n"));
	assert_non_null(strstr(fields, "Digest: SHA-256=qwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"));
	assert_non_null(strstr(fields, "X-Cascade-SHA256: ab00"));
	assert_non_null(strstr(fields, "Accept-Ranges: bytes\r\n"));

	memset(&head, 0, sizeof(head));
	head.status = 206;
	head.keep_alive = true;
	head.has_content_length = true;
	head.content_length = 10;
	head.has_content_range = true;
	head.range = (struct http_byte_range){ 5, 14 };
	head.complete_length = 100;
	head.image_fields = fields;
	head.image_fields_length = (size_t)length;
	length = http_format_head(&head, out, sizeof(out));
	assert_true(length > 0);
	assert_int_equal(strncmp(out, "HTTP/1.1 206 Partial Content\r\n", 30), 0);
	assert_non_null(strstr(out, "Content-Length: 10\r\n"));
	assert_non_null(strstr(out, "Content-Range: bytes 5-14/100\r\n"));
	assert_non_null(strstr(out, "Connection: keep-alive\r\n\r\n"));
	assert_int_equal((size_t)length, strlen(out));

	memset(&head, 0, sizeof(head));
	head.status = 503;
	head.retry_after = 1;
	head.allow = "GET, HEAD";
	head.unsatisfied_range = true;
	head.complete_length = 42;
	length = http_format_head(&head, out, sizeof(out));
	assert_non_null(strstr(out, "Retry-After: 1\r\n"));
	assert_non_null(strstr(out, "Allow: GET, HEAD\r\n"));
	assert_non_null(strstr(out, "Content-Range: bytes */42\r\n"));
	assert_non_null(strstr(out, "Connection: close\r\n\r\n"));
	assert_int_equal(http_format_head(&head, out, 20), -ENOSPC);
	assert_string_equal(http_status_reason(431), "Request Header Fields Too Large");
}

static void test_date(void **state)
{
	char date[HTTP_DATE_LENGTH];

	(void)state;
	http_format_date(784111777, date);
	assert_string_equal(date, "Sun, 06 Nov 1994 08:49:37 GMT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_ranges),
		cmocka_unit_test(test_unsatisfiable),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_conditionals),
		cmocka_unit_test(test_if_range),
		cmocka_unit_test(test_response_heads),
		cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
