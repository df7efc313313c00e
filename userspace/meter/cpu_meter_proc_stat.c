/* CPU time from /proc/stat: the fallback source of the CPU occupancy meter
 * and the reference the tests compare the eBPF meter with. */
#include "meter/cpu_meter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cpu_meter_parse_proc_stat(const char *text, uint64_t *busy_ns, uint64_t *total_ns)
{
	unsigned long long user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0;
	long ticks_per_second = sysconf(_SC_CLK_TCK);
	uint64_t nanoseconds_per_tick;
	int fields;

	if (text == NULL || strncmp(text, "cpu ", 4) != 0)
		return -EINVAL;
	fields = sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait,
			&irq, &softirq, &steal);
	if (fields < 4)
		return -EINVAL;
	if (ticks_per_second <= 0)
		ticks_per_second = 100;
	nanoseconds_per_tick = 1000000000ull / (uint64_t)ticks_per_second;
	*busy_ns = (user + nice + system + irq + softirq + steal) * nanoseconds_per_tick;
	*total_ns = *busy_ns + (idle + iowait) * nanoseconds_per_tick;
	return 0;
}

int cpu_meter_read_proc_stat(const char *path, uint64_t *busy_ns, uint64_t *total_ns)
{
	char line[512];
	FILE *file = fopen(path != NULL ? path : "/proc/stat", "r");
	int result;

	if (file == NULL)
		return -errno;
	result = fgets(line, sizeof(line), file) != NULL ? cpu_meter_parse_proc_stat(line, busy_ns, total_ns)
							 : -EIO;
	fclose(file);
	return result;
}

uint32_t cpu_meter_basis_points(uint64_t busy_before, uint64_t total_before, uint64_t busy_after,
				    uint64_t total_after)
{
	uint64_t busy, total;

	if (total_after <= total_before || busy_after < busy_before)
		return 0;
	busy = busy_after - busy_before;
	total = total_after - total_before;
	if (busy >= total)
		return 10000;
	return (uint32_t)(((unsigned __int128)busy * 10000 + total / 2) / total);
}
