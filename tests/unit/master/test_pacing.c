/* Unit tests for the pacing of large bodies (master/pacing.c): the
 * decision on a reader's counts (more than three acknowledgements in four
 * data segments, over at least 64), the watch over a body (the first
 * report starts it, the decision comes 64 data segments later, it gives up
 * after PACING_LOOK_REPORTS reports, and goes on over the connection's
 * next large body when one ends first), and what each step does to a real
 * TCP connection over loopback: the maximum pacing rate is read back with
 * getsockopt. A paced reader's next large body is paced from its start, a
 * small one lifts the cap, rate 0 and small bodies are never watched, and
 * a descriptor that is not a socket is refused. With --pacing-scope
 * network a reader on this host (a loopback connection) is paced only
 * while the loopback steering file (a file of the test's here) names a
 * CPU. The counts are given here;
 * tests/integration/master/pacing.sh has real readers decide. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "master/pacing.h"

#define MIB (1ull << 20)

static const struct pacing_rule rule = { .rate = 400 * MIB, .from_bytes = 4 * MIB, .scope = PACING_SCOPE_ANY };

struct connected {
	int listener, client, server;
};

static int connect_pair(void **state)
{
	static struct connected pair;
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t length = sizeof(address);

	pair.listener = socket(AF_INET, SOCK_STREAM, 0);
	if (pair.listener < 0 || bind(pair.listener, (struct sockaddr *)&address, sizeof(address)) != 0 ||
	    listen(pair.listener, 1) != 0 ||
	    getsockname(pair.listener, (struct sockaddr *)&address, &length) != 0)
		return -1;
	pair.client = socket(AF_INET, SOCK_STREAM, 0);
	if (pair.client < 0 || connect(pair.client, (struct sockaddr *)&address, sizeof(address)) != 0)
		return -1;
	pair.server = accept(pair.listener, NULL, NULL);
	*state = &pair;
	return pair.server < 0 ? -1 : 0;
}

static int close_pair(void **state)
{
	struct connected *pair = *state;

	close(pair->server);
	close(pair->client);
	close(pair->listener);
	return 0;
}

static uint64_t max_pacing_rate(int fd)
{
	unsigned long value = 0;
	socklen_t length = sizeof(value);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &value, &length), 0);
	return value;
}

static void test_decision(void **state)
{
	(void)state;
	assert_false(pacing_reader_acks_most(48, 64)); /* exactly three in four: not more */
	assert_true(pacing_reader_acks_most(49, 64));
	assert_true(pacing_reader_acks_most(56, 64));   /* wrk: 0.88 a segment */
	assert_false(pacing_reader_acks_most(12, 64));  /* cascade-load: 0.19 */
	assert_false(pacing_reader_acks_most(63, 63));  /* too few segments to say */
	assert_true(pacing_reader_acks_most(4000000000u, 4000000000u)); /* no overflow */

	assert_string_equal(pacing_scope_name(PACING_SCOPE_NETWORK), "network");
	assert_string_equal(pacing_scope_name(PACING_SCOPE_ANY), "any");
}

/* A reader acknowledging nearly every segment: watched, then paced for
 * the rest of the body and from the start of its next large one. */
static void test_slow_reader_paced(void **state)
{
	struct connected *pair = *state;
	struct pacing_watch watch = { 0 };

	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX); /* a new socket: no cap */
	assert_int_equal(pacing_body_start(pair->server, &rule, 64 * MIB, &watch), 0);
	assert_true(watch.looking);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1000, 5000), 0); /* starts */
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1060, 5063), 0); /* 63: not yet */
	assert_true(watch.looking);
	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1060, 5070), 1); /* 60 of 70 */
	assert_false(watch.looking);
	assert_true(watch.reader_acks_most);
	assert_int_equal(max_pacing_rate(pair->server), rule.rate);
	assert_int_equal(pacing_body_progress(pair->server, &rule, &watch), 0); /* decided: no more looks */

	/* the next request on the keep-alive connection: small, then large */
	assert_int_equal(pacing_body_start(pair->server, &rule, 64 << 10, &watch), 0);
	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX);
	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB, &watch), 1);
	assert_false(watch.looking);
	assert_int_equal(max_pacing_rate(pair->server), rule.rate);
}

/* A reader acknowledging one segment in five: never paced; its next large
 * body is watched again. */
static void test_fast_reader_unpaced(void **state)
{
	struct connected *pair = *state;
	struct pacing_watch watch = { 0 };

	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB, &watch), 0);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 10, 20), 0);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 30, 120), 0); /* 20 of 100 */
	assert_false(watch.looking);
	assert_false(watch.reader_acks_most);
	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX);
	assert_int_equal(pacing_body_start(pair->server, &rule, 8 * MIB, &watch), 0);
	assert_true(watch.looking);

	/* the real counts of a real connection: read, not decided on so few */
	assert_int_equal(pacing_body_progress(pair->server, &rule, &watch), 0);
	assert_true(watch.counted);
	assert_int_equal(pacing_body_progress(pair->server, &rule, &watch), 0);
	assert_true(watch.looking);
}

/* Large bodies too short to decide on: the watch goes on over the next
 * large body of the connection; a small body in between starts it over. */
static void test_watch_spans_bodies(void **state)
{
	struct connected *pair = *state;
	struct pacing_watch watch = { 0 };

	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB, &watch), 0);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1000, 5000), 0);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1030, 5040), 0); /* 40 */
	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB, &watch), 0);
	assert_true(watch.counted);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1060, 5070), 1); /* 60 of 70 */
	assert_int_equal(max_pacing_rate(pair->server), rule.rate);
	assert_false(watch.counted); /* decided: the next watch (none here) would start over */

	assert_int_equal(pacing_body_start(pair->server, &rule, 0, &watch), 0); /* lifts the cap */
	watch = (struct pacing_watch){ 0 };
	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB, &watch), 0);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1000, 5000), 0);
	assert_int_equal(pacing_body_start(pair->server, &rule, 64 << 10, &watch), 0);
	assert_false(watch.counted);
	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX);
	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB, &watch), 0);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1060, 5070), 0); /* starts again */
	assert_false(watch.reader_acks_most);
}

/* A watch that never sees 64 data segments gives up. */
static void test_watch_gives_up(void **state)
{
	struct connected *pair = *state;
	struct pacing_watch watch = { 0 };
	int report;

	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB, &watch), 0);
	for (report = 0; report < PACING_LOOK_REPORTS; report++)
		assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 7, 9), 0);
	assert_true(watch.looking);
	assert_int_equal(pacing_watch_counts(pair->server, &rule, &watch, 1000, 1000), 0);
	assert_false(watch.looking);
	assert_false(watch.reader_acks_most);
}

static void test_small_bodies_and_rate_zero(void **state)
{
	struct connected *pair = *state;
	struct pacing_watch watch = { 0 };
	const struct pacing_rule off = { .rate = 0, .from_bytes = 4 * MIB };

	assert_int_equal(pacing_body_start(pair->server, &rule, 4 * MIB - 1, &watch), 0);
	assert_false(watch.looking);
	assert_int_equal(pacing_body_start(pair->server, &off, 1ull << 30, &watch), 0);
	assert_false(watch.looking);
	watch.reader_acks_most = true; /* even a reader that would need it */
	assert_int_equal(pacing_body_start(pair->server, &off, 1ull << 30, &watch), 0);
	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX);
}

static char steering_path[] = "/tmp/cascade-test-pacing-steering-XXXXXX";

static void write_steering(const char *mask)
{
	FILE *file = fopen(steering_path, "w");

	assert_non_null(file);
	assert_true(fputs(mask, file) >= 0);
	assert_int_equal(fclose(file), 0);
}

/* Feeds a new connection's watch a slow reader's counts (60
 * acknowledgements in 70 data segments) under scope_rule. */
static int watch_slow_reader(int fd, const struct pacing_rule *scope_rule, struct pacing_watch *watch)
{
	int result;

	*watch = (struct pacing_watch){ 0 };
	assert_int_equal(pacing_body_start(fd, scope_rule, 64 * MIB, watch), 0);
	assert_int_equal(pacing_watch_counts(fd, scope_rule, watch, 1000, 5000), 0);
	result = pacing_watch_counts(fd, scope_rule, watch, 1060, 5070);
	assert_false(watch->looking);
	return result;
}

/* --pacing-scope network: a slow reader over loopback is watched, and
 * paced, only if the host steers loopback packets (a CPU in the mask) at
 * its connection's first large body; with scope any it is paced either
 * way. */
static void test_scope(void **state)
{
	struct connected *pair = *state;
	const struct pacing_rule network = { .rate = 400 * MIB, .from_bytes = 4 * MIB,
					     .scope = PACING_SCOPE_NETWORK, .loopback_steering_path = steering_path };
	const struct pacing_rule no_steering_file = { .rate = 400 * MIB, .from_bytes = 4 * MIB,
						      .scope = PACING_SCOPE_NETWORK,
						      .loopback_steering_path = "/nonexistent/rps_cpus" };
	struct pacing_watch watch;
	int fd = mkstemp(steering_path);

	assert_true(fd >= 0);
	close(fd);
	write_steering("0\n");
	assert_int_equal(watch_slow_reader(pair->server, &network, &watch), 0);
	assert_int_equal(watch.path, PACING_PATH_SYNCHRONOUS);
	assert_false(watch.reader_acks_most);
	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX);
	write_steering("2\n"); /* the path is the connection's: found once, kept */
	assert_int_equal(pacing_body_start(pair->server, &network, 64 * MIB, &watch), 0);
	assert_false(watch.looking);
	assert_int_equal(watch.path, PACING_PATH_SYNCHRONOUS);
	write_steering("00000000,00000000\n");
	assert_int_equal(watch_slow_reader(pair->server, &network, &watch), 0);
	assert_int_equal(watch_slow_reader(pair->server, &no_steering_file, &watch), 0);
	assert_int_equal(max_pacing_rate(pair->server), UINT64_MAX);
	assert_int_equal(watch_slow_reader(pair->server, &rule, &watch), 1); /* scope any */
	assert_int_equal(max_pacing_rate(pair->server), rule.rate);
	assert_int_equal(pacing_body_start(pair->server, &rule, 0, &watch), 0); /* lifts it */

	write_steering("00000000,00000002\n"); /* steered to CPU 1 */
	assert_int_equal(watch_slow_reader(pair->server, &network, &watch), 1);
	assert_int_equal(watch.path, PACING_PATH_INTERRUPTS);
	assert_true(watch.reader_acks_most);
	assert_int_equal(max_pacing_rate(pair->server), network.rate);
	unlink(steering_path);
}

/* The peer of a loopback connection is on this host: its acknowledgements
 * come by interrupt only with steering. */
static void test_acks_by_interrupt(void **state)
{
	struct connected *pair = *state;
	char path[] = "/tmp/cascade-test-pacing-mask-XXXXXX";
	bool by_interrupt = true;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0\n", 2), 2);
	assert_int_equal(pacing_acks_by_interrupt(pair->server, path, &by_interrupt), 0);
	assert_false(by_interrupt);
	assert_int_equal(pacing_acks_by_interrupt(pair->client, path, &by_interrupt), 0);
	assert_false(by_interrupt);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "f\n", 2, 0), 2);
	assert_int_equal(pacing_acks_by_interrupt(pair->server, path, &by_interrupt), 0);
	assert_true(by_interrupt);
	close(fd);
	unlink(path);
}

static void test_not_a_socket_refused(void **state)
{
	int pipe_ends[2];
	struct pacing_watch watch = { .reader_acks_most = true };

	(void)state;
	assert_int_equal(pipe(pipe_ends), 0);
	assert_int_equal(pacing_body_start(pipe_ends[1], &rule, 4 * MIB, &watch), -ENOTSOCK);
	assert_false(watch.capped);
	watch.reader_acks_most = false;
	assert_int_equal(pacing_body_start(pipe_ends[1], &rule, 4 * MIB, &watch), 0);
	assert_int_equal(pacing_body_progress(pipe_ends[1], &rule, &watch), -ENOTSOCK);
	assert_false(watch.looking); /* the watch stops */
	assert_int_equal(pacing_acks_by_interrupt(pipe_ends[1], "/dev/null", &watch.looking), -ENOTSOCK);
	close(pipe_ends[0]);
	close(pipe_ends[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision),
		cmocka_unit_test_setup_teardown(test_slow_reader_paced, connect_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_fast_reader_unpaced, connect_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_watch_spans_bodies, connect_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_watch_gives_up, connect_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_small_bodies_and_rate_zero, connect_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_scope, connect_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_acks_by_interrupt, connect_pair, close_pair),
		cmocka_unit_test(test_not_a_socket_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
