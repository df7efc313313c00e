/* One client connection and its state machine:
 *
 *   READING ──head parsed──▶ RESPONDING ──done, keep-alive──▶ READING
 *      │                        │   (head send, then body by splice or send_zc)
 *      │ POST /-/reload         └──done, close──▶ LINGERING ──EOF/timeout──▶ closed
 *      ▼
 *   WAITING_RELOAD ──reload answered──▶ RESPONDING
 *
 * Lifetime: every SQE for a connection counts in `pending` until its
 * completion arrived; every send_zc completion flagged IORING_CQE_F_MORE
 * adds one to `notifications`, taken off by its IORING_CQE_F_NOTIF.
 * Decisions are taken only when pending drops to zero (connection_advance),
 * and memory (struct, response head, image reference and so the mapping)
 * is freed only when both are zero, so no completion can name freed
 * state. This holds only because no send_zc is ever linked behind another
 * SQE: the kernel posts a notification for a send_zc cancelled by a broken
 * link without announcing it (transfer.c). A connection held by the send
 * gate (send_gate.h) has nothing pending: it waits in its loop's queue and
 * leaves it when let go or freed.
 * Memory per connection is bounded: the struct, a request head buffer
 * only while a head arrives in pieces (at most 8 KiB + one receive
 * buffer), and the response head while it is sent. */
#ifndef CASCADE_MASTER_CONNECTION_H
#define CASCADE_MASTER_CONNECTION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "master/pacing.h"
#include "master/server.h"
#include "master/splice_pipe.h"

/* A client that cannot take a pipe-full within this is switched from
 * blocking splices to POLLOUT waits (transfer.c). */
#define SPLICE_SEND_TIMEOUT_MS 250
/* A body up to this size is about one socket buffer: auto mode sends it
 * with sendfile in the loop. Larger ones count in worker->large_bodies. */
#define SMALL_BODY (256u << 10)

enum connection_state {
	CONNECTION_READING,
	CONNECTION_RESPONDING,
	CONNECTION_WAITING_RELOAD,
	CONNECTION_LINGERING,
};

enum body_method {
	BODY_NONE,
	BODY_SPLICE,       /* file -> pipe -> socket, io-wq */
	BODY_COPY,         /* SENDMSG from the image mapping */
	BODY_SENDFILE,     /* sendfile in the loop, POLLOUT through the ring */
	BODY_ZERO_COPY,    /* SENDMSG_ZC from the image mapping */
};

struct connection {
	struct worker *worker;
	struct connection *previous;
	struct connection *next;
	struct connection *next_buffer_waiter;
	struct connection *next_held;  /* held by the send gate: its queue, both ways */
	struct connection *previous_held;
	int fd;
	enum connection_state state;
	bool closing;
	bool over_capacity;            /* accepted past the cap: answer 503 */
	bool keep_alive;
	bool socket_full;              /* last splice to the socket fell short */
	bool polling;                  /* slow client: non-blocking socket, POLLOUT first */
	bool waiting_for_buffer;
	bool held_by_gate;             /* in the send gate's queue: no body bytes now */
	bool passes_gate;              /* let go by the gate: its next send does not ask it */
	bool head_request;             /* HEAD: never a body, even for errors */
	unsigned int busy;             /* inside a handler: decisions (and free) wait */
	unsigned int pending;
	unsigned int notifications;
	int status;
	uint64_t state_since_ms;       /* entered the current wait */
	uint64_t head_started_ms;      /* first byte of the request head */
	uint64_t progress_ms;          /* last completion that moved bytes */

	/* Request head bytes received so far (only while incomplete). */
	char *input;
	uint32_t input_length;
	uint32_t input_capacity;

	/* Response head (and in-memory body) and how much of it is sent. */
	char *output;
	uint32_t output_length;
	uint32_t output_sent;

	/* Image body: bytes [body_next, body_end) still to read or send. */
	struct image *image;
	enum body_method body_method;
	uint64_t body_next;
	uint64_t body_end;
	uint64_t body_total;
	uint64_t send_buffer;          /* SO_SNDBUF set on the socket; 0: the kernel's sizing */
	struct pacing_watch pacing;    /* how its reader acknowledges large bodies (pacing.h) */
	struct splice_pipe pipe;
	uint32_t pipe_bytes;           /* spliced in, not yet out */
	uint32_t splice_requested;     /* length of the splice to the socket in flight */
	/* copy and send_zc: the head still unsent and the next body chunk,
	 * sent as one unlinked SENDMSG(_ZC) (transfer.c says why). */
	struct msghdr mapped_message;
	struct iovec mapped_parts[2];
	struct group_counters *group;
	struct relay_signal *relay_signal; /* receiving image: the signal waited on (relay.h) */
	uint32_t mark;                 /* SO_MARK currently set on the socket */
	uint64_t reload_ticket;

	union {
		struct sockaddr address;
		struct sockaddr_in ipv4;
		struct sockaddr_in6 ipv6;
	} peer;
} __attribute__((aligned(16)));

/* A freshly accepted socket and its peer's address (AF_UNSPEC: unknown),
 * the one the per-address limit counted. */
void connection_open(struct worker *worker, int fd, const struct sockaddr_storage *peer, bool over_capacity);
void connection_on_recv(struct connection *connection, int result, unsigned int flags);
/* Completions of the response operations (transfer.c). */
void connection_on_transfer(struct connection *connection, enum operation operation,
			    int result, unsigned int flags);
/* Decides the next step once nothing is pending. */
void connection_advance(struct connection *connection);
/* Stops the connection: cancels what is pending, frees when all is back. */
void connection_close(struct connection *connection);
/* Re-arms a receive that failed for lack of buffers. */
void connection_retry_receive(struct connection *connection);
/* Called by the timer: closes or answers 408 when a deadline passed. */
void connection_check_timeouts(struct connection *connection, uint64_t now_ms);
/* Shutdown began: idle connections close, busy ones stop keep-alive. */
void connection_on_stopping(struct connection *connection);
/* A reload finished: answers a waiting POST /-/reload. */
void connection_on_reload_done(struct connection *connection);

/* Request handling (request.c): routes a parsed request to a response. */
struct http_request;
void request_handle(struct connection *connection, const struct http_request *request);
/* Queues a complete in-memory response (head + optional body). */
void respond_in_memory(struct connection *connection, int status, const char *content_type,
		       const char *body, size_t body_length, bool head_only);
/* true when the image's file still holds the verified content. Otherwise
 * (overwritten in place) logs it once, asks the control thread to verify
 * it again, and returns false: it must not be served under its digest. */
bool image_still_verified(struct server *server, struct image *image);
/* Answers with a short text body explaining the status; logs the reason. */
void respond_error(struct connection *connection, int status, const char *reason);

/* Body transfer (transfer.c): submits the next operations of a response. */
void transfer_submit(struct connection *connection);
bool transfer_finished(const struct connection *connection);
/* The response's body counts in worker->large_bodies. */
bool transfer_is_large(const struct connection *connection);
/* Counts a body the pacing capped (result 1), or says once that it could not. */
void transfer_pacing_result(struct connection *connection, int result);
void transfer_release(struct connection *connection);

/* Peer address as text for logs. */
void connection_peer_text(const struct connection *connection, char *out, size_t size);

#endif
