/* Per-request deadlines of the CWMP listener (see connection_guard.h). */
#include "acs/connection_guard.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/parse.h"

/* At most this many slow clients are named in the log per check. */
#define LOGGED_PER_CHECK 5

struct guarded_connection {
	struct guarded_connection *previous, *next;
	int fd;
	bool waiting;            /* between two requests: the next one is due */
	bool cut;                /* already shut down */
	uint64_t since_ms;       /* waiting and idle: the last check that saw it idle */
	uint64_t bytes_before;   /* bytes received up to the end of the last request */
	char peer[64];
};

/* Bytes the kernel received on the socket so far (TCP_INFO), or -1 when
 * it cannot say (then every waiting connection counts as started). */
static int64_t bytes_received(int fd)
{
	struct tcp_info info;
	socklen_t length = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0 ||
	    length < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received))
		return -1;
	return (int64_t)info.tcpi_bytes_received;
}

void connection_guard_init(struct connection_guard *guard, uint64_t request_timeout_ms)
{
	memset(guard, 0, sizeof(*guard));
	pthread_mutex_init(&guard->lock, NULL);
	guard->request_timeout_ms = request_timeout_ms;
	guard->ready = true;
}

void connection_guard_destroy(struct connection_guard *guard)
{
	if (!guard->ready)
		return;
	while (guard->head) {
		struct guarded_connection *next = guard->head->next;

		free(guard->head);
		guard->head = next;
	}
	pthread_mutex_destroy(&guard->lock);
	guard->ready = false;
}

struct guarded_connection *connection_guard_open(struct connection_guard *guard, int fd,
						 const struct sockaddr *peer)
{
	struct guarded_connection *connection = calloc(1, sizeof(*connection));

	if (!connection)
		return NULL;
	connection->fd = fd;
	connection->waiting = true;
	connection->since_ms = monotonic_ms();
	if (peer)
		format_socket_address(peer, connection->peer, sizeof(connection->peer));
	pthread_mutex_lock(&guard->lock);
	connection->next = guard->head;
	if (guard->head)
		guard->head->previous = connection;
	guard->head = connection;
	pthread_mutex_unlock(&guard->lock);
	return connection;
}

void connection_guard_close(struct connection_guard *guard, struct guarded_connection *connection)
{
	if (!connection)
		return;
	pthread_mutex_lock(&guard->lock);
	if (connection->previous)
		connection->previous->next = connection->next;
	else
		guard->head = connection->next;
	if (connection->next)
		connection->next->previous = connection->previous;
	pthread_mutex_unlock(&guard->lock);
	free(connection);
}

static void set_waiting(struct connection_guard *guard, struct guarded_connection *connection, bool waiting)
{
	if (!connection)
		return;
	pthread_mutex_lock(&guard->lock);
	connection->waiting = waiting;
	connection->since_ms = monotonic_ms();
	pthread_mutex_unlock(&guard->lock);
}

void connection_guard_request_received(struct connection_guard *guard, struct guarded_connection *connection)
{
	int64_t bytes;

	if (!connection)
		return;
	bytes = bytes_received(connection->fd);
	pthread_mutex_lock(&guard->lock);
	connection->bytes_before = bytes > 0 ? (uint64_t)bytes : 0;
	pthread_mutex_unlock(&guard->lock);
	set_waiting(guard, connection, false);
}

void connection_guard_reply_sent(struct connection_guard *guard, struct guarded_connection *connection)
{
	set_waiting(guard, connection, true);
}

unsigned int connection_guard_check(struct connection_guard *guard, uint64_t now_ms)
{
	unsigned int cut = 0;

	pthread_mutex_lock(&guard->lock);
	for (struct guarded_connection *connection = guard->head; connection; connection = connection->next) {
		int64_t bytes;

		if (!connection->waiting || connection->cut)
			continue;
		/* Not a byte of a next request yet: an idle keep-alive (or a fresh
		 * connection that says nothing) is no slow client. libmicrohttpd's
		 * connection timeout closes it; the deadline starts with its first byte. */
		bytes = bytes_received(connection->fd);
		if (bytes >= 0 && (uint64_t)bytes <= connection->bytes_before) {
			connection->since_ms = now_ms;
			continue;
		}
		if (now_ms < connection->since_ms || now_ms - connection->since_ms < guard->request_timeout_ms)
			continue;
		/* The socket stays open (libmicrohttpd closes it): no race with
		 * a descriptor number being reused. */
		shutdown(connection->fd, SHUT_RDWR);
		connection->cut = true;
		if (cut++ < LOGGED_PER_CHECK)
			log_warn("cwmp: %s: request not complete after %llu ms; closing the connection (slow client)",
				 connection->peer, (unsigned long long)guard->request_timeout_ms);
	}
	if (cut > LOGGED_PER_CHECK)
		log_warn("cwmp: %u more slow clients closed", cut - LOGGED_PER_CHECK);
	guard->closed_total += cut;
	pthread_mutex_unlock(&guard->lock);
	return cut;
}
