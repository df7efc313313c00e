/* cascade-meter: loads and inspects cascade's eBPF meters; the commands live
 * in the meter library (userspace/meter/meter_cli.c) so that cascadectl
 * can offer them as `cascadectl meter`. */
#include "meter/meter_cli.h"

int main(int argc, char **argv)
{
	return meter_cli_main(argc, argv);
}
