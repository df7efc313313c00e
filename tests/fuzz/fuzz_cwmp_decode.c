/* libFuzzer harness for the CWMP codec: any bytes must decode cleanly or
 * fail with an error; a decoded message must re-encode and decode again.
 * Build: clang -D_GNU_SOURCE -fsanitize=fuzzer,address -Iuserspace $(pkg-config --cflags libxml-2.0) \
 *   tests/fuzz/fuzz_cwmp_decode.c userspace/cwmp/[a-z]*.c -lxml2 -o fuzz_cwmp_decode */
#include <stdint.h>
#include <stdlib.h>

#include "cwmp/cwmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cwmp_message *message = NULL, *again = NULL;
	struct cwmp_error error;
	char *encoded = NULL;
	size_t length = 0;

	if (cwmp_decode(data, size, NULL, &message, &error) != 0)
		return 0;
	if (cwmp_encode(message, &encoded, &length) == 0) {
		if (cwmp_decode(encoded, length, NULL, &again, &error) != 0)
			abort(); /* what we write we must read */
		cwmp_message_free(again);
		free(encoded);
	}
	cwmp_message_free(message);
	return 0;
}
