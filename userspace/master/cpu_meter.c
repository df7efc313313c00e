/* The CPU occupancy meter for cascade-master: opened at start, sampled
 * every second by its own thread, read by /-/stats and /metrics. */
#include "master/cpu_meter.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "master/stats.h"

#define SAMPLE_PERIOD_NS 1000000000ll

static void take_sample(struct master_cpu_meter *cm)
{
	struct cpu_meter_result result;
	uint64_t busy = 0, total = 0;

	if (cpu_meter_sample(cm->meter, &result, NULL) < 0)
		return;
	cpu_meter_read_totals(cm->meter, &busy, &total);
	pthread_mutex_lock(&cm->lock);
	cm->last = result;
	cm->busy_ns = busy;
	cm->total_ns = total;
	cm->have_result = true;
	pthread_mutex_unlock(&cm->lock);
}

static void *sampling_loop(void *argument)
{
	struct master_cpu_meter *cm = argument;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&cm->lock);
	while (!cm->stopping) {
		next.tv_sec += 1;
		while (!cm->stopping && pthread_cond_timedwait(&cm->wake, &cm->lock, &next) != ETIMEDOUT)
			;
		if (cm->stopping)
			break;
		pthread_mutex_unlock(&cm->lock);
		take_sample(cm);
		pthread_mutex_lock(&cm->lock);
	}
	pthread_mutex_unlock(&cm->lock);
	return NULL;
}

void master_cpu_meter_start(struct master_cpu_meter *cm, const struct master_config *config)
{
	struct cpu_meter_options options = { 0 };
	struct meter_error error = { 0 };
	pthread_condattr_t attributes;

	memset(cm, 0, sizeof(*cm));
	cm->started = true;
	pthread_mutex_init(&cm->lock, NULL);
	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_cond_init(&cm->wake, &attributes);
	pthread_condattr_destroy(&attributes);
	snprintf(cm->pin_dir, sizeof(cm->pin_dir), "%s", config->bpf_pin_dir);
	if (!config->meter) {
		snprintf(cm->reason, sizeof(cm->reason), "turned off (--meter false)");
		return;
	}
	options.pin_dir = cm->pin_dir;
	if (cpu_meter_open(&options, &cm->meter, &error) < 0) {
		cm->meter = NULL;
		snprintf(cm->reason, sizeof(cm->reason), "%s", error.message);
		log_warn("CPU occupancy unavailable: %s", error.message);
		return;
	}
	if (cpu_meter_source(cm->meter) != CPU_METER_SOURCE_EBPF) {
		snprintf(cm->reason, sizeof(cm->reason), "%s", cpu_meter_fallback_reason(cm->meter));
		log_warn("CPU occupancy falls back to /proc/stat: %s", cm->reason);
	} else {
		log_info("CPU occupancy from the eBPF sched_switch meter (%s)", cm->pin_dir);
	}
	if (pthread_create(&cm->thread, NULL, sampling_loop, cm) == 0)
		cm->thread_started = true;
	else
		log_warn("CPU occupancy is not sampled: cannot start its thread");
}

void master_cpu_meter_stop(struct master_cpu_meter *cm)
{
	if (!cm->started)
		return;
	if (cm->thread_started) {
		pthread_mutex_lock(&cm->lock);
		cm->stopping = true;
		pthread_cond_signal(&cm->wake);
		pthread_mutex_unlock(&cm->lock);
		pthread_join(cm->thread, NULL);
	}
	cpu_meter_close(cm->meter);
	cm->meter = NULL;
	pthread_cond_destroy(&cm->wake);
	pthread_mutex_destroy(&cm->lock);
	cm->started = false;
}

static const char *source_name(const struct master_cpu_meter *cm)
{
	if (cm->meter == NULL)
		return "off";
	return cpu_meter_source(cm->meter) == CPU_METER_SOURCE_EBPF ? "ebpf" : "proc_stat";
}

json_t *master_cpu_meter_json(struct master_cpu_meter *cm)
{
	struct cpu_meter_result last;
	uint64_t busy_ns;
	bool have;

	if (!cm->started || cm->meter == NULL)
		return json_pack("{s:s, s:s?}", "source", "off", "reason", cm->reason[0] ? cm->reason : NULL);
	pthread_mutex_lock(&cm->lock);
	have = cm->have_result;
	last = cm->last;
	busy_ns = cm->busy_ns;
	pthread_mutex_unlock(&cm->lock);
	if (!have)
		return json_pack("{s:s, s:s?, s:n}", "source", source_name(cm), "reason",
				 cm->reason[0] ? cm->reason : NULL, "occupancy_basis_points");
	return json_pack("{s:s, s:s?, s:I, s:I, s:f, s:I, s:f}", "source", source_name(cm), "reason",
			 cm->reason[0] ? cm->reason : NULL, "occupancy_basis_points", (json_int_t)last.window_basis_points,
			 "interval_basis_points", (json_int_t)last.interval_basis_points, "window_seconds",
			 (double)last.window_ns / 1e9, "cpu_count", (json_int_t)last.cpu_count, "busy_seconds",
			 (double)busy_ns / 1e9);
}

static void cpu_line(FILE *out, const char *name, const char *pin_dir, const char *source)
{
	fprintf(out, "%s{pin_dir=\"", name);
	stats_write_label(out, pin_dir);
	fprintf(out, "\",source=\"%s\"}", source);
}

void master_cpu_meter_write_metrics(struct master_cpu_meter *cm, FILE *out, const char *pin_dir)
{
	struct cpu_meter_result last;
	uint64_t busy_ns, total_ns;
	const char *source = source_name(cm);

	if (!cm->started || cm->meter == NULL)
		return;
	pthread_mutex_lock(&cm->lock);
	bool have = cm->have_result;

	last = cm->last;
	busy_ns = cm->busy_ns;
	total_ns = cm->total_ns;
	pthread_mutex_unlock(&cm->lock);
	if (!have)
		return;
	stats_metric_header(out, "cascade_meter_cpu_occupancy_basis_points", "gauge",
			    "Host CPU occupancy, percent x100, averaged over the window (as X_CASCADE_CPUOccupancy).");
	cpu_line(out, "cascade_meter_cpu_occupancy_basis_points", pin_dir, source);
	fprintf(out, " %" PRIu32 "\n", last.window_basis_points);
	stats_metric_header(out, "cascade_meter_cpu_busy_seconds_total", "counter",
			    "CPU time spent in non-idle tasks, all CPUs (rate() / cascade_meter_cpu_seconds_total rate = occupancy).");
	cpu_line(out, "cascade_meter_cpu_busy_seconds_total", pin_dir, source);
	fprintf(out, " %.6f\n", (double)busy_ns / 1e9);
	stats_metric_header(out, "cascade_meter_cpu_seconds_total", "counter", "CPU time elapsed, all CPUs.");
	cpu_line(out, "cascade_meter_cpu_seconds_total", pin_dir, source);
	fprintf(out, " %.6f\n", (double)total_ns / 1e9);
}
