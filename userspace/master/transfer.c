/* Sending a response: the head (and in-memory bodies) with a plain send,
 * image bodies without a user-space copy, by one of two paths:
 *
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
 *  send_zc: IORING_OP_SENDMSG_ZC of [unsent head, next body chunk from the
 *           image's read-only mapping], one unlinked SQE per chunk. Each
 *           completion flagged IORING_CQE_F_MORE is followed by one
 *           notification CQE (IORING_CQE_F_NOTIF) when the kernel lets go of
 *           the pages; the response (head buffer, image reference, hence the
 *           mapping) and the connection are released only after every
 *           notification arrived.
 *
 * Why a send_zc is never linked: when the SQE before it in a chain fails
 * (a head send hit by a reset), the kernel completes the send_zc with
 * -ECANCELED and no IORING_CQE_F_MORE, yet still posts a notification for
 * it afterwards (kernel 6.18; the cancelled request's cleanup flushes its
 * notification). Nothing in the first CQE says a second is coming, so a
 * connection freed on it was used after free when the notification
 * arrived. Unlinked, a send_zc is always issued, and an issued send_zc
 * announces its notification with F_MORE on every path (success, error,
 * cancellation), which is what the `notifications` count relies on.
 *
 * Every submission is planned from the connection's counters alone, so a
 * broken chain, a short send or a partial splice all resume the same way.
 * The order of operations of one response, in transfer_submit:
 * 1. the head (output) not yet sent, 2. the body by the connection's
 * body_method; a new way of producing body bytes adds a body_method and
 * its submit and completion functions here. */
#include "master/connection.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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

/* Largest send_zc: bounds the pages one connection pins at a time. */
#define ZERO_COPY_CHUNK (4u << 20)

static struct log_limit abort_log = LOG_LIMIT_INITIALIZER("client gone", 10);
static struct log_limit transfer_log = LOG_LIMIT_INITIALIZER("transfer error", 10);
static struct log_limit notification_log = LOG_LIMIT_INITIALIZER("unexpected notification", 5);

bool transfer_finished(const struct connection *connection)
{
	return connection->output_sent == connection->output_length &&
	       connection->body_next == connection->body_end && connection->pipe_bytes == 0;
}

void transfer_release(struct connection *connection)
{
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

/* The unsent head and the next body chunk, in one unlinked SENDMSG_ZC. */
static void submit_zero_copy(struct connection *connection)
{
	struct msghdr *message = &connection->zero_copy_message;
	struct iovec *parts = connection->zero_copy_parts;
	struct io_uring_sqe *sqe;
	uint64_t left = connection->body_end - connection->body_next;
	unsigned int length = (unsigned int)(left < ZERO_COPY_CHUNK ? left : ZERO_COPY_CHUNK);
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
	io_uring_prep_sendmsg_zc(sqe, connection->fd, message,
				 MSG_NOSIGNAL | MSG_WAITALL | (left > length ? MSG_MORE : 0));
	sqe->ioprio = IORING_SEND_ZC_REPORT_USAGE;
	prepare(connection, sqe, OPERATION_SEND_ZC, false);
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

	if (body_left && connection->body_method == BODY_ZERO_COPY) {
		submit_zero_copy(connection);
		return;
	}
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

static void count_body_bytes(struct connection *connection, uint64_t bytes, bool zero_copy)
{
	struct stats *stats = &connection->worker->server->stats;

	stats_add(&stats->bytes_sent, bytes);
	stats_add(zero_copy ? &stats->zc_bytes : &stats->splice_bytes, bytes);
	stats_add(&connection->image->counters->bytes, bytes);
	if (connection->group != NULL)
		stats_add(&connection->group->bytes, bytes);
	connection->progress_ms = connection->worker->now_ms;
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

static void on_send_zero_copy(struct connection *connection, int result, unsigned int flags)
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
			count_body_bytes(connection, (uint64_t)result - head_part, true);
		}
	} else if (result != -ECANCELED) {
		transfer_failed(connection, "send_zc", result == 0 ? -EPIPE : result);
	}
}

void connection_on_transfer(struct connection *connection, enum operation operation,
			    int result, unsigned int flags)
{
	/* A failure below closes the connection; it is freed only at the end. */
	connection->busy++;
	switch (operation) {
	case OPERATION_SEND_ZC:
		on_send_zero_copy(connection, result, flags);
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
