/* Reads the process's CPU time, memory, descriptors and start time from
 * /proc/self/stat, /proc/self/fd and /proc/stat's btime (see
 * process_figures.h). */
#include "acs/process_figures.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The boot time in unix seconds ("btime" of /proc/stat), 0 when unknown. */
static uint64_t boot_time(void)
{
	FILE *file = fopen("/proc/stat", "r");
	char line[256];
	unsigned long long value = 0;

	if (!file)
		return 0;
	for (int lines = 0; lines < 4096 && fgets(line, sizeof(line), file); lines++)
		if (sscanf(line, "btime %llu", &value) == 1)
			break;
	fclose(file);
	return value;
}

/* utime, stime, starttime (ticks), vsize (bytes), rss (pages) from /proc/self/stat. */
static int read_stat(struct process_figures *figures)
{
	char text[1024], *after_name;
	unsigned long long user = 0, system = 0, start = 0, size = 0, resident = 0;
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	FILE *file = fopen("/proc/self/stat", "r");
	size_t length;

	if (!file)
		return -errno;
	length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	/* the name in parentheses may hold blanks and ')': the fields follow the last ')' */
	after_name = strrchr(text, ')');
	if (!after_name || ticks <= 0 || page <= 0)
		return -EINVAL;
	/* after ')': state(3) ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24) */
	if (sscanf(after_name + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %llu",
		   &user, &system, &start, &size, &resident) != 5)
		return -EINVAL;
	figures->cpu_seconds = (double)(user + system) / (double)ticks;
	figures->virtual_bytes = size;
	figures->resident_bytes = resident * (unsigned long long)page;
	figures->start_time_seconds = (double)boot_time() + (double)start / (double)ticks;
	return 0;
}

static uint64_t count_open_fds(void)
{
	DIR *directory = opendir("/proc/self/fd");
	struct dirent *entry;
	uint64_t count = 0;

	if (!directory)
		return 0;
	/* bounded by the descriptor limit: a process cannot hold more */
	while ((entry = readdir(directory)) != NULL)
		if (entry->d_name[0] != '.')
			count++;
	closedir(directory);
	return count ? count - 1 : 0; /* not the directory's own descriptor */
}

int process_figures_read(struct process_figures *figures)
{
	struct rlimit limit;

	memset(figures, 0, sizeof(*figures));
	figures->open_fds = count_open_fds();
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
		figures->max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)limit.rlim_cur;
	return read_stat(figures);
}
