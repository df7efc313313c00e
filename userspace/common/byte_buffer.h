/* A growable byte buffer for bodies that arrive in pieces (libcurl write
 * callbacks, libmicrohttpd upload data): appends up to a caller's limit and
 * keeps a NUL after the bytes, so text parsers can read it in place. */
#ifndef CASCADE_COMMON_BYTE_BUFFER_H
#define CASCADE_COMMON_BYTE_BUFFER_H

#include <stddef.h>

struct byte_buffer {
	char *data;      /* NULL until the first append */
	size_t length;   /* bytes held, not counting the NUL */
	size_t capacity; /* bytes allocated */
};

/* Appends size bytes. Returns 0, -E2BIG when the buffer would pass limit
 * bytes (nothing is appended), or -ENOMEM. */
int byte_buffer_append(struct byte_buffer *buffer, const void *bytes, size_t size, size_t limit);
/* Empties the buffer, keeping its memory for the next body. */
void byte_buffer_clear(struct byte_buffer *buffer);
void byte_buffer_free(struct byte_buffer *buffer);

#endif
