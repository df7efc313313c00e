/* libFuzzer harness for cascade-cpe's settings: the INI config file (inih,
 * read from a memfd), or the command line (arguments separated by newlines)
 * when the input starts with "--"; then the checks of the combination. Bad input must be refused with an error, never crash.
 * --config arguments are skipped (they would read arbitrary paths). */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpe/config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpe_config config;
	char *argv[FUZZ_ARGV_MAX], *storage = NULL, error[1024];
	struct fuzz_file file;
	int argc;

	cpe_config_defaults(&config);
	if (size < 2 || data[0] != '-' || data[1] != '-') {
		if (fuzz_file_open(&file, data, size) != 0)
			return 0;
		error[0] = '\0';
		if (cpe_config_load_file(&config, file.path, error, sizeof(error)) == 0)
			(void)cpe_config_validate(&config, error, sizeof(error));
		else if (error[0] == '\0')
			abort(); /* a refusal says why */
		fuzz_file_close(&file);
		return 0;
	}
	argc = fuzz_argv(data, size, "cascade-cpe", argv, &storage);
	if (!fuzz_argv_names_config(argc, argv))
		(void)cpe_config_from_arguments(&config, argc, argv);
	free(storage);
	return 0;
}
