/* X_CASCADE_CPUOccupancy's source: the eBPF CPU meter of
 * userspace/meter (shared through pins, or private), its /proc/stat
 * fallback (reported as source "proc", with the reason logged once), or
 * nothing ("off"). Thread-safe. */
#ifndef CASCADE_CPE_CPU_METER_H
#define CASCADE_CPE_CPU_METER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpe/config.h"

struct cpu_meter;

struct cpe_cpu_meter {
	pthread_mutex_t lock;
	struct cpu_meter *meter;  /* NULL when off */
	const char *source;           /* "ebpf", "proc" or "off" */
	uint32_t last_basis_points;
};

/* Opens the meter the config asks for; never fails for want of eBPF
 * (falls back to /proc/stat), only when no source works at all, in which
 * case the meter is off and a warning logged. */
void cpe_cpu_meter_open(struct cpe_cpu_meter *cpu, const struct cpe_config *config);
/* Takes a sample; *basis_points is the window average, percent x100.
 * Returns false when the meter is off. */
bool cpe_cpu_meter_sample(struct cpe_cpu_meter *cpu, uint32_t *basis_points);
bool cpe_cpu_meter_enabled(const struct cpe_cpu_meter *cpu);
void cpe_cpu_meter_close(struct cpe_cpu_meter *cpu);

#endif
