/* libFuzzer harness for cascade-load's HTTP response head parser (it reads
 * whatever a server under test sends). A complete head never extends past
 * the bytes given, and a head cut before its end is never complete. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/load/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct response_head head;
	char *copy = malloc(size ? size : 1);
	int result;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	result = response_head_parse(copy, size, &head);
	if (result == 1) {
		if (head.head_length == 0 || head.head_length > size || head.status < 100 || head.status > 599)
			abort();
		if (response_head_parse(copy, head.head_length - 1, &head) == 1)
			abort();
	} else if (result != 0 && result != -1) {
		abort();
	}
	free(copy);
	return 0;
}
