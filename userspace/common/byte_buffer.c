/* Growable byte buffer (see byte_buffer.h). */
#include "common/byte_buffer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAPACITY 4096

int byte_buffer_append(struct byte_buffer *buffer, const void *bytes, size_t size, size_t limit)
{
	if (size > limit || buffer->length > limit - size)
		return -E2BIG;
	if (buffer->length + size + 1 > buffer->capacity) {
		size_t wanted = buffer->capacity ? buffer->capacity : FIRST_CAPACITY;
		char *bigger;

		while (wanted < buffer->length + size + 1)
			wanted *= 2;
		bigger = realloc(buffer->data, wanted);
		if (!bigger)
			return -ENOMEM;
		buffer->data = bigger;
		buffer->capacity = wanted;
	}
	memcpy(buffer->data + buffer->length, bytes, size);
	buffer->length += size;
	buffer->data[buffer->length] = '\0';
	return 0;
}

void byte_buffer_clear(struct byte_buffer *buffer)
{
	buffer->length = 0;
	if (buffer->data)
		buffer->data[0] = '\0';
}

void byte_buffer_free(struct byte_buffer *buffer)
{
	free(buffer->data);
	buffer->data = NULL;
	buffer->length = 0;
	buffer->capacity = 0;
}
