/* Formatting of response heads and of the per-image header fields. */
#include "master/http_response.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <time.h>

#include "common/sha256.h"

const char *http_status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* Appends printf output at *used; false when it did not fit. */
static bool append(char *out, size_t size, size_t *used, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static bool append(char *out, size_t size, size_t *used, const char *format, ...)
{
	va_list arguments;
	int written;

	if (*used >= size)
		return false;
	va_start(arguments, format);
	written = vsnprintf(out + *used, size - *used, format, arguments);
	va_end(arguments);
	if (written < 0 || (size_t)written >= size - *used)
		return false;
	*used += (size_t)written;
	return true;
}

int http_format_head(const struct http_head *head, char *out, size_t size)
{
	size_t used = 0;
	bool fits = append(out, size, &used, "HTTP/1.1 %d %s\r\nServer: cascade-master\r\n",
			   head->status, http_status_reason(head->status));

	if (head->date != NULL)
		fits = fits && append(out, size, &used, "Date: %s\r\n", head->date);
	if (head->content_type != NULL)
		fits = fits && append(out, size, &used, "Content-Type: %s\r\n", head->content_type);
	if (head->has_content_length)
		fits = fits && append(out, size, &used, "Content-Length: %" PRIu64 "\r\n",
				      head->content_length);
	if (head->has_content_range)
		fits = fits && append(out, size, &used,
				      "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n",
				      head->range.first, head->range.last, head->complete_length);
	if (head->unsatisfied_range)
		fits = fits && append(out, size, &used, "Content-Range: bytes */%" PRIu64 "\r\n",
				      head->complete_length);
	if (head->image_fields != NULL)
		fits = fits && append(out, size, &used, "%.*s", (int)head->image_fields_length,
				      head->image_fields);
	if (head->retry_after > 0)
		fits = fits && append(out, size, &used, "Retry-After: %u\r\n", head->retry_after);
	if (head->allow != NULL)
		fits = fits && append(out, size, &used, "Allow: %s\r\n", head->allow);
	fits = fits && append(out, size, &used, "Connection: %s\r\n\r\n",
			      head->keep_alive ? "keep-alive" : "close");
	return fits ? (int)used : -ENOSPC;
}

int http_format_image_fields(const uint8_t sha256[32], char *out, size_t size)
{
	char hex[SHA256_HEX_LENGTH + 1];
	unsigned char base64[48];
	size_t used = 0;

	sha256_to_hex(sha256, hex);
	EVP_EncodeBlock(base64, sha256, SHA256_DIGEST_BYTES);
	if (!append(out, size, &used,
		    "Content-Type: application/octet-stream\r\n"
		    "Accept-Ranges: bytes\r\n"
		    "ETag: \"%s\"\r\n"
		    "Repr-Digest: sha-256=:%s:\r\n"
		    "Digest: SHA-256=%s\r\n"
		    "X-Cascade-SHA256: %s\r\n",
		    hex, base64, base64, hex))
		return -ENOSPC;
	return (int)used;
}

void http_format_date(int64_t seconds, char out[HTTP_DATE_LENGTH])
{
	time_t when = (time_t)seconds;
	struct tm utc;

	gmtime_r(&when, &utc);
	strftime(out, HTTP_DATE_LENGTH, "%a, %d %b %Y %H:%M:%S GMT", &utc);
}
