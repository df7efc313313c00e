/* cascade-master's side of the eBPF CPU occupancy meter: with the meters
 * on, the shared meter pinned in the pin directory (attached when missing,
 * /proc/stat when eBPF is unavailable, and saying so), sampled every second
 * by a thread of its own so that /-/stats and /metrics report the same
 * window average as the agent's X_CASCADE_CPUOccupancy. Host-wide, like the
 * group meter's counters: /metrics exports it only from the exporter. */
#ifndef CASCADE_MASTER_CPU_METER_H
#define CASCADE_MASTER_CPU_METER_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "master/config.h"
#include "meter/cpu_meter.h"

struct master_cpu_meter {
	bool started;
	struct cpu_meter *meter;         /* NULL: off, or no source at all */
	char pin_dir[256];
	char reason[METER_ERROR_MESSAGE_SIZE]; /* why not eBPF, or why off */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool have_result;
	struct cpu_meter_result last;    /* the latest sample */
	uint64_t busy_ns, total_ns;      /* cumulative, at the latest sample */
};

/* Opens the meter when config->meter and starts the sampling thread. */
void master_cpu_meter_start(struct master_cpu_meter *cm, const struct master_config *config);
void master_cpu_meter_stop(struct master_cpu_meter *cm);
/* {"source", "occupancy_basis_points" (window), "interval_basis_points",
 *  "window_seconds", "cpu_count", "busy_seconds", "reason"} or {"source": "off"} */
json_t *master_cpu_meter_json(struct master_cpu_meter *cm);
/* The host-wide cascade_meter_cpu_* series (call only from the exporter). */
void master_cpu_meter_write_metrics(struct master_cpu_meter *cm, FILE *out, const char *pin_dir);

#endif
