/* The CPU occupancy meter's API, used by cascade-cpe (the Inform's
 * X_CASCADE_CPUOccupancy, percent x100) and cascade-meter.
 *
 * With eBPF, a tp_btf/sched_switch program counts each CPU's busy (non-idle)
 * nanoseconds; occupancy over an interval = busy time / (elapsed x online
 * CPUs). Without eBPF (not root, no BTF, no bpffs...) the same figures come
 * from /proc/stat, and every result says so (source, from_proc_stat).
 *
 *   struct cpu_meter *meter;
 *   struct cpu_meter_options options = { .pin_dir = METER_DEFAULT_PIN_DIR };
 *   cpu_meter_open(&options, &meter, &error);      // 0 even on fallback
 *   ... every few seconds:
 *   cpu_meter_sample(meter, &result, &error);
 *   inform.cpu_occupancy = result.window_basis_points;  // 0..10000
 */
#ifndef CASCADE_METER_CPU_METER_H
#define CASCADE_METER_CPU_METER_H

#include <stdbool.h>
#include <stdint.h>

#include "meter/meter_error.h"
#include "meter/meter_pins.h"

#define CPU_METER_DEFAULT_WINDOW_SECONDS 60
#define CPU_METER_MAX_SAMPLES 1024   /* samples kept for the window */

struct cpu_meter;

struct cpu_meter_options {
	/* Where to share the meter: an attached meter pinned there (link
	 * cascade_cpulink, map cascade_cpu) is reused when the linked program
	 * runs on the pinned map, else one is attached and pinned (under the
	 * pin directory's lock), and it keeps counting after close. The handle
	 * holds the link, so its figures stay right even if the pins are
	 * removed meanwhile. NULL: a private meter that lives as long as this
	 * handle. */
	const char *pin_dir;
	uint32_t window_seconds;   /* 0: CPU_METER_DEFAULT_WINDOW_SECONDS */
	bool force_proc_stat;      /* skip eBPF (tests, comparison) */
	const char *proc_stat_path; /* NULL: /proc/stat (tests give a file of their own) */
};

enum cpu_meter_source {
	CPU_METER_SOURCE_EBPF = 0,
	CPU_METER_SOURCE_PROC_STAT = 1,
};

struct cpu_meter_result {
	enum cpu_meter_source source;
	bool from_proc_stat;            /* the fallback flag: true when not eBPF */
	uint32_t interval_basis_points; /* since the previous sample, percent x100 */
	uint32_t window_basis_points;   /* average over the window, percent x100 */
	uint64_t interval_ns;           /* length of that interval */
	uint64_t window_ns;             /* how much of the window the samples cover */
	uint32_t cpu_count;             /* online CPUs */
};

/* Opens the meter and takes the first sample. Falls back to /proc/stat
 * when eBPF is unavailable: still returns 0, and error (when given) holds
 * the reason, also kept for cpu_meter_fallback_reason(). Fails only
 * when neither source works. */
int cpu_meter_open(const struct cpu_meter_options *options, struct cpu_meter **meter,
		       struct meter_error *error);
/* Takes a sample; results cover the time since the previous one and the
 * window. Call it at least every window / CPU_METER_MAX_SAMPLES. */
int cpu_meter_sample(struct cpu_meter *meter, struct cpu_meter_result *result,
			 struct meter_error *error);
enum cpu_meter_source cpu_meter_source(const struct cpu_meter *meter);
/* Why eBPF is not used ("" when it is). */
const char *cpu_meter_fallback_reason(const struct cpu_meter *meter);
/* Frees the handle; a pinned meter keeps running for the next process. */
void cpu_meter_close(struct cpu_meter *meter);
/* Stops a pinned CPU meter: unpins its link and map (the program stops when
 * the last process that holds it, such as a running agent, closes it).
 * Absent is fine. */
int cpu_meter_detach(const char *pin_dir, struct meter_error *error);
/* Cumulative busy time of all CPUs and elapsed CPU time (both ns) as the
 * meter reads them now: for counters that Prometheus turns into rates. */
int cpu_meter_read_totals(struct cpu_meter *meter, uint64_t *busy_ns, uint64_t *total_ns);

/* Pin names of the shared CPU meter. */
#define CPU_METER_MAP_NAME  "cascade_cpu"
#define CPU_METER_LINK_NAME "cascade_cpulink"

/* Cumulative busy and total time of all CPUs, in nanoseconds, from
 * /proc/stat's first line (busy = user+nice+system+irq+softirq+steal,
 * total = busy + idle + iowait). The text form is for tests. */
int cpu_meter_parse_proc_stat(const char *text, uint64_t *busy_ns, uint64_t *total_ns);
int cpu_meter_read_proc_stat(const char *path, uint64_t *busy_ns, uint64_t *total_ns);

/* Occupancy in percent x100 from two cumulative readings; 0 when no time
 * passed; at most 10000. */
uint32_t cpu_meter_basis_points(uint64_t busy_before, uint64_t total_before, uint64_t busy_after,
				    uint64_t total_after);

#endif
