/* libFuzzer harness for cascade-master's settings: the INI config file
 * (inih, read from a memfd), or the command line (arguments separated by
 * newlines) when the input starts with "--". Bad input must be
 * refused with an error, never crash. --config arguments are skipped (they
 * would read arbitrary paths of this machine). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "master/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct master_config config;
	char *argv[FUZZ_ARGV_MAX], *storage = NULL;
	struct fuzz_file file;
	int line = 0, argc;

	master_config_defaults(&config);
	if (size < 2 || data[0] != '-' || data[1] != '-') {
		if (fuzz_file_open(&file, data, size) != 0)
			return 0;
		if (master_config_load(&config, file.path, &line) == 0)
			(void)master_config_finish(&config);
		else if (line < 0)
			abort();
		fuzz_file_close(&file);
		return 0;
	}
	argc = fuzz_argv(data, size, "cascade-master", argv, &storage);
	if (!fuzz_argv_names_config(argc, argv))
		(void)master_config_from_arguments(&config, argc, argv);
	free(storage);
	return 0;
}
