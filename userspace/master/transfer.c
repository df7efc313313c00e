/* Sending a response: the head (and in-memory bodies) with a plain send,
 * image bodies without a user-space copy, by one of four paths (which one
 * when: request.c, body_method_for, and the table in docs/master.md):
 *
 *  sendfile: send(head, MSG_MORE) and sendfile(socket, image) called in the
 *           event loop on a non-blocking socket, until the socket is full;
 *           then a POLL_ADD(POLLOUT) through the ring, and on again. No
 *           pipe, no io-wq thread, no copy: the page-cache pages go by
 *           reference. Auto mode's path for bodies of about one socket
 *           buffer, and for large unmapped images once a loop is busy.
 *  splice:  [send head, MSG_MORE] -> splice file->pipe -> splice pipe->socket,
 *           linked SQEs (IOSQE_IO_LINK). A short splice breaks the chain
 *           (the rest completes -ECANCELED); what is left in the pipe goes
 *           out next. io_uring runs splices on io-wq threads; the socket is
 *           blocking, so a splice to it sends the whole pipe-full in one
 *           operation, its thread sleeping while the socket buffer drains:
 *           two operations per pipe-full and no POLLOUT round trips through
 *           the event loop (measured: 1.5-2x the throughput of non-blocking
 *           splices at 1,000 clients). SO_SNDTIMEO bounds that sleep; a
 *           client too slow to take a pipe-full within it is switched to a
 *           non-blocking socket and POLLOUT waits (linked before each splice),
 *           so slow clients never hold io-wq threads.
 *  copy:    IORING_OP_SENDMSG of [unsent head, next body chunk from the
 *           image's read-only mapping], one unlinked SQE per chunk: the
 *           kernel copies the page-cache pages into socket buffers in the
 *           loop's own context (no pipe, no io-wq). Auto mode's path for
 *           images over 256 KiB up to --copy-max-size while the loop sends
 *           fewer than --copy-until large bodies; every
 *           --mapped-resident-max bytes copied the mapping's pages are
 *           dropped (image_count_copied) so they do not pile up in the RSS.
 *  send_zc: the same with IORING_OP_SENDMSG_ZC. Each completion flagged
 *           IORING_CQE_F_MORE is followed by one notification CQE
 *           (IORING_CQE_F_NOTIF) when the kernel lets go of the pages; the
 *           response (head buffer, image reference, hence the mapping) and
 *           the connection are released only after every notification
 *           arrived.
 *
 * Why a send_zc (and so either mapped send) is never linked: when the SQE
 * before it in a chain fails (a head send hit by a reset), the kernel
 * completes the send_zc with -ECANCELED and no IORING_CQE_F_MORE, yet
 * still posts a notification for it afterwards (kernel 6.18; the cancelled
 * request's cleanup flushes its notification). Nothing in the first CQE
 * says a second is coming, so a connection freed on it was used after free
 * when the notification arrived. Unlinked, a send_zc is always issued, and
 * an issued send_zc announces its notification with F_MORE on every path
 * (success, error, cancellation), which is what the `notifications` count
 * relies on.
 *
 * Every path asks the send gate (send_gate.h) before new body bytes: while
 * the host's TCP memory is over its mark the connection waits in the
 * gate's queue, with nothing pending, until the gate lets it go.
 *
 * Every submission is planned from the connection's counters alone, so a
 * broken chain, a short send or a partial splice all resume the same way.
 * The order of operations of one response, in transfer_submit:
 * 1. the head (output) not yet sent, 2. the body by the connection's
 * body_method (in the same SQE for the mapped methods); a new way of
 * producing body bytes adds a body_method with its submit function (called
 * from transfer_submit) and its completion function (dispatched from
 * connection_on_transfer), and keeps the lifetime rule of connection.h. */
#include "master/connection.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "common/log.h"
#include "common/log_limit.h"
#include "master/relay.h"

#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

/* Largest mapped send (copy or send_zc): bounds the pages one connection
 * pins at a time and the bytes one completion stands for. */
#define MAPPED_CHUNK (4u << 20)

static struct log_limit abort_log = LOG_LIMIT_INITIALIZER("client gone", 10);
static struct log_limit transfer_log = LOG_LIMIT_INITIALIZER("transfer error", 10);
static struct log_limit notification_log = LOG_LIMIT_INITIALIZER("unexpected notification", 5);
static struct log_limit pacing_log = LOG_LIMIT_INITIALIZER("pacing", 1);

bool transfer_finished(const struct connection *connection)
{
	return connection->output_sent == connection->output_length &&
	       connection->body_next == connection->body_end && connection->pipe_bytes == 0;
}

bool transfer_is_large(const struct connection *connection)
{
	return connection->body_method != BODY_NONE && connection->body_total > SMALL_BODY;
}

void transfer_release(struct connection *connection)
{
	if (transfer_is_large(connection))
		connection->worker->large_bodies--;
	free(connection->output);
	connection->output = NULL;
	connection->output_length = 0;
	connection->output_sent = 0;
	image_release(connection->image);
	connection->image = NULL;
	connection->body_method = BODY_NONE;
	connection->body_next = 0;
	connection->body_end = 0;
	connection->body_total = 0;
	connection->group = NULL;
	connection->socket_full = false;
	connection->head_request = false;
	splice_pipe_close(connection->worker, &connection->pipe);
	connection->pipe_bytes = 0;
	relay_wait_release(connection);
}

static void prepare(struct connection *connection, struct io_uring_sqe *sqe,
		    enum operation operation, bool link)
{
	io_uring_sqe_set_data64(sqe, operation_data(connection, operation));
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	connection->pending++;
}

/* pipe -> socket; the pipe end may be a fixed file. */
static void splice_out(struct connection *connection, unsigned int length, unsigned int more)
{
	struct io_uring_sqe *sqe = worker_sqe(connection->worker);
	unsigned int flags = more | SPLICE_F_NONBLOCK;

	if (connection->pipe.fixed)
		flags |= SPLICE_F_FD_IN_FIXED;
	io_uring_prep_splice(sqe, connection->pipe.read_fd, -1, connection->fd, -1, length, flags);
	prepare(connection, sqe, OPERATION_SPLICE_OUT, false);
	connection->splice_requested = length;
	stats_add(&connection->worker->server->stats.splice_operations, 1);
}

static void transfer_failed(struct connection *connection, const char *what, int error);

/* Before each body chunk after the first (the first was checked with the
 * request): an image overwritten in place meanwhile would reach the client
 * as a mix under the old digest; it gets a short body instead. */
static bool image_chunk_allowed(struct connection *connection)
{
	uint64_t first = connection->body_end - connection->body_total;

	if (connection->body_next == first ||
	    image_still_verified(connection->worker->server, connection->image))
		return true;
	transfer_failed(connection, "reading the image (changed on disk)", -ESTALE);
	return false;
}

static void submit_splice(struct connection *connection)
{
	struct worker *worker = connection->worker;
	struct io_uring_sqe *sqe;
	/* A receiving image: only up to its verified bytes (relay.h). */
	uint64_t left = relay_readable_end(connection) - connection->body_next;
	unsigned int more;

	if (connection->pipe_bytes > 0) {
		more = left > 0 ? SPLICE_F_MORE : 0;
		if (connection->socket_full) {
			sqe = worker_sqe(worker);
			io_uring_prep_poll_add(sqe, connection->fd, POLLOUT);
			prepare(connection, sqe, OPERATION_POLL_OUT, true);
			stats_add(&worker->server->stats.socket_full_waits, 1);
		}
		splice_out(connection, connection->pipe_bytes, more);
		return;
	}
	if (left == 0 || !image_chunk_allowed(connection))
		return;
	{
		uint64_t chunk = connection->pipe.capacity;
		unsigned int length = (unsigned int)(left < chunk ? left : chunk);

		more = left > length ? SPLICE_F_MORE : 0;
		sqe = worker_sqe(worker);
		io_uring_prep_splice(sqe, connection->image->fd, (int64_t)connection->body_next,
				     connection->pipe.write_fd, -1, length, 0);
		if (connection->pipe.fixed)
			sqe->flags |= IOSQE_FIXED_FILE;
		prepare(connection, sqe, OPERATION_SPLICE_IN, true);
		stats_add(&worker->server->stats.splice_operations, 1);
		splice_out(connection, length, more);
	}
}

/* The unsent head and the next body chunk from the image mapping, in one
 * unlinked SENDMSG (copy) or SENDMSG_ZC. */
static void submit_mapped(struct connection *connection, bool zero_copy)
{
	struct msghdr *message = &connection->mapped_message;
	struct iovec *parts = connection->mapped_parts;
	struct io_uring_sqe *sqe;
	uint64_t left = connection->body_end - connection->body_next;
	unsigned int length = (unsigned int)(left < MAPPED_CHUNK ? left : MAPPED_CHUNK);
	int flags = MSG_NOSIGNAL | MSG_WAITALL | (left > length ? MSG_MORE : 0);
	size_t count = 0;

	if (!image_chunk_allowed(connection))
		return;
	memset(message, 0, sizeof(*message));
	if (connection->output_sent < connection->output_length) {
		parts[count].iov_base = connection->output + connection->output_sent;
		parts[count].iov_len = connection->output_length - connection->output_sent;
		count++;
	}
	parts[count].iov_base = (void *)(connection->image->map + connection->body_next);
	parts[count].iov_len = length;
	count++;
	message->msg_iov = parts;
	message->msg_iovlen = count;
	sqe = worker_sqe(connection->worker);
	if (zero_copy) {
		io_uring_prep_sendmsg_zc(sqe, connection->fd, message, flags);
		sqe->ioprio = IORING_SEND_ZC_REPORT_USAGE;
		prepare(connection, sqe, OPERATION_SEND_ZC, false);
	} else {
		io_uring_prep_sendmsg(sqe, connection->fd, message, flags);
		prepare(connection, sqe, OPERATION_SEND_COPY, false);
	}
}

static void count_body_bytes(struct connection *connection, uint64_t bytes, bool zero_copy);

static void arm_pollout(struct connection *connection)
{
	struct io_uring_sqe *sqe = worker_sqe(connection->worker);

	io_uring_prep_poll_add(sqe, connection->fd, POLLOUT);
	prepare(connection, sqe, OPERATION_POLL_OUT, false);
	stats_add(&connection->worker->server->stats.socket_full_waits, 1);
}

/* Calls per turn of one connection in the sendfile path, and the body
 * bytes it may send before the loop serves the others. */
#define INLINE_CALLS 64
#define INLINE_BUDGET (1u << 20)

/* The sendfile path: head by send(MSG_MORE), body by sendfile, both in the
 * loop and non-blocking; POLLOUT through the ring when the socket is full
 * (or the turn's budget is spent). A step may finish the response without
 * any SQE: connection_advance then looks again. */
static void submit_inline(struct connection *connection)
{
	uint64_t budget = INLINE_BUDGET;
	unsigned int calls = 0;

	if (!connection->polling) {
		int flags = fcntl(connection->fd, F_GETFL);

		if (flags < 0 || fcntl(connection->fd, F_SETFL, flags | O_NONBLOCK) != 0) {
			transfer_failed(connection, "making the socket non-blocking", -errno);
			return;
		}
		connection->polling = true;
	}
	while (connection->output_sent < connection->output_length && calls++ < INLINE_CALLS) {
		ssize_t sent = send(connection->fd, connection->output + connection->output_sent,
				    connection->output_length - connection->output_sent,
				    MSG_NOSIGNAL | MSG_DONTWAIT |
				    (connection->body_next < connection->body_end ? MSG_MORE : 0));

		if (sent > 0) {
			connection->output_sent += (uint32_t)sent;
			connection->progress_ms = connection->worker->now_ms;
		} else if (sent < 0 && errno == EAGAIN) {
			arm_pollout(connection);
			return;
		} else if (!(sent < 0 && errno == EINTR)) {
			transfer_failed(connection, "sending the response head", sent == 0 ? -EPIPE : -errno);
			return;
		}
	}
	if (connection->output_sent < connection->output_length) {
		arm_pollout(connection);
		return;
	}
	if (connection->body_next < connection->body_end &&
	    (!image_chunk_allowed(connection) || send_gate_holds(connection)))
		return;
	while (connection->body_next < connection->body_end && budget > 0 && calls++ < INLINE_CALLS) {
		uint64_t left = connection->body_end - connection->body_next;
		off_t offset = (off_t)connection->body_next;
		ssize_t sent = sendfile(connection->fd, connection->image->fd, &offset,
					left < budget ? left : budget);

		if (sent > 0) {
			connection->body_next += (uint64_t)sent;
			budget -= (uint64_t)sent;
			count_body_bytes(connection, (uint64_t)sent, false);
		} else if (sent < 0 && errno == EAGAIN) {
			break;
		} else if (!(sent < 0 && errno == EINTR)) {
			transfer_failed(connection, "sendfile", sent == 0 ? -EIO : -errno);
			return;
		}
	}
	if (connection->body_next < connection->body_end)
		arm_pollout(connection);
}

void transfer_submit(struct connection *connection)
{
	bool body_left = connection->body_method != BODY_NONE &&
			 (connection->body_next < connection->body_end || connection->pipe_bytes > 0);
	bool relay_wait = false;

	/* A receiving image with nothing verified past body_next: wait. */
	if (body_left && !relay_may_send(connection, &relay_wait))
		return;
	if (relay_wait)
		body_left = false;

	if (connection->body_method == BODY_SENDFILE) {
		submit_inline(connection);
		return;
	}
	if (body_left && (connection->body_method == BODY_ZERO_COPY ||
			  connection->body_method == BODY_COPY)) {
		/* The head goes with the first chunk: both wait at the gate. */
		if (!send_gate_holds(connection))
			submit_mapped(connection, connection->body_method == BODY_ZERO_COPY);
		return;
	}
	/* A new pipe-full (not what is already in the pipe) waits at the gate,
	 * before any SQE of the chain is prepared. */
	if (body_left && connection->body_method == BODY_SPLICE && connection->pipe_bytes == 0 &&
	    send_gate_holds(connection))
		return;
	if (body_left && connection->body_method == BODY_SPLICE && connection->pipe.read_fd < 0) {
		int error = splice_pipe_open(connection->worker, &connection->pipe,
					     connection->worker->server->pipe_size);

		if (error != 0) {
			if (log_limit_allow(&transfer_log, connection->worker->now_ms))
				log_error("cannot create a pipe for splice: %s", strerror(-error));
			connection_close(connection);
			return;
		}
	}
	/* A chain must go in one submission: room for head + poll + 2 splices. */
	worker_reserve(connection->worker, 4);
	if (connection->output_sent < connection->output_length) {
		struct io_uring_sqe *sqe = worker_sqe(connection->worker);

		io_uring_prep_send(sqe, connection->fd, connection->output + connection->output_sent,
				   connection->output_length - connection->output_sent,
				   MSG_NOSIGNAL | MSG_WAITALL | (body_left ? MSG_MORE : 0));
		prepare(connection, sqe, OPERATION_SEND, body_left);
	}
	if (relay_wait)
		relay_wait_submit(connection);
	if (body_left)
		submit_splice(connection);
}

void transfer_pacing_result(struct connection *connection, int result)
{
	if (result > 0)
		stats_add(&connection->worker->server->stats.paced_bodies, 1);
	else if (result < 0 && log_limit_allow(&pacing_log, connection->worker->now_ms))
		log_warn("pacing a large body: %s; it goes unpaced", strerror(-result));
}

/* Body bytes, in the totals and by send method; the pacing watch looks at
 * the connection's counts (pacing.h). */
static void count_body_bytes(struct connection *connection, uint64_t bytes, bool zero_copy)
{
	struct stats *stats = &connection->worker->server->stats;
	uint64_t *by_method = zero_copy ? &stats->zc_bytes
			      : connection->body_method == BODY_COPY     ? &stats->copy_bytes
			      : connection->body_method == BODY_SENDFILE ? &stats->sendfile_bytes
									 : &stats->splice_bytes;

	stats_add(&stats->bytes_sent, bytes);
	stats_add(by_method, bytes);
	stats_add(&connection->image->counters->bytes, bytes);
	if (connection->group != NULL)
		stats_add(&connection->group->bytes, bytes);
	connection->progress_ms = connection->worker->now_ms;
	if (connection->pacing.looking)
		transfer_pacing_result(connection, pacing_body_progress(connection->fd,
									&connection->worker->server->config.pacing,
									&connection->pacing));
}

/* The client went away (or the file failed): log with the peer, close. */
static void transfer_failed(struct connection *connection, const char *what, int error)
{
	struct worker *worker = connection->worker;
	bool client_gone = error == -EPIPE || error == -ECONNRESET;
	char peer[64];

	if (connection->closing)
		return;
	if (client_gone)
		stats_add(&worker->server->stats.connections_aborted, 1);
	if (log_limit_allow(client_gone ? &abort_log : &transfer_log, worker->now_ms)) {
		uint64_t left = connection->body_end - connection->body_next + connection->pipe_bytes;

		connection_peer_text(connection, peer, sizeof(peer));
		log_warn("%s: %s failed (%s) with %" PRIu64 " of %" PRIu64 " body bytes unsent%s%s",
			 peer, what, strerror(-error), left, connection->body_total,
			 connection->image ? " of image " : "",
			 connection->image ? connection->image->name : "");
	}
	connection_close(connection);
}

static void on_splice_in(struct connection *connection, int result)
{
	if (result > 0) {
		connection->pipe_bytes += (uint32_t)result;
		connection->body_next += (uint64_t)result;
	} else if (result == 0) {
		transfer_failed(connection, "reading the image (file shrank)", -EIO);
	} else if (result != -ECANCELED) {
		transfer_failed(connection, "splice from the image", result);
	}
}

/* The client could not take a pipe-full within the send timeout: from now
 * on its socket is non-blocking and each splice waits for POLLOUT first. */
static void switch_to_polling(struct connection *connection)
{
	int flags = fcntl(connection->fd, F_GETFL);

	connection->socket_full = true;
	if (connection->polling)
		return;
	if (flags >= 0 && fcntl(connection->fd, F_SETFL, flags | O_NONBLOCK) == 0) {
		connection->polling = true;
		stats_add(&connection->worker->server->stats.slow_clients, 1);
	}
}

static void on_splice_out(struct connection *connection, int result)
{
	if (result > 0) {
		connection->pipe_bytes -= (uint32_t)result;
		count_body_bytes(connection, (uint64_t)result, false);
		if ((uint32_t)result < connection->splice_requested)
			switch_to_polling(connection);
		else
			connection->socket_full = false;
	} else if (result == -EAGAIN) {
		switch_to_polling(connection);
	} else if (result != -ECANCELED) {
		transfer_failed(connection, "splice to the socket", result == 0 ? -EPIPE : result);
	}
}

/* Completion of a mapped send (copy or send_zc); the bytes count for the
 * head first, then the body. */
static void on_send_mapped(struct connection *connection, int result, unsigned int flags,
			   bool zero_copy)
{
	struct stats *stats = &connection->worker->server->stats;

	if (flags & IORING_CQE_F_NOTIF) {
		if (connection->notifications == 0) {
			/* Never expected (see the top of this file); counted
			 * nowhere rather than wrapping the count. */
			if (log_limit_allow(&notification_log, connection->worker->now_ms))
				log_error("send_zc notification that no completion announced");
			return;
		}
		connection->notifications--;
		stats_add(&stats->zc_notifications, 1);
		if ((unsigned int)result & IORING_NOTIF_USAGE_ZC_COPIED)
			stats_add(&stats->zc_copied_notifications, 1);
		return;
	}
	connection->pending--;
	if (flags & IORING_CQE_F_MORE)
		connection->notifications++;
	if (result > 0) {
		uint32_t head_left = connection->output_length - connection->output_sent;
		uint32_t head_part = (uint32_t)result < head_left ? (uint32_t)result : head_left;

		connection->output_sent += head_part;
		connection->progress_ms = connection->worker->now_ms;
		if ((uint32_t)result > head_part) {
			connection->body_next += (uint64_t)result - head_part;
			count_body_bytes(connection, (uint64_t)result - head_part, zero_copy);
			if (!zero_copy)
				image_count_copied(&connection->worker->server->store,
						   connection->image, (uint64_t)result - head_part);
		}
	} else if (result != -ECANCELED) {
		transfer_failed(connection, zero_copy ? "send_zc" : "sending the image",
				result == 0 ? -EPIPE : result);
	}
}

void connection_on_transfer(struct connection *connection, enum operation operation,
			    int result, unsigned int flags)
{
	/* A failure below closes the connection; it is freed only at the end. */
	connection->busy++;
	switch (operation) {
	case OPERATION_SEND_ZC:
		on_send_mapped(connection, result, flags, true);
		break;
	case OPERATION_SEND_COPY:
		on_send_mapped(connection, result, flags, false);
		break;
	case OPERATION_SEND:
		connection->pending--;
		if (result > 0) {
			connection->output_sent += (uint32_t)result;
			connection->progress_ms = connection->worker->now_ms;
		} else if (result != -ECANCELED) {
			transfer_failed(connection, "sending the response head",
					result == 0 ? -EPIPE : result);
		}
		break;
	case OPERATION_SPLICE_IN:
		connection->pending--;
		on_splice_in(connection, result);
		break;
	case OPERATION_SPLICE_OUT:
		connection->pending--;
		on_splice_out(connection, result);
		break;
	case OPERATION_RELAY_WAIT:
		connection->pending--;
		relay_wait_done(connection, result);
		break;
	case OPERATION_POLL_OUT:
		connection->pending--;
		if (result < 0 && result != -ECANCELED)
			transfer_failed(connection, "waiting for the socket", result);
		else if (result > 0)
			connection->socket_full = false;
		break;
	default:
		log_error("completion of unknown operation %d", (int)operation);
		connection->pending--;
		break;
	}
	connection->busy--;
	connection_advance(connection);
}
