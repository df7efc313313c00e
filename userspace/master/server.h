/* The server: one event loop per thread, each with its own io_uring, its
 * own SO_REUSEPORT listening socket and its own connections; a control
 * thread (main) for signals, manifest reloads and shutdown. Shared state
 * is only the image store, the statistics and a few atomic flags. */
#ifndef CASCADE_MASTER_SERVER_H
#define CASCADE_MASTER_SERVER_H

#include <liburing.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "master/address_limit.h"
#include "master/config.h"
#include "master/http_response.h"
#include "master/image.h"
#include "master/cpu_meter.h"
#include "master/group_meter.h"
#include "master/relay.h"
#include "master/send_gate.h"
#include "master/stats.h"

struct connection;

/* What an SQE was for, kept in the low bits of its user_data (the rest is
 * the worker or connection pointer, both 16-byte aligned). */
enum operation {
	OPERATION_IGNORED = 0,   /* cancellations */
	OPERATION_ACCEPT,
	OPERATION_TICK,
	OPERATION_WAKE,
	OPERATION_RECV,
	OPERATION_SEND,          /* in-memory head or body */
	OPERATION_SPLICE_IN,     /* image file -> pipe */
	OPERATION_SPLICE_OUT,    /* pipe -> socket */
	OPERATION_POLL_OUT,      /* wait for room in the socket */
	OPERATION_SEND_ZC,       /* image mapping -> socket, zero copy */
	OPERATION_RELAY_WAIT,    /* receiving image: wait for verified bytes (relay.h) */
	OPERATION_SEND_COPY,     /* image mapping -> socket, copied by the kernel */
	OPERATION_SEND_GATE,     /* the send gate's timer (send_gate.h) */
};
#define OPERATION_MASK 0xfull

#define WORKER_BUFFER_COUNT 1024   /* provided receive buffers per ring (power of 2) */
#define WORKER_BUFFER_SIZE  2048

struct worker {
	struct server *server;
	unsigned int index;
	pthread_t thread;
	bool thread_started;
	int setup_result;
	struct io_uring ring;
	bool ring_ready;
	int listen_fd;
	int wake_fd;                    /* eventfd: control thread -> this loop */
	uint64_t wake_value;
	struct __kernel_timespec tick_interval;

	struct io_uring_buf_ring *buffer_ring;
	size_t buffer_ring_bytes;
	char *buffers;

	struct connection *connections; /* all of this loop's connections */
	unsigned int connection_count;
	unsigned int peak_since_trim;   /* most connections open at once since the heap was last trimmed */
	unsigned int large_bodies;      /* responses with a body over SMALL_BODY in progress */
	unsigned int over_capacity_count;
	struct connection *buffer_waiters; /* waiting for a free receive buffer */
	struct send_gate send_gate;     /* image sends held while the host's TCP memory is high */

	unsigned int *free_pairs;       /* fixed-file slot pairs for splice pipes */
	unsigned int free_pair_count;

	bool accepting;                 /* multishot accept armed */
	bool accept_closed;             /* listening socket gone (shutdown) */
	bool stopping;
	bool cutting;
	uint64_t now_ms;
	int64_t date_second;
	char date[HTTP_DATE_LENGTH];
} __attribute__((aligned(16)));

struct server {
	struct master_config config;
	struct image_store store;
	struct stats stats;
	struct worker *workers;
	unsigned int worker_count;
	sem_t workers_started;
	uint64_t pipe_size;

	/* Control thread <-> loops. */
	int stopping;                   /* SIGTERM received */
	int cutting;                    /* grace period over */
	int reload_fd;                  /* eventfd: loops ask the control thread to reload */
	int reverify_requested;         /* an image changed on disk: reload to re-verify */
	uint64_t reload_requested;      /* tickets handed out */
	uint64_t reload_completed;      /* every ticket up to this is answered */
	int last_reload_error;
	int finished_fd;                /* eventfd: a loop has exited */
	int mark_unavailable;           /* SO_MARK refused (not root): stop trying */
	uint16_t listen_port;           /* the bound port (port 0 resolved) */
	uint64_t send_gate_pages;       /* the send gate's mark in force (send_gate.h); 0: off */
	struct master_group_meter group_meter;  /* eBPF group egress meter, or why not */
	struct master_cpu_meter cpu_meter;      /* CPU occupancy for /-/stats and /metrics */
	struct address_limit address_limit; /* --max-connections-per-address */
	struct relay relay;             /* receiving images and piece lists (relay.h) */
};

/* Sets up listening sockets, rings and the first table; starts the loops. */
int server_start(struct server *server, const struct master_config *config);
/* Wakes every loop (after a flag changed or a reload finished). */
void server_wake_workers(struct server *server);
/* Joins the loops and frees everything. */
void server_stop(struct server *server);
/* Runs the control loop until shutdown completes; returns the exit code. */
int control_run(struct server *server);

/* Event loop of one worker (worker.c). */
void *worker_main(void *argument);
int worker_setup(struct worker *worker);
/* Frees what worker_setup made (after the thread ended). */
void worker_teardown(struct worker *worker);
/* An SQE, submitting pending ones first when the ring is full; never NULL. */
struct io_uring_sqe *worker_sqe(struct worker *worker);
/* Makes room for count linked SQEs in one submission. */
void worker_reserve(struct worker *worker, unsigned int count);
void worker_return_buffer(struct worker *worker, unsigned int buffer_id);

static inline uint64_t operation_data(void *pointer, enum operation operation)
{
	return (uint64_t)(uintptr_t)pointer | (uint64_t)operation;
}

#endif
