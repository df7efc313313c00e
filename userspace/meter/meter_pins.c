/* Pin paths, pinned-map opening, per-CPU summing and libbpf log routing for
 * the eBPF meters. */
#include "meter/meter_pins.h"
#include "common/log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *meter_pin_dir(const char *pin_dir)
{
	return pin_dir != NULL && pin_dir[0] != '\0' ? pin_dir : METER_DEFAULT_PIN_DIR;
}

int meter_pin_path(const char *pin_dir, const char *name, char *out, size_t size)
{
	int length = snprintf(out, size, "%s/%s", meter_pin_dir(pin_dir), name);

	return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 0;
}

int meter_prepare_pin_dir(const char *pin_dir, struct meter_error *error)
{
	int result = meter_check_bpffs(meter_pin_dir(pin_dir), error);

	if (result < 0)
		return result;
	if (mkdir(meter_pin_dir(pin_dir), 0700) < 0 && errno != EEXIST) {
		result = -errno;
		if (result == -EACCES || result == -EPERM)
			return meter_error_set(error, result, "not root: cannot create %s; run as root",
					       meter_pin_dir(pin_dir));
		return meter_error_set(error, result, "cannot create pin directory %s: %s",
				       meter_pin_dir(pin_dir), strerror(-result));
	}
	return 0;
}

int meter_open_pinned(const char *pin_dir, const char *name, int *fd, struct meter_error *error)
{
	char path[512];
	int result = meter_pin_path(pin_dir, name, path, sizeof(path));

	if (result < 0)
		return meter_error_set(error, result, "pin directory name too long: %s", meter_pin_dir(pin_dir));
	result = bpf_obj_get(path);
	if (result >= 0) {
		*fd = result;
		return 0;
	}
	result = -errno;
	if (result == -ENOENT)
		return meter_error_set(error, result,
				       "not attached: nothing pinned at %s; run 'cascade-meter%s%s attach --interface IF'",
				       path, pin_dir ? " --pin-dir " : "", pin_dir ? pin_dir : "");
	if (result == -EPERM || result == -EACCES)
		return meter_error_set(error, result, "not root: reading %s needs root (CAP_BPF); run as root", path);
	return meter_error_set(error, result, "cannot open %s: %s", path, strerror(-result));
}

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
