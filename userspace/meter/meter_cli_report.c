/* cascade-meter show / top: reads the group totals and the CPU meter every
 * interval, and prints a table (redrawn in place on a terminal for top) or
 * one JSON object per report. */
#include "meter/meter_cli.h"
#include "meter/cpu_meter.h"
#include "meter/group_meter.h"
#include "meter/meter_values.h"
#include "common/clock.h"
#include "meter_types.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct report_frame {
	struct group_meter_totals *groups;
	size_t count;
	uint64_t time_ns;
};

struct report_sources {
	struct group_meter *meter;          /* NULL when the group meter is unavailable */
	struct meter_error meter_error;
	struct cpu_meter *cpu;           /* NULL when no CPU source works */
	struct meter_error cpu_error;
	struct cpu_meter *reference;     /* /proc/stat over the same intervals */
	struct cpu_meter_result reference_result;
};

static const char *shaper_name(uint32_t shaper)
{
	switch (shaper) {
	case METER_SHAPER_HTB: return "htb";
	case METER_SHAPER_EDT: return "edt";
	default: return "none";
	}
}

static int read_frame(struct group_meter *meter, struct report_frame *frame, struct meter_error *error)
{
	size_t capacity = 256;

	frame->count = 0; /* the caller stamps time_ns, with or without a meter */
	for (int attempt = 0; attempt < 4; attempt++) {
		struct group_meter_totals *groups = realloc(frame->groups, capacity * sizeof(*groups));
		size_t count = 0;
		int result;

		if (groups == NULL)
			return meter_error_set(error, -ENOMEM, "out of memory");
		frame->groups = groups;
		result = group_meter_read(meter, groups, capacity, &count, error);
		if (result < 0)
			return result;
		if (count <= capacity) {
			frame->count = count;
			return 0;
		}
		capacity = count + 64;
	}
	return meter_error_set(error, -EAGAIN, "groups keep appearing faster than they can be read");
}

/* Rate of group since the previous frame; -1 when unknown. */
static double group_rate(const struct report_frame *previous, const struct group_meter_totals *now,
			 uint64_t time_ns)
{
	size_t low = 0, high = previous ? previous->count : 0;

	if (previous == NULL || time_ns <= previous->time_ns)
		return -1;
	while (low < high) {
		size_t middle = (low + high) / 2;

		if (previous->groups[middle].group < now->group)
			low = middle + 1;
		else
			high = middle;
	}
	uint64_t before = low < previous->count && previous->groups[low].group == now->group
				  ? previous->groups[low].bytes : 0;
	if (now->bytes < before)
		return -1;
	return (double)(now->bytes - before) * 1e9 / (double)(time_ns - previous->time_ns);
}

static json_t *status_json(struct report_sources *sources)
{
	struct group_meter_status status;
	struct meter_error error = { 0 };
	json_t *ports, *others, *maps;

	if (sources->meter == NULL)
		return json_pack("{s:b, s:s}", "available", 0, "error", sources->meter_error.message);
	if (group_meter_get_status(sources->meter, &status, &error) < 0)
		return json_pack("{s:b, s:s}", "available", 0, "error", error.message);
	ports = json_array();
	for (uint32_t index = 0; index < status.port_count && index < METER_MAX_PORTS; index++)
		json_array_append_new(ports, json_integer(status.ports[index]));
	others = json_array();
	for (size_t index = 0; index < status.other_count; index++)
		json_array_append_new(others, json_pack("{s:s, s:I, s:I, s:I}", "pin_dir", status.others[index].pin_dir,
							"tc_priority", (json_int_t)status.others[index].tc_priority,
							"program_id", (json_int_t)status.others[index].program_id,
							"cap_count", (json_int_t)status.others[index].cap_count));
	maps = json_object();
	for (unsigned int index = 0; index < sizeof(status.map_ids) / sizeof(status.map_ids[0]); index++)
		json_object_set_new(maps, group_meter_map_name(index), json_integer(status.map_ids[index]));
	return json_pack("{s:b, s:s, s:s, s:b, s:I, s:b, s:b, s:s?, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:I,"
			 " s:o, s:b, s:I, s:I, s:I, s:o, s:o}",
			 "available", 1, "pin_dir", status.pin_dir, "interface", status.attached_interface, "interface_present", status.interface[0] != '\0', "ifindex",
			 (json_int_t)status.ifindex, "attached", status.attached, "same_namespace", status.same_namespace,
			 "problem", status.problem[0] ? status.problem : NULL, "netns_inode", (json_int_t)status.netns_inode,
			 "program_id", (json_int_t)status.program_id, "tc_priority", (json_int_t)status.tc_priority,
			 "tc_handle", (json_int_t)status.tc_handle, "shaper", shaper_name(status.shaper), "shaper_state",
			 group_meter_shaper_state_name(status.shaper_state), "root_qdisc", status.root_qdisc, "cap_count",
			 (json_int_t)status.cap_count, "ports", ports, "every_packet", status.port_count == 0,
			 "prefix_capacity", (json_int_t)status.prefix_capacity, "group_table_full",
			 (json_int_t)status.group_table_full, "pacing_table_full", (json_int_t)status.pacing_table_full,
			 "map_ids", maps, "other_meters", others);
}

static json_t *cpu_json(struct report_sources *sources, const struct cpu_meter_result *cpu, bool have_interval)
{
	bool have_reference = have_interval && sources->reference != NULL;

	if (sources->cpu == NULL)
		return json_pack("{s:b, s:s}", "available", 0, "error", sources->cpu_error.message);
	return json_pack("{s:b, s:s, s:b, s:s, s:o, s:I, s:I, s:f, s:o}", "available", 1, "source",
			 cpu->from_proc_stat ? "proc_stat" : "ebpf", "fallback", cpu->from_proc_stat, "fallback_reason",
			 cpu_meter_fallback_reason(sources->cpu), "occupancy_basis_points",
			 have_interval ? json_integer(cpu->interval_basis_points) : json_null(), "window_basis_points",
			 (json_int_t)cpu->window_basis_points, "cpu_count", (json_int_t)cpu->cpu_count,
			 "interval_seconds", (double)cpu->interval_ns / 1e9, "proc_stat_basis_points",
			 have_reference ? json_integer(sources->reference_result.interval_basis_points) : json_null());
}

static void print_json(struct report_sources *sources, const struct report_frame *previous,
		       const struct report_frame *frame, const struct cpu_meter_result *cpu)
{
	json_t *groups = json_array();
	json_t *report;
	char *text;

	for (size_t index = 0; index < frame->count; index++) {
		const struct group_meter_totals *group = &frame->groups[index];
		double rate = group_rate(previous, group, frame->time_ns);

		json_array_append_new(
			groups, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s?, s:b, s:o}", "group", (json_int_t)group->group,
					  "bytes", (json_int_t)group->bytes, "packets", (json_int_t)group->packets,
					  "dropped_bytes", (json_int_t)group->dropped_bytes, "dropped_packets",
					  (json_int_t)group->dropped_packets, "shaper_dropped_packets",
					  (json_int_t)group->shaper_dropped_packets, "cap_bytes_per_second",
					  group->cap_bytes_per_second ? json_integer((json_int_t)group->cap_bytes_per_second)
								      : json_null(),
					  "htb_class", group->htb_class[0] ? group->htb_class : NULL, "class_present",
					  group->class_present,
					  "rate_bytes_per_second", rate >= 0 ? json_integer((json_int_t)(rate + 0.5)) : json_null()));
	}
	report = json_pack("{s:I, s:f, s:o, s:o, s:o}", "time", (json_int_t)realtime_seconds(), "interval_seconds",
			   previous ? (double)(frame->time_ns - previous->time_ns) / 1e9 : 0.0, "group_meter",
			   status_json(sources), "groups", groups, "cpu",
			   cpu_json(sources, cpu, previous != NULL));
	text = report ? json_dumps(report, JSON_COMPACT) : NULL;
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(report);
}

/* The lines above the table: where the meter is, whether our filter is
 * really on the hook, how caps are enforced right now, which ports count. */
static void print_status(struct report_sources *sources)
{
	struct group_meter_status status;

	if (sources->meter == NULL || group_meter_get_status(sources->meter, &status, &sources->meter_error) < 0) {
		printf("group meter: unavailable: %s\n", sources->meter_error.message);
		return;
	}
	printf("group meter: %s on %s (ifindex %u), ", status.pin_dir,
	       status.attached_interface[0] ? status.attached_interface : "(none)", status.ifindex);
	if (!status.same_namespace)
		printf("%s in another network namespace (net:[%llu]); run cascade-meter there "
		       "(nsenter --net=/run/netns/NAME)\n", status.attached ? "attached" : "was attached",
		       (unsigned long long)status.netns_inode);
	else if (status.attached)
		printf("attached (tc egress pref %u handle 0x%x, program %u)\n", status.tc_priority, status.tc_handle,
		       status.program_id);
	else
		printf("NOT attached%s%s\n", status.problem[0] ? ": " : "", status.problem);
	if (status.port_count == 0) {
		printf("counting: every packet\n");
	} else {
		printf("counting: unmarked packets from ports");
		for (uint32_t index = 0; index < status.port_count && index < METER_MAX_PORTS; index++)
			printf(" %u", status.ports[index]);
		printf(", and every marked packet\n");
	}
	switch (status.shaper_state) {
	case GROUP_METER_SHAPER_ENFORCING:
		printf("caps: %u, enforced by %s (root qdisc %s)\n", status.cap_count, shaper_name(status.shaper),
		       status.root_qdisc);
		break;
	case GROUP_METER_SHAPER_ROOT_MISSING:
		printf("caps: %u, NOT enforced: the htb root ca: is gone (root qdisc %s); attach again to restore it\n",
		       status.cap_count, status.root_qdisc[0] ? status.root_qdisc : "unknown");
		break;
	case GROUP_METER_SHAPER_UNAVAILABLE:
		printf("caps: %u, unavailable: root qdisc %s is someone else's\n", status.cap_count, status.root_qdisc);
		break;
	default:
		printf("caps: none (root qdisc %s)\n", status.root_qdisc[0] ? status.root_qdisc : "unknown");
	}
	for (size_t index = 0; index < status.other_count; index++)
		printf("also on %s: the meter pinned at %s (tc pref %u)\n", status.interface, status.others[index].pin_dir,
		       status.others[index].tc_priority);
}

static void print_table(struct report_sources *sources, const struct report_frame *previous,
			const struct report_frame *frame, const struct cpu_meter_result *cpu)
{
	print_status(sources);
	if (sources->cpu == NULL)
		printf("cpu: unavailable: %s\n", sources->cpu_error.message);
	else if (previous == NULL)
		printf("cpu: (no interval; use --interval)\n");
	else
		printf("cpu: %u.%02u%% over %.2f s, %u.%02u%% over the last %.1f s (%s, %u CPUs)\n",
		       cpu->interval_basis_points / 100, cpu->interval_basis_points % 100, (double)cpu->interval_ns / 1e9,
		       cpu->window_basis_points / 100, cpu->window_basis_points % 100, (double)cpu->window_ns / 1e9,
		       cpu->from_proc_stat ? "/proc/stat fallback" : "eBPF", cpu->cpu_count);
	if (sources->meter == NULL)
		return;
	printf("%9s %16s %12s %14s %14s %8s %8s\n", "GROUP", "BYTES", "PACKETS", "RATE", "CAP", "CLASS", "DROPS");
	for (size_t index = 0; index < frame->count; index++) {
		const struct group_meter_totals *group = &frame->groups[index];
		double rate = group_rate(previous, group, frame->time_ns);
		char rate_text[32] = "-", cap_text[32] = "-", class_text[16] = "-";

		if (rate >= 0)
			meter_format_rate((uint64_t)(rate + 0.5), rate_text, sizeof(rate_text));
		if (group->cap_bytes_per_second)
			meter_format_rate(group->cap_bytes_per_second, cap_text, sizeof(cap_text));
		if (group->htb_class[0])
			snprintf(class_text, sizeof(class_text), "%s%s", group->htb_class, group->class_present ? "" : "!");
		printf("%9u %16llu %12llu %14s %14s %8s %8llu\n", group->group, (unsigned long long)group->bytes,
		       (unsigned long long)group->packets, rate_text, cap_text, class_text,
		       (unsigned long long)(group->dropped_packets + group->shaper_dropped_packets));
	}
}

static void sleep_ms(uint64_t milliseconds)
{
	struct timespec delay = { .tv_sec = (time_t)(milliseconds / 1000),
				  .tv_nsec = (long)(milliseconds % 1000) * 1000000L };

	while (nanosleep(&delay, &delay) < 0 && errno == EINTR)
		;
}

/* The CPU meter: the pinned one when attached, else a private one for
 * this report (or /proc/stat when eBPF is unavailable). */
static void open_cpu(const struct meter_cli *cli, struct report_sources *sources)
{
	struct cpu_meter_options options = { 0 };
	char path[512];

	if (meter_pin_path(cli->pin_dir, CPU_METER_LINK_NAME, path, sizeof(path)) == 0 && access(path, F_OK) == 0)
		options.pin_dir = meter_pin_dir(cli->pin_dir);
	if (cpu_meter_open(&options, &sources->cpu, &sources->cpu_error) < 0)
		sources->cpu = NULL;
	if (cli->json) {
		struct cpu_meter_options reference = { .force_proc_stat = true };

		if (cpu_meter_open(&reference, &sources->reference, NULL) < 0)
			sources->reference = NULL;
	}
}

int meter_cli_report(const struct meter_cli *cli, uint64_t interval_ms, unsigned long count, bool top)
{
	struct report_sources sources = { 0 };
	struct report_frame frames[2] = { { 0 }, { 0 } };
	struct cpu_meter_result cpu = { 0 };
	bool refresh = top && !cli->json && isatty(STDOUT_FILENO);
	int status = EXIT_SUCCESS;

	if (count == 0)
		count = refresh ? 3600 : 10;
	if (group_meter_open(cli->pin_dir, &sources.meter, &sources.meter_error) < 0)
		sources.meter = NULL;
	if (interval_ms > 0)
		open_cpu(cli, &sources);
	else
		meter_error_set(&sources.cpu_error, -EINVAL, "no interval: occupancy needs --interval");
	if (sources.meter == NULL && sources.cpu == NULL) {
		meter_cli_print_error(cli, sources.meter_error.message);
		return EXIT_FAILURE;
	}
	if (sources.meter != NULL && read_frame(sources.meter, &frames[0], &sources.meter_error) < 0) {
		meter_cli_print_error(cli, sources.meter_error.message);
		status = EXIT_FAILURE;
		goto out;
	}
	frames[0].time_ns = monotonic_ns();
	for (unsigned long round = 0; round < count; round++) {
		struct report_frame *previous = &frames[round % 2], *now = &frames[(round + 1) % 2];

		if (interval_ms > 0)
			sleep_ms(interval_ms);
		if (sources.meter != NULL && read_frame(sources.meter, now, &sources.meter_error) < 0) {
			meter_cli_print_error(cli, sources.meter_error.message);
			status = EXIT_FAILURE;
			break;
		}
		now->time_ns = monotonic_ns();
		if (sources.cpu != NULL)
			cpu_meter_sample(sources.cpu, &cpu, &sources.cpu_error);
		if (sources.reference != NULL)
			cpu_meter_sample(sources.reference, &sources.reference_result, NULL);
		if (refresh)
			printf("\033[H\033[2J");
		if (cli->json)
			print_json(&sources, interval_ms > 0 ? previous : NULL, now, &cpu);
		else
			print_table(&sources, interval_ms > 0 ? previous : NULL, now, &cpu);
		if (!refresh && !cli->json && round + 1 < count)
			printf("\n");
		fflush(stdout);
	}
out:
	free(frames[0].groups);
	free(frames[1].groups);
	group_meter_close(sources.meter);
	cpu_meter_close(sources.cpu);
	cpu_meter_close(sources.reference);
	return status;
}
