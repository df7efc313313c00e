/* Unit tests for the send gate (master/send_gate.c): when it holds a
 * connection, the order it lets them go in (at
 * least one per tick when closed, as many as the room allows when open),
 * a held connection freed in the middle of the queue, the pass a let-go
 * connection gets, and a gate whose file stops making sense turning itself
 * off. A real io_uring takes the gate's timer SQE; the sockstat file is a
 * fixture whose "mem" the test sets. tests/integration/master/send_gate.sh
 * runs it in a server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "master/connection.h"
#include "master/send_gate.h"
#include "master/tcp_memory.h"

#define MARK_PAGES 1000
#define CONNECTIONS 5

static char root[PATH_MAX];
static struct server server;
static struct worker worker;
static struct connection connections[CONNECTIONS];

static void write_memory(const char *tcp_line)
{
	char path[PATH_MAX + 32];
	FILE *file;

	snprintf(path, sizeof(path), "%s/net/sockstat", root);
	file = fopen(path, "w");
	assert_non_null(file);
	fprintf(file, "sockets: used 180\n%sUDP: inuse 1 mem 2\n", tcp_line);
	assert_int_equal(fclose(file), 0);
}

static void set_pages(unsigned int pages)
{
	char line[128];

	snprintf(line, sizeof(line), "TCP: inuse 20 orphan 0 tw 1 alloc 20 mem %u\n", pages);
	write_memory(line);
	worker.now_ms++;   /* the gate reads at most once per millisecond */
}

static unsigned int timer_sqes(void)
{
	unsigned int count = io_uring_sq_ready(&worker.ring);

	io_uring_submit(&worker.ring);
	return count;
}

static int setup(void **state)
{
	char path[PATH_MAX + 32];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/cascade-send-gate.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/net", root);
	assert_int_equal(mkdir(path, 0755), 0);
	memset(&server, 0, sizeof(server));
	memset(&worker, 0, sizeof(worker));
	memset(connections, 0, sizeof(connections));
	worker.server = &server;
	worker.now_ms = 1000;
	assert_int_equal(io_uring_queue_init(16, &worker.ring, 0), 0);
	for (int i = 0; i < CONNECTIONS; i++) {
		connections[i].worker = &worker;
		connections[i].state = CONNECTION_READING; /* advancing it does nothing */
	}
	set_pages(0);
	assert_int_equal(send_gate_open(&worker.send_gate, root, MARK_PAGES), 0);
	server.send_gate_pages = MARK_PAGES;
	return 0;
}

static int teardown(void **state)
{
	char command[PATH_MAX + 16];

	(void)state;
	send_gate_close(&worker.send_gate);
	io_uring_queue_exit(&worker.ring);
	snprintf(command, sizeof(command), "rm -rf '%s'", root);
	return system(command) == 0 ? 0 : -1;
}

/* Below the mark nobody waits; at the mark every one does, in order, and
 * the timer is armed once. */
static void test_holds_at_the_mark(void **state)
{
	(void)state;
	set_pages(MARK_PAGES - 1);
	for (int i = 0; i < CONNECTIONS; i++)
		assert_false(send_gate_holds(&connections[i]));
	assert_int_equal(timer_sqes(), 0);
	assert_int_equal(server.stats.send_gate_holds, 0);

	set_pages(MARK_PAGES);
	for (int i = 0; i < CONNECTIONS; i++) {
		assert_true(send_gate_holds(&connections[i]));
		assert_true(connections[i].held_by_gate);
	}
	assert_int_equal(worker.send_gate.held, CONNECTIONS);
	assert_int_equal(server.stats.send_gate_holds, CONNECTIONS);
	assert_int_equal(timer_sqes(), 1);
	assert_ptr_equal(worker.send_gate.first, &connections[0]);
	assert_ptr_equal(worker.send_gate.last, &connections[CONNECTIONS - 1]);
}

/* Closed: one per tick, the oldest first, with a pass for its next send;
 * the timer goes on while any wait. */
static void test_one_per_tick_while_closed(void **state)
{
	(void)state;
	set_pages(MARK_PAGES + 500);
	for (int i = 0; i < CONNECTIONS; i++)
		assert_true(send_gate_holds(&connections[i]));
	timer_sqes();
	send_gate_on_timer(&worker);
	assert_false(connections[0].held_by_gate);
	assert_true(connections[1].held_by_gate);
	assert_int_equal(worker.send_gate.held, CONNECTIONS - 1);
	assert_int_equal(timer_sqes(), 1);
	/* Its next send goes through once, closed gate or not. */
	assert_true(connections[0].passes_gate);
	assert_false(send_gate_holds(&connections[0]));
	assert_false(connections[0].passes_gate);
	assert_true(send_gate_holds(&connections[0]));
	assert_ptr_equal(worker.send_gate.last, &connections[0]);
	assert_ptr_equal(worker.send_gate.first, &connections[1]);
}

/* Open again: as many go as the room under the mark would take at 1 MiB
 * each (at least one); the rest wait for the next tick. */
static void test_room_lets_several_go(void **state)
{
	(void)state;
	set_pages(MARK_PAGES);
	for (int i = 0; i < CONNECTIONS; i++)
		assert_true(send_gate_holds(&connections[i]));
	timer_sqes();
	set_pages(MARK_PAGES - (unsigned int)(3 * (1u << 20) / tcp_memory_page_bytes())); /* room for three 1 MiB sends */
	send_gate_on_timer(&worker);
	for (int i = 0; i < 3; i++)
		assert_false(connections[i].held_by_gate);
	assert_true(connections[3].held_by_gate);
	assert_int_equal(worker.send_gate.held, 2);
	assert_int_equal(timer_sqes(), 1);
	set_pages(0);
	send_gate_on_timer(&worker);
	assert_int_equal(worker.send_gate.held, 0);
	assert_null(worker.send_gate.first);
	assert_null(worker.send_gate.last);
	assert_int_equal(timer_sqes(), 0); /* nobody left: no timer */
}

/* A held connection freed (the client went away) leaves the queue whole,
 * wherever it was in it. */
static void test_forget_anywhere(void **state)
{
	struct send_gate *gate = &worker.send_gate;

	(void)state;
	set_pages(MARK_PAGES);
	for (int i = 0; i < CONNECTIONS; i++)
		assert_true(send_gate_holds(&connections[i]));
	send_gate_forget(gate, &connections[2]);   /* middle */
	send_gate_forget(gate, &connections[4]);   /* last */
	send_gate_forget(gate, &connections[0]);   /* first */
	send_gate_forget(gate, &connections[0]);   /* not held: nothing */
	assert_int_equal(gate->held, 2);
	assert_false(connections[2].held_by_gate);
	assert_ptr_equal(gate->first, &connections[1]);
	assert_ptr_equal(connections[1].next_held, &connections[3]);
	assert_ptr_equal(gate->last, &connections[3]);
	assert_true(send_gate_holds(&connections[4]));
	assert_ptr_equal(connections[3].next_held, &connections[4]);
	assert_ptr_equal(gate->last, &connections[4]);
}

/* sockstat without its TCP line: the gate turns itself off, says 0 in
 * /-/stats, and lets everyone held go at the next tick. */
static void test_unreadable_turns_it_off(void **state)
{
	(void)state;
	set_pages(MARK_PAGES);
	for (int i = 0; i < CONNECTIONS; i++)
		assert_true(send_gate_holds(&connections[i]));
	write_memory("");
	worker.now_ms++;
	send_gate_on_timer(&worker);
	assert_int_equal(worker.send_gate.held, 0);
	assert_int_equal(worker.send_gate.mark_pages, 0);
	assert_int_equal(worker.send_gate.sockstat_fd, -1);
	assert_int_equal(server.send_gate_pages, 0);
	set_pages(MARK_PAGES * 10);
	assert_false(send_gate_holds(&connections[0]));
}

/* Mark 0: never open a file, never hold. */
static void test_mark_zero_is_off(void **state)
{
	struct send_gate gate;

	(void)state;
	assert_int_equal(send_gate_open(&gate, root, 0), 0);
	assert_int_equal(gate.sockstat_fd, -1);
	send_gate_close(&gate);
	assert_int_equal(send_gate_open(&gate, "/nonexistent-proc", 5), -ENOENT);
	assert_int_equal(gate.sockstat_fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holds_at_the_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_per_tick_while_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_room_lets_several_go, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_anywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_turns_it_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_zero_is_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
