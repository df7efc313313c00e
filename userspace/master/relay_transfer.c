/* Sending a receiving image: only its verified bytes, and waiting for more
 * without holding a thread (see relay.h). The wait is an io_uring poll of
 * the image's current signal (an eventfd written when the verified prefix
 * grows or the file ends), linked to a timeout slice, so a connection
 * closed meanwhile is freed within one slice; each completion makes the
 * connection decide again from the counters. */
#include "master/relay.h"

#include <inttypes.h>
#include <poll.h>

#include "common/log.h"
#include "master/connection.h"
#include "common/log_limit.h"

static struct log_limit end_log = LOG_LIMIT_INITIALIZER("relay stream end", 10);

static struct receiving *receiving_of(const struct connection *connection)
{
	const struct image *image = connection->image;

	return image != NULL && image->relay != NULL ? image->relay->receiving : NULL;
}

uint64_t relay_readable_end(const struct connection *connection)
{
	struct receiving *receiving = receiving_of(connection);
	uint64_t verified;

	if (receiving == NULL)
		return connection->body_end;
	verified = receiving_verified_bytes(receiving);
	return verified < connection->body_end ? verified : connection->body_end;
}

bool relay_may_send(struct connection *connection, bool *wait)
{
	struct receiving *receiving = receiving_of(connection);
	struct relay *relay = &connection->worker->server->relay;
	uint64_t now = connection->worker->now_ms, verified = 0;
	uint64_t waited = now > connection->progress_ms ? now - connection->progress_ms : 0;
	struct relay_signal *signal = NULL;
	char peer[64];

	*wait = false;
	relay_wait_release(connection);
	if (receiving == NULL || connection->pipe_bytes > 0)
		return true;
	switch (receiving_decide(receiving, connection->body_next, waited, relay->wait_timeout_ms, &signal, &verified)) {
	case RELAY_READY:
		return true;
	case RELAY_WAIT:
		connection->relay_signal = signal;
		*wait = true;
		return true;
	case RELAY_END:
		break;
	}
	if (receiving_has_ended(receiving))
		__atomic_add_fetch(&relay->streams_ended, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&relay->wait_timeouts, 1, __ATOMIC_RELAXED);
	if (log_limit_allow(&end_log, now)) {
		connection_peer_text(connection, peer, sizeof(peer));
		log_warn("%s: closing the stream of receiving image %s at byte %" PRIu64 " of %" PRIu64 ": %s", peer,
			 connection->image->name, connection->body_next, connection->image->size,
			 receiving_has_ended(receiving) ? "the file was given up"
							: "no newly verified piece within --relay-wait-timeout");
	}
	connection_close(connection);
	return false;
}

void relay_wait_submit(struct connection *connection)
{
	struct relay *relay = &connection->worker->server->relay;
	struct io_uring_sqe *sqe = worker_sqe(connection->worker);

	__atomic_add_fetch(&relay->waits, 1, __ATOMIC_RELAXED);
	io_uring_prep_poll_add(sqe, connection->relay_signal->fd, POLLIN);
	io_uring_sqe_set_data64(sqe, operation_data(connection, OPERATION_RELAY_WAIT));
	sqe->flags |= IOSQE_IO_LINK;
	connection->pending++;
	/* The slice lives in the relay (read when the ring is submitted);
	 * its completion carries no connection and is ignored. */
	sqe = worker_sqe(connection->worker);
	io_uring_prep_link_timeout(sqe, &relay->wait_slice, 0);
	io_uring_sqe_set_data64(sqe, OPERATION_IGNORED);
}

void relay_wait_done(struct connection *connection, int result)
{
	(void)result;   /* signalled, or the slice ran out: decide again either way */
	relay_wait_release(connection);
}

void relay_wait_release(struct connection *connection)
{
	relay_signal_release(connection->relay_signal);
	connection->relay_signal = NULL;
}
