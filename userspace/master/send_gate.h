/* Holding image sends back while the host's TCP memory is over a mark.
 *
 * A socket buffer of every connection fills as fast as the kernel lets it:
 * thousands of them together pass net.ipv4.tcp_mem's pressure mark, and
 * from there the kernel shrinks every buffer and window, prunes receive
 * queues and drops segments to be sent again, which costs every core more
 * per byte. A loop whose gate is closed (the TCP memory at or over the
 * mark) sends no further body bytes: each connection that would is put in
 * a first-in first-out queue and a 1 ms timer looks again; below the mark
 * the queue is let go in order, about as many connections as the room
 * left would take. At least one goes per tick whatever the memory, so no
 * download stops while another program holds the host's TCP memory. */
#ifndef CASCADE_MASTER_SEND_GATE_H
#define CASCADE_MASTER_SEND_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/time_types.h>

struct connection;

struct send_gate {
	int sockstat_fd;                /* /proc/net/sockstat, read again with pread; -1: off */
	uint64_t mark_pages;            /* closed at or over this; 0: never */
	uint64_t pages;                 /* the host's TCP memory at the last read */
	uint64_t read_ms;               /* when it was read (the loop's clock) */
	struct connection *first;       /* held connections, oldest first */
	struct connection *last;
	unsigned int held;
	bool timer_armed;
	struct __kernel_timespec interval;
};

/* Before worker setup: a gate that is off and holds nothing. */
void send_gate_init(struct send_gate *gate);
/* Opens proc_root/net/sockstat; mark_pages 0 leaves the gate off. */
int send_gate_open(struct send_gate *gate, const char *proc_root, uint64_t mark_pages);
void send_gate_close(struct send_gate *gate);
/* true when connection may not send body bytes now: it is queued, and the
 * loop's timer armed (worker.c calls send_gate_on_timer when it expires). */
bool send_gate_holds(struct connection *connection);
/* The loop's gate timer expired: lets held connections go as the memory
 * allows (each once past the gate) and re-arms while any are left. */
struct worker;
void send_gate_on_timer(struct worker *worker);
/* A held connection is freed: takes it out of the queue. */
void send_gate_forget(struct send_gate *gate, struct connection *connection);

#endif
