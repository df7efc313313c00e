/* `cascadectl meter ...`: the eBPF meters' CLI (the same code as
 * cascade-meter), with cascadectl's global --json passed on to it. */
#include "cli.h"

#include <stdlib.h>

#include "meter/meter_cli.h"

int command_meter(int argc, char **argv)
{
	char **arguments = calloc((size_t)argc + 2, sizeof(*arguments));
	int count = 0;
	int status;

	if (arguments == NULL)
		return 1;
	arguments[count++] = "cascadectl meter";
	if (cli_options.json)
		arguments[count++] = "--json";
	for (int i = 1; i < argc; i++)
		arguments[count++] = argv[i];
	arguments[count] = NULL;
	status = meter_cli_main(count, arguments);
	free(arguments);
	return status;
}
