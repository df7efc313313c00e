/* The CPU occupancy meter: the sched_switch program (shared through pins or
 * private), the /proc/stat fallback, and the window of samples that turns
 * cumulative busy time into the average occupancy a device reports. */
#include "meter/cpu_meter.h"
#include "meter/meter_objects.h"
#include "meter_types.h"
#include "common/clock.h"
#include "cpu_meter.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

struct occupancy_sample {
	uint64_t time_ns;
	uint64_t busy_ns;
	uint64_t total_ns;
};

struct cpu_meter {
	enum cpu_meter_source source;
	char fallback_reason[METER_ERROR_MESSAGE_SIZE];
	struct cpu_meter_bpf *skeleton;     /* private meter only */
	int map_fd;
	int link_fd;                    /* shared meter: keeps the program attached */
	uint64_t window_ns;
	const char *proc_stat_path;
	uint32_t cpu_count;
	struct occupancy_sample samples[CPU_METER_MAX_SAMPLES];
	size_t first, count;            /* ring of samples, oldest first */
};

/* Busy and total time of all CPUs from the eBPF map. */
static int read_ebpf(struct cpu_meter *meter, uint64_t *busy_ns, uint64_t *total_ns)
{
	int cpus = meter_possible_cpus();
	struct cpu_busy *values = calloc((size_t)cpus, sizeof(*values));
	__u32 zero = 0;
	uint64_t now, busy = 0;
	int result = 0;

	if (values == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(meter->map_fd, &zero, values) < 0) {
		result = -errno;
		goto out;
	}
	now = monotonic_ns();
	for (int cpu = 0; cpu < cpus; cpu++) {
		busy += values[cpu].busy_ns;
		/* The task running now has not been charged yet. */
		if (values[cpu].running_busy && values[cpu].last_switch_ns != 0 && now > values[cpu].last_switch_ns)
			busy += now - values[cpu].last_switch_ns;
	}
	*busy_ns = busy;
	*total_ns = now * meter->cpu_count;
out:
	free(values);
	return result;
}

static int read_totals(struct cpu_meter *meter, uint64_t *busy_ns, uint64_t *total_ns)
{
	if (meter->source == CPU_METER_SOURCE_EBPF)
		return read_ebpf(meter, busy_ns, total_ns);
	return cpu_meter_read_proc_stat(meter->proc_stat_path, busy_ns, total_ns);
}

/* Runs this thread once on every online CPU, so each CPU switches tasks
 * and the program learns what runs there now: a CPU that spins on one task
 * without switching would otherwise be charged only from its next switch. */
static void visit_every_cpu(void)
{
	cpu_set_t original, one;
	int cpus = get_nprocs_conf();

	if (sched_getaffinity(0, sizeof(original), &original) < 0)
		return;
	for (int cpu = 0; cpu < cpus && cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &original))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) == 0)
			sched_yield();
	}
	sched_setaffinity(0, sizeof(original), &original);
}

static int attach_private(struct cpu_meter *meter, struct meter_error *error)
{
	struct cpu_meter_bpf *skeleton = cpu_meter_bpf__open_and_load();
	int result;

	if (skeleton == NULL)
		return meter_error_set(error, -errno ? -errno : -EINVAL, "cannot load the CPU meter: %s",
				       strerror(errno));
	result = cpu_meter_bpf__attach(skeleton);
	if (result < 0) {
		cpu_meter_bpf__destroy(skeleton);
		return meter_error_set(error, result, "cannot attach the CPU meter to sched_switch: %s",
				       strerror(-result));
	}
	meter->skeleton = skeleton;
	meter->map_fd = bpf_map__fd(skeleton->maps.cascade_cpu);
	visit_every_cpu();
	return 0;
}

/* Opens the pinned link and map when the linked program runs on that very
 * map; -ENOENT when either is missing, -ESTALE when they do not belong
 * together (a map pinned by a process that lost a race, a link whose map
 * pin was replaced). */
static int reuse_pinned(struct cpu_meter *meter, const char *pin_dir)
{
	char path[512];
	int link_fd, map_fd;

	if (meter_pin_path(pin_dir, CPU_METER_LINK_NAME, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	link_fd = bpf_obj_get(path);
	if (link_fd < 0)
		return -errno;
	if (meter_pin_path(pin_dir, CPU_METER_MAP_NAME, path, sizeof(path)) < 0 || (map_fd = bpf_obj_get(path)) < 0) {
		close(link_fd);
		return -ESTALE;
	}
	if (!meter_program_uses_map(meter_link_program_id(link_fd), meter_map_id(map_fd))) {
		close(link_fd);
		close(map_fd);
		return -ESTALE;
	}
	meter->link_fd = link_fd;
	meter->map_fd = map_fd;
	return 0;
}

/* Loads and attaches a new meter, its map pinned, then pins its link. */
static int attach_new(struct cpu_meter *meter, const char *pin_dir, struct meter_error *error)
{
	char link_path[512], map_path[512];
	struct cpu_meter_bpf *skeleton = cpu_meter_bpf__open();
	int result;

	if (skeleton == NULL)
		return meter_error_set(error, -ENOMEM, "cannot open the CPU meter program");
	meter_pin_path(pin_dir, CPU_METER_LINK_NAME, link_path, sizeof(link_path));
	meter_pin_path(pin_dir, CPU_METER_MAP_NAME, map_path, sizeof(map_path));
	bpf_map__set_pin_path(skeleton->maps.cascade_cpu, map_path);
	result = cpu_meter_bpf__load(skeleton);
	if (result < 0) {
		result = meter_error_set(error, result, "cannot load the CPU meter: %s", strerror(-result));
		goto out;
	}
	result = cpu_meter_bpf__attach(skeleton);
	if (result < 0) {
		result = meter_error_set(error, result, "cannot attach the CPU meter to sched_switch: %s",
					 strerror(-result));
		goto unpin;
	}
	result = bpf_link__pin(skeleton->links.cascade_switch, link_path);
	if (result < 0) {
		result = meter_error_set(error, result, "cannot pin the CPU meter at %s: %s", link_path, strerror(-result));
		goto unpin;
	}
	meter->map_fd = fcntl(bpf_map__fd(skeleton->maps.cascade_cpu), F_DUPFD_CLOEXEC, 3);
	meter->link_fd = fcntl(bpf_link__fd(skeleton->links.cascade_switch), F_DUPFD_CLOEXEC, 3);
	if (meter->map_fd < 0 || meter->link_fd < 0)
		result = meter_error_set(error, -errno, "cannot keep the CPU meter's descriptors: %s", strerror(errno));
	visit_every_cpu();
	goto out;
unpin:
	unlink(map_path);
out:
	cpu_meter_bpf__destroy(skeleton);   /* the pinned link keeps it attached */
	return result;
}

/* Under the pin directory's lock: the pinned meter when it is whole, else
 * a new one in place of whatever half of one is left. */
static int attach_pinned(struct cpu_meter *meter, const char *pin_dir, struct meter_error *error)
{
	int lock_fd = -1, result = meter_pin_dir_lock(pin_dir, true, true, &lock_fd, error);

	if (result < 0)
		return result;
	result = reuse_pinned(meter, pin_dir);
	if (result < 0) {
		/* A link without its map, or a map without its link (a process
		 * died between the two pins): neither is counting for us. */
		meter_unpin(pin_dir, CPU_METER_LINK_NAME);
		meter_unpin(pin_dir, CPU_METER_MAP_NAME);
		result = attach_new(meter, pin_dir, error);
	}
	meter_pin_dir_unlock(lock_fd);
	return result;
}

static int open_ebpf(struct cpu_meter *meter, const char *pin_dir, struct meter_error *error)
{
	int result;

	meter_route_libbpf_logs();
	if ((result = meter_check_privileges(false, error)) < 0 || (result = meter_check_btf(error)) < 0)
		return result;
	if (pin_dir == NULL)
		return attach_private(meter, error);
	return attach_pinned(meter, pin_dir, error);
}

static void append_sample(struct cpu_meter *meter, const struct occupancy_sample *sample)
{
	if (meter->count == CPU_METER_MAX_SAMPLES) {
		meter->first = (meter->first + 1) % CPU_METER_MAX_SAMPLES;
		meter->count--;
	}
	meter->samples[(meter->first + meter->count) % CPU_METER_MAX_SAMPLES] = *sample;
	meter->count++;
}

static const struct occupancy_sample *sample_at(const struct cpu_meter *meter, size_t index)
{
	return &meter->samples[(meter->first + index) % CPU_METER_MAX_SAMPLES];
}

int cpu_meter_open(const struct cpu_meter_options *options, struct cpu_meter **meter_out,
		       struct meter_error *error)
{
	struct cpu_meter *meter = calloc(1, sizeof(*meter));
	struct occupancy_sample first;
	struct meter_error reason = { 0 };
	int result = -EINVAL;

	if (meter == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	meter_error_clear(error);
	meter->map_fd = -1;
	meter->link_fd = -1;
	meter->window_ns = (uint64_t)(options->window_seconds ? options->window_seconds
							       : CPU_METER_DEFAULT_WINDOW_SECONDS) * 1000000000ull;
	meter->proc_stat_path = options->proc_stat_path;
	meter->cpu_count = (uint32_t)get_nprocs();
	if (meter->cpu_count == 0)
		meter->cpu_count = 1;
	meter->source = CPU_METER_SOURCE_EBPF;
	if (options->force_proc_stat)
		meter_error_set(&reason, -ENOTSUP, "eBPF not requested (forced /proc/stat)");
	else
		result = open_ebpf(meter, options->pin_dir, &reason);
	if (options->force_proc_stat || result < 0) {
		meter->source = CPU_METER_SOURCE_PROC_STAT;
		snprintf(meter->fallback_reason, sizeof(meter->fallback_reason), "%s", reason.message);
		if (error != NULL)
			*error = reason;
	}
	first.time_ns = monotonic_ns();
	result = read_totals(meter, &first.busy_ns, &first.total_ns);
	if (result < 0) {
		cpu_meter_close(meter);
		return meter_error_set(error, result, "cannot read CPU time: %s", strerror(-result));
	}
	append_sample(meter, &first);
	*meter_out = meter;
	return 0;
}

int cpu_meter_sample(struct cpu_meter *meter, struct cpu_meter_result *result,
			 struct meter_error *error)
{
	struct occupancy_sample now;
	const struct occupancy_sample *previous, *base;
	int status;

	now.time_ns = monotonic_ns();
	status = read_totals(meter, &now.busy_ns, &now.total_ns);
	if (status < 0)
		return meter_error_set(error, status, "cannot read CPU time: %s", strerror(-status));
	previous = sample_at(meter, meter->count - 1);
	memset(result, 0, sizeof(*result));
	result->source = meter->source;
	result->from_proc_stat = meter->source == CPU_METER_SOURCE_PROC_STAT;
	result->cpu_count = meter->cpu_count;
	result->interval_ns = now.time_ns - previous->time_ns;
	result->interval_basis_points = cpu_meter_basis_points(previous->busy_ns, previous->total_ns,
								   now.busy_ns, now.total_ns);
	append_sample(meter, &now);
	/* Keep one sample at or before the window's start as its base. */
	while (meter->count > 2 && sample_at(meter, 1)->time_ns + meter->window_ns <= now.time_ns) {
		meter->first = (meter->first + 1) % CPU_METER_MAX_SAMPLES;
		meter->count--;
	}
	base = sample_at(meter, 0);
	result->window_ns = now.time_ns - base->time_ns;
	result->window_basis_points = cpu_meter_basis_points(base->busy_ns, base->total_ns, now.busy_ns,
								 now.total_ns);
	return 0;
}

enum cpu_meter_source cpu_meter_source(const struct cpu_meter *meter)
{
	return meter->source;
}

const char *cpu_meter_fallback_reason(const struct cpu_meter *meter)
{
	return meter->fallback_reason;
}

void cpu_meter_close(struct cpu_meter *meter)
{
	if (meter == NULL)
		return;
	if (meter->skeleton != NULL)
		cpu_meter_bpf__destroy(meter->skeleton);
	else if (meter->map_fd >= 0)
		close(meter->map_fd);
	if (meter->link_fd >= 0)
		close(meter->link_fd);
	free(meter);
}

int cpu_meter_detach(const char *pin_dir, struct meter_error *error)
{
	static const char *const names[] = { CPU_METER_LINK_NAME, CPU_METER_MAP_NAME };
	char path[512];
	int lock_fd = -1, result = meter_pin_dir_lock(pin_dir, true, false, &lock_fd, error);

	if (result == -ENOENT)
		return 0;   /* nothing pinned */
	if (result < 0)
		return result;
	for (size_t index = 0; index < sizeof(names) / sizeof(names[0]) && result == 0; index++) {
		if (meter_pin_path(pin_dir, names[index], path, sizeof(path)) < 0)
			result = meter_error_set(error, -ENAMETOOLONG, "pin directory name too long");
		else if (unlink(path) < 0 && errno != ENOENT)
			result = meter_error_set(error, -errno, "cannot remove %s: %s", path, strerror(errno));
	}
	meter_pin_dir_remove_if_empty(pin_dir);
	meter_pin_dir_unlock(lock_fd);
	return result;
}

int cpu_meter_read_totals(struct cpu_meter *meter, uint64_t *busy_ns, uint64_t *total_ns)
{
	return read_totals(meter, busy_ns, total_ns);
}
