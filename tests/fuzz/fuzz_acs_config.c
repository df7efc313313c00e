/* libFuzzer harness for cascade-acs's files: every input is read both as
 * the inih config file and as the device credentials file ("USERNAME
 * PASSWORD [DEVICE-KEY]" lines), from a memfd. Bad input
 * must be refused with an error, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acs/auth.h"
#include "acs/config.h"
#include "common/log.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct acs_config config;
	struct credentials *credentials = NULL;
	struct fuzz_file file;

	if (!quiet) {
		log_set_level(LOG_LEVEL_ERROR);
		quiet = 1;
	}
	if (fuzz_file_open(&file, data, size) != 0)
		return 0;
	acs_config_defaults(&config);
	(void)acs_config_load(&config, file.path);
	if (credentials_load(file.path, &credentials) == 0)
		credentials_free(credentials);
	fuzz_file_close(&file);
	return 0;
}
