/* One event loop: its io_uring (created on its own thread, single issuer,
 * deferred task work), a multishot accept on its SO_REUSEPORT socket, a
 * ring of provided receive buffers, a periodic tick for timeouts and an
 * eventfd the control thread writes to. Completions are dispatched by the
 * operation kind stored in user_data. */
#include "master/server.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "master/connection.h"
#include "common/log_limit.h"
#include "master/splice_pipe.h"
#include "master/tcp_memory.h"

#define RING_ENTRIES       4096
#define COMPLETION_ENTRIES 32768
/* Connections accepted past the cap that may wait for their 503 at once. */
#define OVER_CAPACITY_LIMIT 256
/* io-wq threads that may run splices at once, per ring: how many
 * connections per loop can have a splice to the socket in progress. */
#define SPLICE_WORKERS 16

static struct log_limit accept_log = LOG_LIMIT_INITIALIZER("accept error", 5);

struct io_uring_sqe *worker_sqe(struct worker *worker)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&worker->ring);

	while (sqe == NULL) {
		io_uring_submit(&worker->ring);
		sqe = io_uring_get_sqe(&worker->ring);
	}
	return sqe;
}

void worker_reserve(struct worker *worker, unsigned int count)
{
	if (io_uring_sq_space_left(&worker->ring) < count)
		io_uring_submit(&worker->ring);
}

void worker_return_buffer(struct worker *worker, unsigned int buffer_id)
{
	io_uring_buf_ring_add(worker->buffer_ring,
			      worker->buffers + (size_t)buffer_id * WORKER_BUFFER_SIZE,
			      WORKER_BUFFER_SIZE, (unsigned short)buffer_id,
			      io_uring_buf_ring_mask(WORKER_BUFFER_COUNT), 0);
	io_uring_buf_ring_advance(worker->buffer_ring, 1);
}

static void arm_accept(struct worker *worker)
{
	struct io_uring_sqe *sqe;

	if (worker->accepting || worker->accept_closed || worker->stopping)
		return;
	sqe = worker_sqe(worker);
	/* Blocking sockets: see transfer.c for why splices want them. */
	io_uring_prep_multishot_accept(sqe, worker->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, operation_data(worker, OPERATION_ACCEPT));
	worker->accepting = true;
}

static void arm_tick(struct worker *worker)
{
	struct io_uring_sqe *sqe = worker_sqe(worker);

	io_uring_prep_timeout(sqe, &worker->tick_interval, 0, 0);
	io_uring_sqe_set_data64(sqe, operation_data(worker, OPERATION_TICK));
}

static void arm_wake(struct worker *worker)
{
	struct io_uring_sqe *sqe = worker_sqe(worker);

	io_uring_prep_read(sqe, worker->wake_fd, &worker->wake_value, sizeof(worker->wake_value), 0);
	io_uring_sqe_set_data64(sqe, operation_data(worker, OPERATION_WAKE));
}

static void update_clock(struct worker *worker)
{
	struct timespec now;

	worker->now_ms = monotonic_ms();
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != worker->date_second) {
		worker->date_second = now.tv_sec;
		http_format_date(now.tv_sec, worker->date);
	}
}

/* New clients are refused by the kernel from now on. */
static void close_listener(struct worker *worker)
{
	if (worker->listen_fd >= 0)
		close(worker->listen_fd);
	worker->listen_fd = -1;
	worker->accept_closed = true;
}

static void on_accept(struct worker *worker, int result, unsigned int flags)
{
	struct server *server = worker->server;
	struct sockaddr_storage peer;
	socklen_t peer_length = sizeof(peer);
	uint64_t open;

	if (!(flags & IORING_CQE_F_MORE)) {
		worker->accepting = false;
		if (worker->stopping)
			close_listener(worker);
	}
	if (result < 0) {
		if (result != -ECANCELED && log_limit_allow(&accept_log, worker->now_ms))
			log_warn("accept failed: %s; retrying on the next tick", strerror(-result));
		return;
	}
	if (worker->stopping) {
		close(result);
		return;
	}
	stats_add(&server->stats.connections_accepted, 1);
	/* Read once: the limit counts and later releases this same address
	 * even if the peer resets the connection in between. */
	if (getpeername(result, (struct sockaddr *)&peer, &peer_length) != 0)
		memset(&peer, 0, sizeof(peer)); /* AF_UNSPEC: not counted per address */
	open = __atomic_add_fetch(&server->stats.connections_open, 1, __ATOMIC_RELAXED);
	if (open <= server->config.max_connections && connection_admit_address(worker, (struct sockaddr *)&peer)) {
		connection_open(worker, result, &peer, false);
		return;
	}
	__atomic_sub_fetch(&server->stats.connections_open, 1, __ATOMIC_RELAXED);
	if (worker->over_capacity_count >= OVER_CAPACITY_LIMIT) {
		/* Flooded past the cap: no room even to explain. */
		stats_add(&server->stats.connections_rejected, 1);
		close(result);
		return;
	}
	connection_open(worker, result, &peer, true);
}

/* After a burst (at least 1,024 more connections open at the peak than
 * now, and fewer than half the peak left) the heap's free pages go back to
 * the system: glibc keeps them otherwise, and a gateway that once served
 * 10,000 slaves would hold about 17 MiB more RSS for good. Steady churn
 * never trims: only a fall from a peak does, once per peak. */
#define TRIM_AFTER_FALL 1024

static void trim_heap_after_burst(struct worker *worker)
{
	unsigned int peak = worker->peak_since_trim;

	if (peak < worker->connection_count + TRIM_AFTER_FALL || worker->connection_count > peak / 2)
		return;
	worker->peak_since_trim = worker->connection_count;
	malloc_trim(0);
}

static void on_tick(struct worker *worker)
{
	struct connection *connection = worker->connections;

	while (connection != NULL) {
		struct connection *next = connection->next;

		connection_check_timeouts(connection, worker->now_ms);
		connection = next;
	}
	trim_heap_after_burst(worker);
	arm_accept(worker);
	arm_tick(worker);
}

/* The control thread changed a flag or finished a reload. */
static void on_wake(struct worker *worker, int result)
{
	struct server *server = worker->server;
	struct connection *connection;

	if (result < 0 && result != -EAGAIN && result != -EINTR)
		log_error_limited("event loop %u: reading its eventfd failed: %s", worker->index,
				  strerror(-result));
	if (__atomic_load_n(&server->stopping, __ATOMIC_ACQUIRE) && !worker->stopping) {
		worker->stopping = true;
		if (worker->accepting) {
			struct io_uring_sqe *sqe = worker_sqe(worker);

			io_uring_prep_cancel64(sqe, operation_data(worker, OPERATION_ACCEPT), 0);
			io_uring_sqe_set_data64(sqe, OPERATION_IGNORED);
		} else {
			close_listener(worker);
		}
		for (connection = worker->connections; connection != NULL;) {
			struct connection *next = connection->next;

			connection_on_stopping(connection);
			connection = next;
		}
	}
	if (__atomic_load_n(&server->cutting, __ATOMIC_ACQUIRE) && !worker->cutting) {
		worker->cutting = true;
		if (worker->connection_count > 0)
			log_warn("event loop %u: grace period over, cutting %u connections",
				 worker->index, worker->connection_count);
		for (connection = worker->connections; connection != NULL;) {
			struct connection *next = connection->next;

			connection_close(connection);
			connection = next;
		}
	}
	for (connection = worker->connections; connection != NULL;) {
		struct connection *next = connection->next;

		if (connection->state == CONNECTION_WAITING_RELOAD)
			connection_on_reload_done(connection);
		connection = next;
	}
	arm_wake(worker);
}

/* A completion copied out of the ring, so the ring has room again before
 * handlers run (and submit) anything. */
struct completion {
	uint64_t data;
	int result;
	unsigned int flags;
};

#define COMPLETION_BATCH 256

static void dispatch(struct worker *worker, const struct completion *completion)
{
	enum operation operation = (enum operation)(completion->data & OPERATION_MASK);
	void *pointer = (void *)(uintptr_t)(completion->data & ~OPERATION_MASK);

	switch (operation) {
	case OPERATION_IGNORED:
		break;
	case OPERATION_ACCEPT:
		on_accept(worker, completion->result, completion->flags);
		break;
	case OPERATION_TICK:
		on_tick(worker);
		break;
	case OPERATION_WAKE:
		on_wake(worker, completion->result);
		break;
	case OPERATION_SEND_GATE:
		send_gate_on_timer(worker);
		break;
	case OPERATION_RECV:
		connection_on_recv(pointer, completion->result, completion->flags);
		break;
	default:
		connection_on_transfer(pointer, operation, completion->result, completion->flags);
		break;
	}
}

/* Handles what the ring holds now, in batches; returns how many. */
static unsigned int reap(struct worker *worker)
{
	struct io_uring_cqe *cqes[COMPLETION_BATCH];
	struct completion batch[COMPLETION_BATCH];
	unsigned int total = 0;
	unsigned int count;

	do {
		count = io_uring_peek_batch_cqe(&worker->ring, cqes, COMPLETION_BATCH);
		for (unsigned int i = 0; i < count; i++) {
			batch[i].data = io_uring_cqe_get_data64(cqes[i]);
			batch[i].result = cqes[i]->res;
			batch[i].flags = cqes[i]->flags;
		}
		io_uring_cq_advance(&worker->ring, count);
		for (unsigned int i = 0; i < count; i++)
			dispatch(worker, &batch[i]);
		total += count;
	} while (count == COMPLETION_BATCH && total < COMPLETION_ENTRIES);
	return total;
}

/* Gives connections that found no free receive buffer another try. */
static void retry_buffer_waiters(struct worker *worker)
{
	struct connection *waiting = worker->buffer_waiters;

	worker->buffer_waiters = NULL;
	while (waiting != NULL) {
		struct connection *next = waiting->next_buffer_waiter;

		waiting->next_buffer_waiter = NULL;
		connection_retry_receive(waiting);
		waiting = next;
	}
}

static bool worker_done(struct worker *worker)
{
	return worker->stopping && !worker->accepting && worker->connection_count == 0;
}

static void run_loop(struct worker *worker)
{
	while (!worker_done(worker)) {
		int result = io_uring_submit_and_wait(&worker->ring, 1);

		if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY) {
			log_error_limited("event loop %u: io_uring_submit_and_wait: %s", worker->index,
					  strerror(-result));
			break;
		}
		update_clock(worker);
		reap(worker);
		if (worker->buffer_waiters != NULL)
			retry_buffer_waiters(worker);
	}
}

static int setup_buffers(struct worker *worker)
{
	struct io_uring_buf_reg registration;
	int result;

	worker->buffer_ring_bytes = WORKER_BUFFER_COUNT * sizeof(struct io_uring_buf);
	worker->buffer_ring = mmap(NULL, worker->buffer_ring_bytes, PROT_READ | PROT_WRITE,
				   MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (worker->buffer_ring == MAP_FAILED) {
		worker->buffer_ring = NULL;
		return -errno;
	}
	worker->buffers = malloc((size_t)WORKER_BUFFER_COUNT * WORKER_BUFFER_SIZE);
	if (worker->buffers == NULL)
		return -ENOMEM;
	memset(&registration, 0, sizeof(registration));
	registration.ring_addr = (uint64_t)(uintptr_t)worker->buffer_ring;
	registration.ring_entries = WORKER_BUFFER_COUNT;
	registration.bgid = 0;
	result = io_uring_register_buf_ring(&worker->ring, &registration, 0);
	if (result != 0)
		return result;
	io_uring_buf_ring_init(worker->buffer_ring);
	for (unsigned int i = 0; i < WORKER_BUFFER_COUNT; i++)
		io_uring_buf_ring_add(worker->buffer_ring,
				      worker->buffers + (size_t)i * WORKER_BUFFER_SIZE,
				      WORKER_BUFFER_SIZE, (unsigned short)i,
				      io_uring_buf_ring_mask(WORKER_BUFFER_COUNT), (int)i);
	io_uring_buf_ring_advance(worker->buffer_ring, WORKER_BUFFER_COUNT);
	return 0;
}

static int setup_ring(struct worker *worker)
{
	struct io_uring_params parameters;
	unsigned int limits[2] = { 0, SPLICE_WORKERS };
	int result;

	memset(&parameters, 0, sizeof(parameters));
	parameters.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL |
			   IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
			   IORING_SETUP_DEFER_TASKRUN;
	parameters.cq_entries = COMPLETION_ENTRIES;
	result = io_uring_queue_init_params(RING_ENTRIES, &worker->ring, &parameters);
	if (result == -EINVAL) {
		/* Kernels before 6.1: no single issuer / deferred task work. */
		memset(&parameters, 0, sizeof(parameters));
		parameters.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
		parameters.cq_entries = COMPLETION_ENTRIES;
		result = io_uring_queue_init_params(RING_ENTRIES, &worker->ring, &parameters);
	}
	if (result != 0)
		return result;
	worker->ring_ready = true;
	/* Splices run on io-wq threads; a splice to a socket blocks its thread
	 * until the pipe is sent (or the send timeout), so this bounds how many
	 * run at once; the others wait their turn in the io-wq queue. */
	result = io_uring_register_iowq_max_workers(&worker->ring, limits);
	if (result != 0)
		log_warn("event loop %u: cannot limit io-wq workers: %s", worker->index,
			 strerror(-result));
	result = splice_pipes_setup(worker, worker->server->config.max_connections);
	if (result != 0)
		return result;
	return setup_buffers(worker);
}

/* The send gate's mark: the one configured, or the host's low mark. A
 * gate that cannot work leaves sends as they were, and says so. */
static void setup_send_gate(struct worker *worker)
{
	const struct master_config *config = &worker->server->config;
	uint64_t mark_pages = config->tcp_memory_gate / tcp_memory_page_bytes();
	struct tcp_memory memory;
	int result;

	if (config->tcp_memory_gate_auto) {
		result = tcp_memory_read("/proc", &memory);
		if (result != 0) {
			if (worker->index == 0)
				log_warn("--tcp-memory-gate auto: cannot read net.ipv4.tcp_mem (%s); "
					 "sending without the gate", strerror(-result));
			return;
		}
		mark_pages = memory.low_pages;
	} else if (config->tcp_memory_gate != 0 && mark_pages == 0) {
		mark_pages = 1;
	}
	result = send_gate_open(&worker->send_gate, "/proc", mark_pages);
	if (result != 0) {
		if (worker->index == 0)
			log_warn("--tcp-memory-gate: cannot read /proc/net/sockstat (%s); sending without the gate",
				 strerror(-result));
		return;
	}
	if (worker->index == 0)
		__atomic_store_n(&worker->server->send_gate_pages, mark_pages, __ATOMIC_RELAXED);
}

int worker_setup(struct worker *worker)
{
	uint64_t tick_ms;
	const struct master_config *config = &worker->server->config;
	int result;

	worker->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (worker->wake_fd < 0)
		return -errno;
	result = setup_ring(worker);
	if (result != 0)
		return result;
	/* Ticks often enough to enforce the shortest timeout within a quarter. */
	tick_ms = config->header_timeout_ms < config->idle_timeout_ms ? config->header_timeout_ms
								      : config->idle_timeout_ms;
	tick_ms /= 4;
	if (tick_ms < 50)
		tick_ms = 50;
	if (tick_ms > 1000)
		tick_ms = 1000;
	worker->tick_interval.tv_sec = (long long)(tick_ms / 1000);
	worker->tick_interval.tv_nsec = (long long)(tick_ms % 1000) * 1000000;
	setup_send_gate(worker);
	update_clock(worker);
	arm_accept(worker);
	arm_tick(worker);
	arm_wake(worker);
	return 0;
}

void worker_teardown(struct worker *worker)
{
	if (worker->ring_ready) {
		io_uring_queue_exit(&worker->ring);
		worker->ring_ready = false;
	}
	/* Connections left only when setup failed half-way or the loop broke. */
	while (worker->connections != NULL) {
		struct connection *connection = worker->connections;

		worker->connections = connection->next;
		transfer_release(connection);
		free(connection->input);
		close(connection->fd);
		free(connection);
	}
	send_gate_close(&worker->send_gate);
	splice_pipes_teardown(worker);
	if (worker->buffer_ring != NULL)
		munmap(worker->buffer_ring, worker->buffer_ring_bytes);
	worker->buffer_ring = NULL;
	free(worker->buffers);
	worker->buffers = NULL;
	if (worker->wake_fd >= 0)
		close(worker->wake_fd);
	worker->wake_fd = -1;
	if (worker->listen_fd >= 0)
		close(worker->listen_fd);
	worker->listen_fd = -1;
}

void *worker_main(void *argument)
{
	struct worker *worker = argument;
	uint64_t one = 1;

	/* The ring is created here: a single-issuer ring belongs to the thread
	 * that creates it. */
	worker->setup_result = worker_setup(worker);
	sem_post(&worker->server->workers_started);
	if (worker->setup_result == 0)
		run_loop(worker);
	if (write(worker->server->finished_fd, &one, sizeof(one)) < 0)
		log_error("event loop %u: cannot report its end: %s", worker->index, strerror(errno));
	return NULL;
}
