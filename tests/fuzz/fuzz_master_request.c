/* libFuzzer harness for cascade-master's request head parser and what the
 * server does with a parsed head: percent-decoding of the image name, the
 * group query, If-Match / If-None-Match / If-Range against an image ETag,
 * and the Range header against an image size. Properties checked besides
 * memory safety: a complete head never claims more bytes than it was
 * given; the same head cut anywhere before its end is only ever
 * "incomplete" (a request arriving in pieces is never refused); an
 * accepted range lies inside the image.
 * Dictionary: tests/fuzz/http.dict */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "master/http_conditional.h"
#include "master/http_range.h"
#include "master/http_request.h"

#define ETAG "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

static void check_prefix(const char *data, size_t length)
{
	struct http_request request;

	if (http_request_parse(data, length, &request) != HTTP_PARSE_INCOMPLETE)
		abort(); /* a valid head cut short must wait for more bytes */
}

static void exercise(const struct http_request *request, uint64_t size)
{
	static const char prefix[] = "/images/";
	struct http_string etag = { ETAG, sizeof(ETAG) - 1 };
	struct http_byte_range range;
	char name[300];
	int decoded;

	if (request->path.length >= sizeof(prefix) - 1 &&
	    memcmp(request->path.data, prefix, sizeof(prefix) - 1) == 0) {
		struct http_string encoded = { request->path.data + sizeof(prefix) - 1,
					       request->path.length - (sizeof(prefix) - 1) };

		decoded = http_percent_decode(encoded, name, sizeof(name));
		if (decoded >= (int)sizeof(name) || (decoded >= 0 && name[decoded] != '\0'))
			abort();
		if (decoded >= 0 && memchr(name, '\0', (size_t)decoded) != NULL)
			abort(); /* %00 must never reach a name */
	}
	if (http_query_group(request->query) > 16777215u)
		abort();
	(void)http_evaluate_preconditions(request, etag);
	(void)http_list_contains(request->host, "keep-alive");
	if (http_range_applies(request, etag) &&
	    http_range_parse(request->range, size, &range) == HTTP_RANGE_PARTIAL &&
	    (range.first > range.last || range.last >= size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request request;
	enum http_parse_result result;
	uint64_t image_size = 1000;
	char *copy;

	/* An exact-size copy, so ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	result = http_request_parse(copy, size, &request);
	if (result == HTTP_PARSE_COMPLETE) {
		if (request.head_length == 0 || request.head_length > size)
			abort();
		if (size > 0)
			image_size = (uint64_t)(unsigned char)copy[size - 1] * 977u;
		exercise(&request, image_size);
		check_prefix(copy, request.head_length - 1);
		check_prefix(copy, request.head_length / 2);
	} else if (result == HTTP_PARSE_ERROR) {
		if (request.error_status < 400 || request.error_status > 505 || request.error_reason == NULL)
			abort();
	}
	free(copy);
	return 0;
}
