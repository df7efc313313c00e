/* Unit tests of the CPU occupancy arithmetic: /proc/stat parsing, basis
 * points from two cumulative readings, and the /proc/stat-backed meter's
 * interval and window over real samples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "meter/cpu_meter.h"

static void proc_stat_line_parses(void **state)
{
	uint64_t busy = 0, total = 0;
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);

	(void)state;
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	assert_int_equal(cpu_meter_parse_proc_stat("cpu  100 5 20 800 50 3 2 1 0 0\n", &busy, &total), 0);
	assert_int_equal(busy, (100 + 5 + 20 + 3 + 2 + 1) * tick);
	assert_int_equal(total, (100 + 5 + 20 + 3 + 2 + 1 + 800 + 50) * tick);
	/* Old kernels print only four fields. */
	assert_int_equal(cpu_meter_parse_proc_stat("cpu  1 2 3 4\n", &busy, &total), 0);
	assert_int_equal(busy, 6 * tick);
	assert_int_equal(cpu_meter_parse_proc_stat("cpu0 1 2 3 4\n", &busy, &total), -EINVAL);
	assert_int_equal(cpu_meter_parse_proc_stat("cpu  1 2\n", &busy, &total), -EINVAL);
	assert_int_equal(cpu_meter_parse_proc_stat(NULL, &busy, &total), -EINVAL);
}

static void basis_points_from_two_readings(void **state)
{
	(void)state;
	assert_int_equal(cpu_meter_basis_points(0, 0, 50, 100), 5000);
	assert_int_equal(cpu_meter_basis_points(1000, 4000, 1001, 4003), 3333);
	assert_int_equal(cpu_meter_basis_points(0, 0, 200, 100), 10000);   /* clamp */
	assert_int_equal(cpu_meter_basis_points(10, 100, 20, 100), 0);     /* no time */
	assert_int_equal(cpu_meter_basis_points(30, 100, 20, 200), 0);     /* went back */
}

static void proc_stat_meter_reports_itself(void **state)
{
	struct cpu_meter_options options = { .force_proc_stat = true, .window_seconds = 1 };
	struct cpu_meter *meter = NULL;
	struct cpu_meter_result result;
	struct meter_error error;

	(void)state;
	assert_int_equal(cpu_meter_open(&options, &meter, &error), 0);
	assert_int_equal(cpu_meter_source(meter), CPU_METER_SOURCE_PROC_STAT);
	assert_string_not_equal(cpu_meter_fallback_reason(meter), "");
	usleep(50000);
	assert_int_equal(cpu_meter_sample(meter, &result, &error), 0);
	assert_true(result.from_proc_stat);
	assert_true(result.interval_ns >= 50000000ull);
	assert_true(result.interval_basis_points <= 10000);
	assert_true(result.cpu_count >= 1);
	/* Within the window, the window covers everything since open. */
	assert_true(result.window_ns >= result.interval_ns);
	usleep(20000);
	assert_int_equal(cpu_meter_sample(meter, &result, &error), 0);
	assert_true(result.window_ns > result.interval_ns);
	cpu_meter_close(meter);
}

static void window_forgets_old_samples(void **state)
{
	struct cpu_meter_options options = { .force_proc_stat = true, .window_seconds = 1 };
	struct cpu_meter *meter = NULL;
	struct cpu_meter_result result;

	(void)state;
	assert_int_equal(cpu_meter_open(&options, &meter, NULL), 0);
	for (int round = 0; round < 12; round++) {
		usleep(150000);
		assert_int_equal(cpu_meter_sample(meter, &result, NULL), 0);
	}
	/* 1.8 s of samples, a 1 s window: the base is the last sample at or
	 * before the window's start, so the window spans 1 s to 1.15 s. */
	assert_true(result.window_ns >= 1000000000ull);
	assert_true(result.window_ns < 1400000000ull);
	cpu_meter_close(meter);
}

/* Writes a /proc/stat first line with these cumulative busy and idle ticks. */
static void write_stat(const char *path, unsigned long long busy, unsigned long long idle)
{
	FILE *file = fopen(path, "w");

	assert_non_null(file);
	fprintf(file, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\n", busy, idle);
	fclose(file);
}

static void window_averages_every_sample_in_it(void **state)
{
	char path[] = "/tmp/cascade-cpu-stat-XXXXXX";
	struct cpu_meter_options options = { .force_proc_stat = true, .window_seconds = 60 };
	struct cpu_meter *meter = NULL;
	struct cpu_meter_result result;

	(void)state;
	close(mkstemp(path));
	options.proc_stat_path = path;
	write_stat(path, 0, 0);
	assert_int_equal(cpu_meter_open(&options, &meter, NULL), 0);
	write_stat(path, 100, 0);     /* fully busy */
	assert_int_equal(cpu_meter_sample(meter, &result, NULL), 0);
	assert_int_equal(result.interval_basis_points, 10000);
	assert_int_equal(result.window_basis_points, 10000);
	write_stat(path, 100, 100);   /* then idle as long */
	assert_int_equal(cpu_meter_sample(meter, &result, NULL), 0);
	assert_int_equal(result.interval_basis_points, 0);
	assert_int_equal(result.window_basis_points, 5000);
	write_stat(path, 150, 150);   /* then half busy */
	assert_int_equal(cpu_meter_sample(meter, &result, NULL), 0);
	assert_int_equal(result.interval_basis_points, 5000);
	assert_int_equal(result.window_basis_points, 5000);
	write_stat(path, 150, 350);   /* then idle twice as long */
	assert_int_equal(cpu_meter_sample(meter, &result, NULL), 0);
	assert_int_equal(result.window_basis_points, 3000);
	cpu_meter_close(meter);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc_stat_line_parses),
		cmocka_unit_test(basis_points_from_two_readings),
		cmocka_unit_test(proc_stat_meter_reports_itself),
		cmocka_unit_test(window_forgets_old_samples),
		cmocka_unit_test(window_averages_every_sample_in_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
