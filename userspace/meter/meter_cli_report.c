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
	json_t *ports;

	if (sources->meter == NULL)
		return json_pack("{s:b, s:s}", "available", 0, "error", sources->meter_error.message);
	if (group_meter_get_status(sources->meter, &status, &error) < 0)
		return json_pack("{s:b, s:s}", "available", 0, "error", error.message);
	ports = json_array();
	for (uint32_t index = 0; index < status.port_count && index < METER_MAX_PORTS; index++)
		json_array_append_new(ports, json_integer(status.ports[index]));
	return json_pack("{s:b, s:s, s:I, s:b, s:I, s:s, s:o, s:I, s:I, s:I}", "available", 1, "interface",
			 status.interface, "ifindex", (json_int_t)status.ifindex, "attached", status.attached,
			 "program_id", (json_int_t)status.program_id, "shaper", shaper_name(status.shaper), "ports", ports,
			 "prefix_capacity", (json_int_t)status.prefix_capacity, "group_table_full",
			 (json_int_t)status.group_table_full, "pacing_table_full", (json_int_t)status.pacing_table_full);
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
			groups, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "group", (json_int_t)group->group,
					  "bytes", (json_int_t)group->bytes, "packets", (json_int_t)group->packets,
					  "dropped_bytes", (json_int_t)group->dropped_bytes, "dropped_packets",
					  (json_int_t)group->dropped_packets, "shaper_dropped_packets",
					  (json_int_t)group->shaper_dropped_packets, "cap_bytes_per_second",
					  group->cap_bytes_per_second ? json_integer((json_int_t)group->cap_bytes_per_second)
								      : json_null(),
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

static void print_table(struct report_sources *sources, const struct report_frame *previous,
			const struct report_frame *frame, const struct cpu_meter_result *cpu)
{
	struct group_meter_status status;

	if (sources->meter != NULL && group_meter_get_status(sources->meter, &status, NULL) == 0)
		printf("group meter: interface %s (ifindex %u), %s, shaper %s, %s\n",
		       status.interface[0] ? status.interface : "(gone)", status.ifindex,
		       status.attached ? "attached" : "NOT attached", shaper_name(status.shaper),
		       status.port_count ? "counting server ports only" : "counting all egress");
	else
		printf("group meter: unavailable: %s\n", sources->meter_error.message);
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
	printf("%9s %16s %12s %14s %14s %8s\n", "GROUP", "BYTES", "PACKETS", "RATE", "CAP", "DROPS");
	for (size_t index = 0; index < frame->count; index++) {
		const struct group_meter_totals *group = &frame->groups[index];
		double rate = group_rate(previous, group, frame->time_ns);
		char rate_text[32] = "-", cap_text[32] = "-";

		if (rate >= 0)
			meter_format_rate((uint64_t)(rate + 0.5), rate_text, sizeof(rate_text));
		if (group->cap_bytes_per_second)
			meter_format_rate(group->cap_bytes_per_second, cap_text, sizeof(cap_text));
		printf("%9u %16llu %12llu %14s %14s %8llu\n", group->group, (unsigned long long)group->bytes,
		       (unsigned long long)group->packets, rate_text, cap_text,
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

	if (meter_pin_path(cli->pin_dir, "cpu_meter", path, sizeof(path)) == 0 && access(path, F_OK) == 0)
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
