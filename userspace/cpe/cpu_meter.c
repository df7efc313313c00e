/* The CPU occupancy source of the Inform (see cpu_meter.h). */
#include "cpe/cpu_meter.h"

#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "meter/cpu_meter.h"

/* A first window long enough to mean something: /proc/stat counts in
 * 10 ms ticks, so a few milliseconds after start read as 0% or 100%. */
#define PRIMING_MICROSECONDS 250000

void cpe_cpu_meter_open(struct cpe_cpu_meter *cpu, const struct cpe_config *config)
{
	uint32_t ignored;

	struct cpu_meter_options options = { 0 };
	struct meter_error error = { 0 };

	memset(cpu, 0, sizeof(*cpu));
	pthread_mutex_init(&cpu->lock, NULL);
	cpu->source = "off";
	if (config->cpu_meter == CPE_CPU_METER_OFF)
		return;
	options.pin_dir = strcmp(config->bpf_pin_dir, "none") == 0 ? NULL : config->bpf_pin_dir;
	options.window_seconds = config->cpu_window_seconds;
	options.force_proc_stat = config->cpu_meter == CPE_CPU_METER_PROC;
	if (cpu_meter_open(&options, &cpu->meter, &error) < 0) {
		log_warn("CPU occupancy unavailable, not reported: %s", error.message);
		cpu->meter = NULL;
		return;
	}
	if (cpu_meter_source(cpu->meter) == CPU_METER_SOURCE_EBPF) {
		cpu->source = "ebpf";
		log_info("CPU occupancy from the eBPF sched_switch meter (%s)",
			 options.pin_dir ? options.pin_dir : "private");
	} else {
		cpu->source = "proc";
		if (config->cpu_meter == CPE_CPU_METER_EBPF)
			log_warn("CPU occupancy falls back to /proc/stat: %s",
				 cpu_meter_fallback_reason(cpu->meter));
		else
			log_info("CPU occupancy from /proc/stat (--cpu-meter proc)");
	}
	usleep(PRIMING_MICROSECONDS);
	cpe_cpu_meter_sample(cpu, &ignored);
}

bool cpe_cpu_meter_enabled(const struct cpe_cpu_meter *cpu)
{
	return cpu->meter != NULL;
}

bool cpe_cpu_meter_sample(struct cpe_cpu_meter *cpu, uint32_t *basis_points)
{
	struct cpu_meter_result result;
	struct meter_error error;
	bool ok = false;

	pthread_mutex_lock(&cpu->lock);
	if (cpu->meter) {
		if (cpu_meter_sample(cpu->meter, &result, &error) == 0)
			cpu->last_basis_points = result.window_basis_points;
		else
			log_debug("CPU sample failed: %s", error.message);
		*basis_points = cpu->last_basis_points;
		ok = true;
	}
	pthread_mutex_unlock(&cpu->lock);
	return ok;
}

void cpe_cpu_meter_close(struct cpe_cpu_meter *cpu)
{
	cpu_meter_close(cpu->meter);
	cpu->meter = NULL;
	pthread_mutex_destroy(&cpu->lock);
}
