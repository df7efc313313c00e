/* The send gate: image sends held back while the host's TCP memory is
 * over a mark (send_gate.h says why and how). */
#include "master/send_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "master/connection.h"
#include "master/tcp_memory.h"

#define TIMER_NS 1000000
/* What one connection let go may add before it looks at the gate again:
 * the sendfile path's budget per turn (transfer.c). */
#define BYTES_PER_CONNECTION (1u << 20)

void send_gate_init(struct send_gate *gate)
{
	memset(gate, 0, sizeof(*gate));
	gate->sockstat_fd = -1;
	gate->interval.tv_nsec = TIMER_NS;
}

int send_gate_open(struct send_gate *gate, const char *proc_root, uint64_t mark_pages)
{
	char path[PATH_MAX];

	send_gate_init(gate);
	if (mark_pages == 0)
		return 0;
	if (snprintf(path, sizeof(path), "%s/net/sockstat", proc_root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	gate->sockstat_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (gate->sockstat_fd < 0)
		return -errno;
	gate->mark_pages = mark_pages;
	return 0;
}

void send_gate_close(struct send_gate *gate)
{
	if (gate->sockstat_fd >= 0)
		close(gate->sockstat_fd);
	gate->sockstat_fd = -1;
	gate->mark_pages = 0;
}

/* A read that failed turns this loop's gate off for good, and says so. */
static void turn_off(struct worker *worker, const char *why)
{
	log_warn("event loop %u: cannot read the host's TCP memory (%s); sending without the gate",
		 worker->index, why);
	send_gate_close(&worker->send_gate);
	__atomic_store_n(&worker->server->send_gate_pages, 0, __ATOMIC_RELAXED);
}

/* Reads the memory once per millisecond of the loop's clock. */
static bool gate_closed(struct worker *worker)
{
	struct send_gate *gate = &worker->send_gate;
	char text[1024];
	ssize_t length;

	if (gate->mark_pages == 0)
		return false;
	if (gate->read_ms != worker->now_ms) {
		length = pread(gate->sockstat_fd, text, sizeof(text) - 1, 0);
		if (length <= 0) {
			turn_off(worker, length < 0 ? strerror(errno) : "sockstat is empty");
			return false;
		}
		text[length] = '\0';
		if (tcp_memory_parse_sockstat(text, &gate->pages) != 0) {
			turn_off(worker, "no TCP line in sockstat");
			return false;
		}
		gate->read_ms = worker->now_ms;
	}
	return gate->pages >= gate->mark_pages;
}

static void arm_timer(struct worker *worker)
{
	struct send_gate *gate = &worker->send_gate;
	struct io_uring_sqe *sqe;

	if (gate->timer_armed)
		return;
	sqe = worker_sqe(worker);
	io_uring_prep_timeout(sqe, &gate->interval, 0, 0);
	io_uring_sqe_set_data64(sqe, operation_data(worker, OPERATION_SEND_GATE));
	gate->timer_armed = true;
}

bool send_gate_holds(struct connection *connection)
{
	struct worker *worker = connection->worker;
	struct send_gate *gate = &worker->send_gate;

	if (connection->passes_gate) {
		connection->passes_gate = false;
		return false;
	}
	if (!gate_closed(worker))
		return false;
	connection->held_by_gate = true;
	connection->next_held = NULL;
	connection->previous_held = gate->last;
	if (gate->last != NULL)
		gate->last->next_held = connection;
	else
		gate->first = connection;
	gate->last = connection;
	gate->held++;
	stats_add(&worker->server->stats.send_gate_holds, 1);
	arm_timer(worker);
	return true;
}

/* Out of the queue, wherever it is in it: O(1), so thousands of held
 * clients going away at once cost no more than their count. */
static void unlink_held(struct send_gate *gate, struct connection *connection)
{
	if (connection->previous_held != NULL)
		connection->previous_held->next_held = connection->next_held;
	else
		gate->first = connection->next_held;
	if (connection->next_held != NULL)
		connection->next_held->previous_held = connection->previous_held;
	else
		gate->last = connection->previous_held;
	connection->next_held = NULL;
	connection->previous_held = NULL;
	connection->held_by_gate = false;
	gate->held--;
}

void send_gate_on_timer(struct worker *worker)
{
	struct send_gate *gate = &worker->send_gate;
	bool closed = gate_closed(worker);
	uint64_t let_go = 1;   /* at least one per tick, whatever the memory */

	gate->timer_armed = false;
	if (gate->mark_pages == 0) {
		let_go = UINT64_MAX;   /* the gate went off: everyone goes */
	} else if (!closed) {
		uint64_t room = (gate->mark_pages - gate->pages) * tcp_memory_page_bytes();

		if (room / BYTES_PER_CONNECTION > 1)
			let_go = room / BYTES_PER_CONNECTION;
	}
	while (gate->first != NULL && let_go-- > 0) {
		struct connection *connection = gate->first;

		unlink_held(gate, connection);
		connection->passes_gate = true;
		connection_advance(connection);
	}
	if (gate->first != NULL)
		arm_timer(worker);
}

void send_gate_forget(struct send_gate *gate, struct connection *connection)
{
	if (connection->held_by_gate)
		unlink_held(gate, connection);
}
