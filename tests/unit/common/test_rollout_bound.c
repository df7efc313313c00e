/* Unit tests for the rollout bound: each of its three terms binding in
 * turn, the figures of the benchmark's scenario worked by hand, an
 * unlimited downlink, ties, and figures that make no bound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/rollout_bound.h"

#define MIB 1048576.0

static void test_aggregate_binds_the_benchmark(void **state)
{
	/* 1,000 devices in 10 groups, 1 MiB, origin 1 Gbit/s, 100 Mbit/s links, 10% file servers */
	struct rollout_links links = { .image_bytes = 1048576, .devices = 1000, .groups = 10, .origin_egress = 125e6,
				       .device_downlink = 12.5e6, .source_egress_sum = 100 * 12.5e6 };
	struct rollout_bound bound;

	(void)state;
	assert_int_equal(rollout_bound_compute(&links, &bound), 0);
	assert_float_equal(bound.terms[ROLLOUT_BOUND_ORIGIN], 10 * MIB / 125e6, 1e-9);
	assert_float_equal(bound.terms[ROLLOUT_BOUND_DOWNLINK], MIB / 12.5e6, 1e-9);
	assert_float_equal(bound.terms[ROLLOUT_BOUND_AGGREGATE], 1000 * MIB / (125e6 + 1250e6), 1e-9);
	assert_int_equal(bound.binding, ROLLOUT_BOUND_AGGREGATE);
	assert_float_equal(bound.seconds, 0.76260, 1e-5);
	assert_string_equal(rollout_bound_term_formula(bound.binding), "N·S / (origin egress + sources' egress)");
	/* direct: nobody but the origin serves, N·S / origin egress */
	links.source_egress_sum = 0;
	assert_int_equal(rollout_bound_compute(&links, &bound), 0);
	assert_int_equal(bound.binding, ROLLOUT_BOUND_AGGREGATE);
	assert_float_equal(bound.seconds, 1000 * MIB / 125e6, 1e-9);
}

static void test_origin_binds_when_sources_abound(void **state)
{
	/* every device a file server with a fat uplink: the origin's G copies bind */
	struct rollout_links links = { .image_bytes = 4 << 20, .devices = 20, .groups = 10, .origin_egress = 1e6,
				       .device_downlink = 1e9, .source_egress_sum = 20 * 1e9 };
	struct rollout_bound bound;

	(void)state;
	assert_int_equal(rollout_bound_compute(&links, &bound), 0);
	assert_int_equal(bound.binding, ROLLOUT_BOUND_ORIGIN);
	assert_float_equal(bound.seconds, 10 * 4 * MIB / 1e6, 1e-9);
	assert_string_equal(rollout_bound_term_formula(bound.binding), "G·S / origin egress");
}

static void test_downlink_binds_a_slow_device(void **state)
{
	struct rollout_links links = { .image_bytes = 1000000, .devices = 10, .groups = 1, .origin_egress = 1e9,
				       .device_downlink = 1000, .source_egress_sum = 1e9 };
	struct rollout_bound bound;

	(void)state;
	assert_int_equal(rollout_bound_compute(&links, &bound), 0);
	assert_int_equal(bound.binding, ROLLOUT_BOUND_DOWNLINK);
	assert_float_equal(bound.seconds, 1000.0, 1e-9);
	assert_string_equal(rollout_bound_term_formula(bound.binding), "S / device downlink");
	links.device_downlink = 0; /* unlimited: the term vanishes */
	assert_int_equal(rollout_bound_compute(&links, &bound), 0);
	assert_float_equal(bound.terms[ROLLOUT_BOUND_DOWNLINK], 0, 1e-12);
	assert_int_not_equal(bound.binding, ROLLOUT_BOUND_DOWNLINK);
}

static void test_ties_and_bad_figures(void **state)
{
	/* one device per group, no sources: G·S/O equals N·S/O, the first term is named */
	struct rollout_links links = { .image_bytes = 1000, .devices = 5, .groups = 5, .origin_egress = 1000 };
	struct rollout_links bad;
	struct rollout_bound bound;

	(void)state;
	assert_int_equal(rollout_bound_compute(&links, &bound), 0);
	assert_int_equal(bound.binding, ROLLOUT_BOUND_ORIGIN);
	assert_float_equal(bound.seconds, 5.0, 1e-9);
	bad = links, bad.devices = 0;
	assert_int_equal(rollout_bound_compute(&bad, &bound), -EINVAL);
	bad = links, bad.groups = 6;
	assert_int_equal(rollout_bound_compute(&bad, &bound), -EINVAL);
	bad = links, bad.origin_egress = 0;
	assert_int_equal(rollout_bound_compute(&bad, &bound), -EINVAL);
	bad = links, bad.image_bytes = 0;
	assert_int_equal(rollout_bound_compute(&bad, &bound), -EINVAL);
	bad = links, bad.source_egress_sum = -1;
	assert_int_equal(rollout_bound_compute(&bad, &bound), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate_binds_the_benchmark),
		cmocka_unit_test(test_origin_binds_when_sources_abound),
		cmocka_unit_test(test_downlink_binds_a_slow_device),
		cmocka_unit_test(test_ties_and_bad_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
