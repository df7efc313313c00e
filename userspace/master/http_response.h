/* Response heads: the status line and header fields the master sends,
 * formatted into a caller's buffer; and the per-image header block (ETag,
 * digests) computed once when an image is loaded. Pure functions. */
#ifndef CASCADE_MASTER_HTTP_RESPONSE_H
#define CASCADE_MASTER_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "master/http_range.h"

/* Enough for every head the master sends, image fields included. */
#define HTTP_RESPONSE_HEAD_MAX 1024
#define HTTP_IMAGE_FIELDS_MAX  400
/* "Sun, 06 Nov 1994 08:49:37 GMT" plus NUL */
#define HTTP_DATE_LENGTH       30

struct http_head {
	int status;
	bool keep_alive;
	bool has_content_length;
	uint64_t content_length;
	const char *content_type;       /* NULL: none */
	const char *date;               /* HTTP-date or NULL */
	const char *image_fields;       /* from http_format_image_fields, or NULL */
	size_t image_fields_length;
	bool has_content_range;         /* 206: bytes first-last/size */
	struct http_byte_range range;
	bool unsatisfied_range;         /* 416: bytes * / size */
	uint64_t complete_length;
	unsigned int retry_after;       /* seconds, 0: none */
	const char *allow;              /* 405: methods allowed, or NULL */
};

const char *http_status_reason(int status);

/* Writes the head (ending with the blank line) into out; returns its
 * length or -ENOSPC. */
int http_format_head(const struct http_head *head, char *out, size_t size);

/* ETag, Repr-Digest (RFC 9530), Digest (RFC 3230), X-Cascade-SHA256,
 * Accept-Ranges and Content-Type lines for an image; returns the length or
 * -ENOSPC. */
int http_format_image_fields(const uint8_t sha256[32], char *out, size_t size);

/* Formats an HTTP-date (IMF-fixdate) for unix time seconds. */
void http_format_date(int64_t seconds, char out[HTTP_DATE_LENGTH]);

#endif
