/* HTTP/1.1 response heads as cascade-load needs them: status, body
 * length, Content-Range start. A pure parser over a buffer. */
#ifndef CASCADE_LOAD_RESPONSE_H
#define CASCADE_LOAD_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct response_head {
	int status;
	bool has_content_length;
	uint64_t content_length;
	bool has_content_range;
	uint64_t range_first;          /* bytes FIRST-LAST/SIZE */
	uint64_t range_size;           /* SIZE, or of bytes * / SIZE (416) */
	size_t head_length;            /* body starts here */
};

/* 1: complete, 0: need more bytes, -1: malformed (or head over 16 KiB). */
int response_head_parse(const char *data, size_t length, struct response_head *head);

#endif
