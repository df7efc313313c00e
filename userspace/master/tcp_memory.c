/* Reading the host's TCP memory and pressure counters from /proc
 * (tcp_memory.h). */
#include "master/tcp_memory.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192

/* The first line of file starting with prefix, into line; false at the end. */
static bool line_with(FILE *file, const char *prefix, char *line, size_t size)
{
	while (fgets(line, (int)size, file) != NULL)
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

int tcp_memory_parse_sockstat(const char *text, uint64_t *pages)
{
	const char *line = strncmp(text, "TCP: ", 5) == 0 ? text : strstr(text, "\nTCP: ");
	const char *end;
	const char *mem;

	if (line == NULL)
		return -EINVAL;
	end = strchr(line + 1, '\n');
	mem = strstr(line, " mem ");
	if (mem == NULL || (end != NULL && mem > end))
		return -EINVAL;
	return sscanf(mem, " mem %" SCNu64, pages) == 1 ? 0 : -EINVAL;
}

uint64_t tcp_memory_page_bytes(void)
{
	long size = sysconf(_SC_PAGESIZE);

	return size > 0 ? (uint64_t)size : 4096;
}

/* "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 3" */
static int read_sockstat(FILE *file, struct tcp_memory *memory)
{
	char line[LINE_MAX_BYTES];

	if (!line_with(file, "TCP: ", line, sizeof(line)))
		return -EINVAL;
	return tcp_memory_parse_sockstat(line, &memory->pages);
}

static int read_thresholds(FILE *file, struct tcp_memory *memory)
{
	return fscanf(file, "%" SCNu64 " %" SCNu64 " %" SCNu64, &memory->low_pages,
		      &memory->pressure_pages, &memory->limit_pages) == 3 ? 0 : -EINVAL;
}

/* A "TcpExt: NAME..." line and the "TcpExt: VALUE..." line after it,
 * walked side by side for the two pressure counters. */
static int read_netstat(FILE *file, struct tcp_memory *memory)
{
	char names[LINE_MAX_BYTES];
	char values[LINE_MAX_BYTES];
	char *name_state = NULL;
	char *value_state = NULL;
	unsigned int found = 0;

	if (!line_with(file, "TcpExt:", names, sizeof(names)) ||
	    !line_with(file, "TcpExt:", values, sizeof(values)))
		return -EINVAL;
	for (char *name = strtok_r(names, " \n", &name_state), *number = strtok_r(values, " \n", &value_state);
	     name != NULL && number != NULL;
	     name = strtok_r(NULL, " \n", &name_state), number = strtok_r(NULL, " \n", &value_state)) {
		uint64_t *target = strcmp(name, "TCPMemoryPressures") == 0	     ? &memory->pressure_events
				   : strcmp(name, "TCPMemoryPressuresChrono") == 0 ? &memory->pressure_milliseconds
										   : NULL;
		char *end;

		if (target == NULL)
			continue;
		errno = 0;
		*target = strtoull(number, &end, 10);
		if (errno != 0 || end == number || *end != '\0')
			return -EINVAL;
		found++;
	}
	return found == 2 ? 0 : -EINVAL;
}

/* Opens proc_root/path and hands it to parse. */
static int read_under(const char *proc_root, const char *path, int (*parse)(FILE *, struct tcp_memory *),
		      struct tcp_memory *memory)
{
	char full[PATH_MAX];
	FILE *file;
	int result;

	if (snprintf(full, sizeof(full), "%s/%s", proc_root, path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	file = fopen(full, "r");
	if (file == NULL)
		return -errno;
	result = parse(file, memory);
	fclose(file);
	return result;
}

int tcp_memory_read(const char *proc_root, struct tcp_memory *memory)
{
	int result;

	memset(memory, 0, sizeof(*memory));
	result = read_under(proc_root, "net/sockstat", read_sockstat, memory);
	if (result == 0)
		result = read_under(proc_root, "sys/net/ipv4/tcp_mem", read_thresholds, memory);
	if (result == 0)
		result = read_under(proc_root, "net/netstat", read_netstat, memory);
	return result;
}
