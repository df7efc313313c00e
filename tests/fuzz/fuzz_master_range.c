/* libFuzzer harness for cascade-master's Range header parser: the first 8
 * bytes are the image size, the rest the header value. A partial answer
 * must lie inside the image; an unsatisfiable one only when no byte of a
 * range exists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "master/http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_byte_range range = { 0, 0 };
	struct http_string value;
	uint64_t image_size = 0;
	char *copy;

	if (size < sizeof(image_size))
		return 0;
	memcpy(&image_size, data, sizeof(image_size));
	if (data[0] & 1)
		image_size &= 0xffffff; /* small sizes too, where ranges end past them */
	copy = malloc(size - sizeof(image_size) + 1);
	if (!copy)
		return 0;
	memcpy(copy, data + sizeof(image_size), size - sizeof(image_size));
	value = (struct http_string){ copy, size - sizeof(image_size) };
	switch (http_range_parse(value, image_size, &range)) {
	case HTTP_RANGE_PARTIAL:
		if (image_size == 0 || range.first > range.last || range.last >= image_size)
			abort();
		break;
	case HTTP_RANGE_UNSATISFIABLE:
	case HTTP_RANGE_NONE:
		break;
	default:
		abort();
	}
	free(copy);
	return 0;
}
