/* libFuzzer harness for the CWMP codec: any bytes must decode cleanly or
 * fail with an error; a decoded message must re-encode and decode again;
 * a refused one gets a fault quoting the error (as both daemons answer),
 * and that fault must decode too.
 * Seeds: tests/fuzz/corpus/cwmp
 * Build and run: tests/fuzz/run fuzz_cwmp_decode (clang, ASan + UBSan).
 * Dictionary: tests/fuzz/cwmp.dict */
#include <stdint.h>
#include <stdlib.h>

#include "cwmp/cwmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cwmp_message *message = NULL, *again = NULL;
	struct cwmp_error error;
	char *encoded = NULL;
	size_t length = 0;

	if (cwmp_decode(data, size, NULL, &message, &error) != 0) {
		struct cwmp_message fault;

		cwmp_fault_message(&fault, CWMP_VERSION_1_2, "id", error.acs_fault_code ? error.acs_fault_code : 8003,
				   error.message);
		if (cwmp_encode(&fault, &encoded, &length) == 0) {
			if (cwmp_decode(encoded, length, NULL, &again, &error) != 0)
				abort(); /* a fault quoting hostile bytes must still be XML */
			cwmp_message_free(again);
			free(encoded);
		}
		return 0;
	}
	if (cwmp_encode(message, &encoded, &length) == 0) {
		if (cwmp_decode(encoded, length, NULL, &again, &error) != 0)
			abort(); /* what we write we must read */
		cwmp_message_free(again);
		free(encoded);
	}
	cwmp_message_free(message);
	return 0;
}
