/* Helpers both meters share: where pins live (pin directory and paths),
 * opening a pinned map with a clear error, reading a per-CPU value for
 * every CPU, and routing libbpf's own log lines to cascade's log. */
#ifndef CASCADE_METER_PINS_H
#define CASCADE_METER_PINS_H

#include <stddef.h>

#include "meter/meter_error.h"

#define METER_DEFAULT_PIN_DIR "/sys/fs/bpf/cascade"

/* pin_dir, or METER_DEFAULT_PIN_DIR when NULL or empty. */
const char *meter_pin_dir(const char *pin_dir);
/* "<pin_dir>/<name>" into out; -ENAMETOOLONG when it does not fit. */
int meter_pin_path(const char *pin_dir, const char *name, char *out, size_t size);
/* Checks bpffs and creates pin_dir (0700) when missing. */
int meter_prepare_pin_dir(const char *pin_dir, struct meter_error *error);
/* Opens <pin_dir>/<name>; -ENOENT (with a "not attached" message) when absent. */
int meter_open_pinned(const char *pin_dir, const char *name, int *fd, struct meter_error *error);
/* libbpf logs go to cascade's log at debug level (set once per process). */
void meter_route_libbpf_logs(void);
/* Number of possible CPUs, the length of a per-CPU map value array. */
int meter_possible_cpus(void);
/* Looks up key in a per-CPU map whose value is `words` __u64 counters and
 * adds each CPU's counters into sums[0..words-1]. -ENOENT when absent. */
int meter_sum_percpu(int map_fd, const void *key, unsigned long long *sums, size_t words);
/* max_entries of the map behind map_fd, 0 when it cannot be read. */
unsigned int meter_map_capacity(int map_fd);

#endif
