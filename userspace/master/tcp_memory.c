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

#define LINE_MAX_BYTES 8192

static FILE *open_under(const char *proc_root, const char *path)
{
	char full[PATH_MAX];

	if (snprintf(full, sizeof(full), "%s/%s", proc_root, path) >= (int)sizeof(full)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return fopen(full, "r");
}

/* "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 3" */
static int read_sockstat(const char *proc_root, uint64_t *pages)
{
	char line[LINE_MAX_BYTES];
	FILE *file = open_under(proc_root, "net/sockstat");
	int result = -EINVAL;

	if (file == NULL)
		return -errno;
	while (fgets(line, sizeof(line), file) != NULL) {
		const char *mem;

		if (strncmp(line, "TCP: ", 5) != 0)
			continue;
		mem = strstr(line, " mem ");
		if (mem != NULL && sscanf(mem, " mem %" SCNu64, pages) == 1)
			result = 0;
		break;
	}
	fclose(file);
	return result;
}

static int read_thresholds(const char *proc_root, struct tcp_memory *memory)
{
	FILE *file = open_under(proc_root, "sys/net/ipv4/tcp_mem");
	int result = 0;

	if (file == NULL)
		return -errno;
	if (fscanf(file, "%" SCNu64 " %" SCNu64 " %" SCNu64, &memory->low_pages, &memory->pressure_pages,
		   &memory->limit_pages) != 3)
		result = -EINVAL;
	fclose(file);
	return result;
}

/* The value under name in a "TcpExt: names..." line and the
 * "TcpExt: values..." line after it. */
static bool field_value(char *names, char *values, const char *name, uint64_t *value)
{
	char *name_state = NULL;
	char *value_state = NULL;
	char *field = strtok_r(names, " \n", &name_state);
	char *number = strtok_r(values, " \n", &value_state);

	while (field != NULL && number != NULL) {
		if (strcmp(field, name) == 0) {
			char *end;

			errno = 0;
			*value = strtoull(number, &end, 10);
			return errno == 0 && end != number && *end == '\0';
		}
		field = strtok_r(NULL, " \n", &name_state);
		number = strtok_r(NULL, " \n", &value_state);
	}
	return false;
}

static int read_netstat(const char *proc_root, struct tcp_memory *memory)
{
	char names[LINE_MAX_BYTES];
	char values[LINE_MAX_BYTES];
	char names_copy[LINE_MAX_BYTES];
	char values_copy[LINE_MAX_BYTES];
	FILE *file = open_under(proc_root, "net/netstat");
	int result = -EINVAL;

	if (file == NULL)
		return -errno;
	while (fgets(names, sizeof(names), file) != NULL) {
		if (strncmp(names, "TcpExt:", 7) != 0)
			continue;
		if (fgets(values, sizeof(values), file) == NULL || strncmp(values, "TcpExt:", 7) != 0)
			break;
		memcpy(names_copy, names, sizeof(names_copy));
		memcpy(values_copy, values, sizeof(values_copy));
		if (field_value(names, values, "TCPMemoryPressures", &memory->pressure_events) &&
		    field_value(names_copy, values_copy, "TCPMemoryPressuresChrono",
				&memory->pressure_milliseconds))
			result = 0;
		break;
	}
	fclose(file);
	return result;
}

int tcp_memory_read(const char *proc_root, struct tcp_memory *memory)
{
	int result;

	memset(memory, 0, sizeof(*memory));
	result = read_sockstat(proc_root, &memory->pages);
	if (result == 0)
		result = read_thresholds(proc_root, memory);
	if (result == 0)
		result = read_netstat(proc_root, memory);
	return result;
}
