/* The command logic of `cascade-meter` (and `cascadectl meter`): attach,
 * detach, group, cap, show and top. Kept out of main() so that another
 * program can expose the same commands:
 *
 *   int main(int argc, char **argv) { return meter_cli_main(argc, argv); }
 *
 * argv[0] is the name used in messages and usage ("cascade-meter", or
 * "cascadectl meter" when called with argv shifted by one). Returns the
 * process exit status: 0 done, 1 failed (one-line message on stderr),
 * 2 bad usage. */
#ifndef CASCADE_METER_CLI_H
#define CASCADE_METER_CLI_H

#include <stdbool.h>
#include <stdint.h>

int meter_cli_main(int argc, char **argv);

/* Shared between the command files. */
struct meter_cli {
	const char *program;   /* argv[0] */
	const char *pin_dir;   /* NULL: the default */
	bool json;
};

/* show (count 1) and top: samples every interval_ms, count times. */
int meter_cli_report(const struct meter_cli *cli, uint64_t interval_ms, unsigned long count, bool refresh);
void meter_cli_print_error(const struct meter_cli *cli, const char *message);

#endif
