/* Slow clients on the CWMP listener. libmicrohttpd's connection timeout
 * ([acs] connection-timeout) only closes connections that send nothing at
 * all; a slowloris that trickles one byte at a time keeps its connection
 * forever. The guard gives every request a deadline: from its first byte
 * (the kernel's count of bytes received, TCP_INFO, grows past what the
 * previous requests took), the request head and body must arrive within
 * [acs] request-timeout. A connection past it is shut down (shutdown(2) on
 * its socket: libmicrohttpd sees the end of the stream and closes it on its
 * own thread), counted and logged with the peer. A connection with no byte
 * of a next request (an idle keep-alive, a fresh connection that says
 * nothing) is no slow client: libmicrohttpd's connection timeout closes it,
 * uncounted. Time spent by the ACS itself (handling, waiting for a commit)
 * never counts. The main loop's tick does the checking. Thread-safe. */
#ifndef CASCADE_ACS_CONNECTION_GUARD_H
#define CASCADE_ACS_CONNECTION_GUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct guarded_connection;

struct connection_guard {
	pthread_mutex_t lock;
	struct guarded_connection *head;
	uint64_t request_timeout_ms;
	uint64_t closed_total;       /* connections cut for being slow */
	bool ready;
};

void connection_guard_init(struct connection_guard *guard, uint64_t request_timeout_ms);
void connection_guard_destroy(struct connection_guard *guard);
/* A new connection (socket fd, peer address for the log). NULL when out
 * of memory (that connection is then not guarded). */
struct guarded_connection *connection_guard_open(struct connection_guard *guard, int fd,
						 const struct sockaddr *peer);
/* The connection is gone (before libmicrohttpd closes the socket). */
void connection_guard_close(struct connection_guard *guard, struct guarded_connection *connection);
/* The whole request arrived: the ACS works on it, no deadline. */
void connection_guard_request_received(struct connection_guard *guard, struct guarded_connection *connection);
/* The reply is sent: the next request's deadline starts now. */
void connection_guard_reply_sent(struct connection_guard *guard, struct guarded_connection *connection);
/* Shuts down connections past their deadline; returns how many. */
unsigned int connection_guard_check(struct connection_guard *guard, uint64_t now_ms);

#endif
