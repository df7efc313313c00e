/* libbpf log routing, per-CPU sums, map capacities and the identities of
 * the kernel objects (network namespace, map, link and program ids) that
 * the meters use to tell their own filter and link from another's. */
#include "meter/meter_objects.h"
#include "common/log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM_MAPS_MAX 64

static int forward_libbpf_line(enum libbpf_print_level level, const char *format, va_list arguments)
{
	char line[1024];
	size_t length;

	if (level == LIBBPF_DEBUG || log_get_level() < LOG_LEVEL_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), format, arguments);
	length = strlen(line);
	while (length > 0 && line[length - 1] == '\n')
		line[--length] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

void meter_route_libbpf_logs(void)
{
	libbpf_set_print(forward_libbpf_line);
}

int meter_possible_cpus(void)
{
	int count = libbpf_num_possible_cpus();

	return count > 0 ? count : 1;
}

unsigned int meter_map_capacity(int map_fd)
{
	struct bpf_map_info info;
	__u32 length = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(map_fd, &info, &length) == 0 ? info.max_entries : 0;
}

int meter_sum_percpu(int map_fd, const void *key, unsigned long long *sums, size_t words)
{
	int cpus = meter_possible_cpus();
	unsigned long long *values = calloc((size_t)cpus * words, sizeof(*values));
	int result;

	if (values == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, key, values) < 0) {
		result = -errno;
		goto out;
	}
	for (size_t word = 0; word < words; word++)
		sums[word] = 0;
	for (int cpu = 0; cpu < cpus; cpu++) {
		for (size_t word = 0; word < words; word++)
			sums[word] += values[(size_t)cpu * words + word];
	}
	result = 0;
out:
	free(values);
	return result;
}

uint64_t meter_netns_inode(void)
{
	struct stat namespace;

	return stat("/proc/self/ns/net", &namespace) == 0 ? (uint64_t)namespace.st_ino : 0;
}

uint32_t meter_map_id(int map_fd)
{
	struct bpf_map_info info;
	__u32 length = sizeof(info);

	memset(&info, 0, sizeof(info));
	return map_fd >= 0 && bpf_obj_get_info_by_fd(map_fd, &info, &length) == 0 ? info.id : 0;
}

uint32_t meter_program_id(int program_fd)
{
	struct bpf_prog_info info;
	__u32 length = sizeof(info);

	memset(&info, 0, sizeof(info));
	return program_fd >= 0 && bpf_obj_get_info_by_fd(program_fd, &info, &length) == 0 ? info.id : 0;
}

uint32_t meter_link_program_id(int link_fd)
{
	struct bpf_link_info info;
	__u32 length = sizeof(info);

	memset(&info, 0, sizeof(info));
	return link_fd >= 0 && bpf_obj_get_info_by_fd(link_fd, &info, &length) == 0 ? info.prog_id : 0;
}

int meter_program_maps(uint32_t program_id, char name[16], uint32_t *map_ids, uint32_t capacity,
		       uint32_t *count)
{
	struct bpf_prog_info info;
	__u32 length = sizeof(info);
	int fd, result = 0;

	if (program_id == 0)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(program_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = capacity;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &length) < 0) {
		result = -errno;
		goto out;
	}
	if (name != NULL)
		snprintf(name, 16, "%s", info.name);
	*count = info.nr_map_ids;
out:
	close(fd);
	return result;
}

bool meter_program_uses_map(uint32_t program_id, uint32_t map_id)
{
	uint32_t ids[PROGRAM_MAPS_MAX], count = 0;

	if (map_id == 0 || meter_program_maps(program_id, NULL, ids, PROGRAM_MAPS_MAX, &count) < 0)
		return false;
	for (uint32_t index = 0; index < count && index < PROGRAM_MAPS_MAX; index++) {
		if (ids[index] == map_id)
			return true;
	}
	return false;
}
