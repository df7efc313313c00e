/* Connection life cycle: accept, receive request heads into provided
 * buffers, hand complete heads to request handling, keep-alive or a
 * lingering close after the response, timeouts, and freeing once the
 * kernel holds nothing of the connection any more. */
#include "master/connection.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "master/http_request.h"
#include "common/log_limit.h"

/* Head bytes kept while a head arrives in pieces: the limit plus one
 * receive buffer, so the parser can tell "over the limit" apart. */
#define INPUT_MAX (HTTP_HEAD_LIMIT + WORKER_BUFFER_SIZE)
/* How long a closing connection waits for the client's end. */
#define LINGER_MS 2000

static struct log_limit timeout_log = LOG_LIMIT_INITIALIZER("timeout", 10);
static struct log_limit receive_log = LOG_LIMIT_INITIALIZER("receive error", 10);

void connection_peer_text(const struct connection *connection, char *out, size_t size)
{
	format_socket_address(&connection->peer.address, out, size);
}

static void receive(struct connection *connection)
{
	struct io_uring_sqe *sqe = worker_sqe(connection->worker);

	io_uring_prep_recv(sqe, connection->fd, NULL, WORKER_BUFFER_SIZE, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 0;
	io_uring_sqe_set_data64(sqe, operation_data(connection, OPERATION_RECV));
	connection->pending++;
}

void connection_open(struct worker *worker, int fd, const struct sockaddr_storage *peer, bool over_capacity)
{
	struct connection *connection = calloc(1, sizeof(*connection));
	/* A splice to this socket gives its io-wq thread back after this. */
	struct timeval send_timeout = { 0, SPLICE_SEND_TIMEOUT_MS * 1000 };
	int one = 1;

	if (connection == NULL) {
		log_error_limited("out of memory for a new connection; closing it");
		if (!over_capacity) {
			__atomic_sub_fetch(&worker->server->stats.connections_open, 1, __ATOMIC_RELAXED);
			address_limit_release(&worker->server->address_limit, (const struct sockaddr *)peer);
		}
		close(fd);
		return;
	}
	connection->worker = worker;
	connection->fd = fd;
	connection->over_capacity = over_capacity;
	connection->send_buffer = worker->server->config.send_buffer; /* the listener's */
	splice_pipe_reset(&connection->pipe);
	connection->state = CONNECTION_READING;
	connection->state_since_ms = worker->now_ms;
	memcpy(&connection->peer, peer, sizeof(connection->peer));
	/* Heads go out with MSG_MORE and bodies with SPLICE_F_MORE, so Nagle
	 * is not needed to coalesce, and would delay keep-alive answers. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
	connection->next = worker->connections;
	if (worker->connections != NULL)
		worker->connections->previous = connection;
	worker->connections = connection;
	worker->connection_count++;
	if (worker->connection_count > worker->peak_since_trim)
		worker->peak_since_trim = worker->connection_count;
	if (over_capacity)
		worker->over_capacity_count++;
	receive(connection);
}

static void remove_buffer_waiter(struct connection *connection)
{
	struct connection **link = &connection->worker->buffer_waiters;

	while (*link != NULL && *link != connection)
		link = &(*link)->next_buffer_waiter;
	if (*link == connection)
		*link = connection->next_buffer_waiter;
	connection->waiting_for_buffer = false;
}

static void connection_free(struct connection *connection)
{
	struct worker *worker = connection->worker;

	if (connection->waiting_for_buffer)
		remove_buffer_waiter(connection);
	if (connection->held_by_gate)
		send_gate_forget(&worker->send_gate, connection);
	if (connection->previous != NULL)
		connection->previous->next = connection->next;
	else
		worker->connections = connection->next;
	if (connection->next != NULL)
		connection->next->previous = connection->previous;
	worker->connection_count--;
	if (connection->over_capacity) {
		worker->over_capacity_count--;
	} else {
		__atomic_sub_fetch(&worker->server->stats.connections_open, 1, __ATOMIC_RELAXED);
		address_limit_release(&worker->server->address_limit, &connection->peer.address);
	}
	transfer_release(connection);
	free(connection->input);
	close(connection->fd);
	free(connection);
}

void connection_close(struct connection *connection)
{
	if (connection->closing)
		return;
	connection->closing = true;
	if (connection->pending > 0) {
		struct io_uring_sqe *sqe = worker_sqe(connection->worker);

		/* Stops receives, polls and sends on the socket; splices into a
		 * pipe finish on their own (they never wait). */
		io_uring_prep_cancel_fd(sqe, connection->fd, IORING_ASYNC_CANCEL_ALL);
		io_uring_sqe_set_data64(sqe, OPERATION_IGNORED);
		shutdown(connection->fd, SHUT_RDWR);
	}
	connection_advance(connection);
}

static void drop_input(struct connection *connection)
{
	free(connection->input);
	connection->input = NULL;
	connection->input_length = 0;
	connection->input_capacity = 0;
}

/* Appends received bytes to the head buffer (bounded by INPUT_MAX). */
static int keep_input(struct connection *connection, const char *data, size_t length)
{
	size_t wanted = connection->input_length + length;

	if (wanted > INPUT_MAX)
		length = INPUT_MAX - connection->input_length;
	wanted = connection->input_length + length;
	if (wanted > connection->input_capacity) {
		size_t capacity = connection->input_capacity ? connection->input_capacity * 2 : 1024;
		char *grown;

		while (capacity < wanted)
			capacity *= 2;
		if (capacity > INPUT_MAX)
			capacity = INPUT_MAX;
		grown = realloc(connection->input, capacity);
		if (grown == NULL)
			return -ENOMEM;
		connection->input = grown;
		connection->input_capacity = (uint32_t)capacity;
	}
	memcpy(connection->input + connection->input_length, data, length);
	connection->input_length += (uint32_t)length;
	return 0;
}

/* Parses a head from data; answers it, or keeps the bytes and reads on.
 * from_input: data is connection->input (consumed here). */
static void take_head(struct connection *connection, const char *data, size_t length,
		      bool from_input)
{
	struct http_request request;
	enum http_parse_result result;

	if (connection->head_started_ms == 0)
		connection->head_started_ms = connection->worker->now_ms;
	result = http_request_parse(data, length, &request);
	if (result == HTTP_PARSE_INCOMPLETE) {
		if (!from_input && keep_input(connection, data, length) != 0) {
			respond_error(connection, 500, "out of memory for a request head");
			return;
		}
		receive(connection);
		return;
	}
	if (result == HTTP_PARSE_ERROR) {
		if (from_input)
			drop_input(connection);
		respond_error(connection, request.error_status, request.error_reason);
		return;
	}
	/* Bytes after the head are the next pipelined request. */
	if (!from_input && request.head_length < length &&
	    keep_input(connection, data + request.head_length, length - request.head_length) != 0) {
		respond_error(connection, 500, "out of memory for a pipelined request");
		return;
	}
	connection->head_started_ms = 0;
	/* request points into data: nothing may be freed or submitted until
	 * the handler is done with it. */
	connection->busy++;
	request_handle(connection, &request);
	connection->busy--;
	if (from_input) {
		connection->input_length -= (uint32_t)request.head_length;
		memmove(connection->input, connection->input + request.head_length,
			connection->input_length);
		if (connection->input_length == 0)
			drop_input(connection);
	}
	connection_advance(connection);
}

static void on_recv(struct connection *connection, int result, unsigned int flags)
{
	struct worker *worker = connection->worker;
	bool has_buffer = (flags & IORING_CQE_F_BUFFER) != 0;
	unsigned int buffer_id = flags >> IORING_CQE_BUFFER_SHIFT;
	const char *data = worker->buffers + (size_t)buffer_id * WORKER_BUFFER_SIZE;

	if (connection->closing || result <= 0) {
		if (has_buffer)
			worker_return_buffer(worker, buffer_id);
		if (result == -ENOBUFS && !connection->closing) {
			connection->waiting_for_buffer = true;
			connection->next_buffer_waiter = worker->buffer_waiters;
			worker->buffer_waiters = connection;
			return;
		}
		if (result < 0 && result != -ECANCELED && result != -ECONNRESET &&
		    !connection->closing && log_limit_allow(&receive_log, worker->now_ms)) {
			char peer[64];

			connection_peer_text(connection, peer, sizeof(peer));
			log_warn("%s: receive failed: %s", peer, strerror(-result));
		}
		connection_close(connection);
		return;
	}
	if (connection->state == CONNECTION_LINGERING) {
		worker_return_buffer(worker, buffer_id);
		receive(connection);
		return;
	}
	if (connection->input_length == 0) {
		take_head(connection, data, (size_t)result, false);
	} else if (keep_input(connection, data, (size_t)result) != 0) {
		respond_error(connection, 500, "out of memory for a request head");
	} else {
		take_head(connection, connection->input, connection->input_length, true);
	}
	worker_return_buffer(worker, buffer_id);
}

void connection_on_recv(struct connection *connection, int result, unsigned int flags)
{
	connection->pending--;
	/* Whatever happens inside, the connection is freed only below. */
	connection->busy++;
	on_recv(connection, result, flags);
	connection->busy--;
	connection_advance(connection);
}

void connection_retry_receive(struct connection *connection)
{
	connection->waiting_for_buffer = false;
	if (connection->closing)
		connection_advance(connection);
	else
		receive(connection);
}

/* The response is out: read the next request, or close politely. */
static void finish_response(struct connection *connection)
{
	struct worker *worker = connection->worker;

	transfer_release(connection);
	connection->state_since_ms = worker->now_ms;
	if (connection->keep_alive && !worker->stopping) {
		connection->state = CONNECTION_READING;
		if (connection->input_length > 0)
			take_head(connection, connection->input, connection->input_length, true);
		else
			receive(connection);
		return;
	}
	/* Half-close and drain what the client still sends, so our last bytes
	 * are not destroyed by a reset. */
	drop_input(connection);
	connection->state = CONNECTION_LINGERING;
	shutdown(connection->fd, SHUT_WR);
	receive(connection);
}

/* Decides the next step once nothing is pending. A transfer step may make
 * progress without any SQE (inline sends), so it is evaluated again, a
 * bounded number of times; busy keeps the connection from being freed
 * under transfer_submit. */
void connection_advance(struct connection *connection)
{
	for (unsigned int step = 0; step < 4; step++) {
		if (connection->pending > 0 || connection->waiting_for_buffer || connection->busy > 0 ||
		    (connection->held_by_gate && !connection->closing))
			return;
		if (connection->closing) {
			if (connection->notifications == 0)
				connection_free(connection);
			return;
		}
		if (connection->state != CONNECTION_RESPONDING)
			return;
		if (!transfer_finished(connection)) {
			connection->busy++;
			transfer_submit(connection);
			connection->busy--;
			continue;
		}
		if (connection->notifications > 0)
			return;   /* the kernel still references send_zc pages */
		finish_response(connection);
		return;
	}
}

static void log_timeout(struct connection *connection, const char *what, uint64_t limit_ms)
{
	char peer[64];

	stats_add(&connection->worker->server->stats.connections_timed_out, 1);
	if (!log_limit_allow(&timeout_log, connection->worker->now_ms))
		return;
	connection_peer_text(connection, peer, sizeof(peer));
	log_warn("%s: %s for %llu ms; closing", peer, what, (unsigned long long)limit_ms);
}

void connection_check_timeouts(struct connection *connection, uint64_t now_ms)
{
	const struct master_config *config = &connection->worker->server->config;

	if (connection->closing)
		return;
	switch (connection->state) {
	case CONNECTION_READING:
		if (connection->head_started_ms != 0 &&
		    now_ms - connection->head_started_ms >= config->header_timeout_ms) {
			stats_count_status(&connection->worker->server->stats, 408);
			log_timeout(connection, "request head incomplete", config->header_timeout_ms);
			connection_close(connection);
		} else if (connection->head_started_ms == 0 &&
			   now_ms - connection->state_since_ms >= config->idle_timeout_ms) {
			stats_add(&connection->worker->server->stats.connections_timed_out, 1);
			connection_close(connection);
		}
		break;
	case CONNECTION_RESPONDING:
		if (now_ms - connection->progress_ms >= config->idle_timeout_ms) {
			log_timeout(connection, "client not reading the response",
				    config->idle_timeout_ms);
			connection_close(connection);
		}
		break;
	case CONNECTION_WAITING_RELOAD:
		if (now_ms - connection->state_since_ms >= config->idle_timeout_ms)
			respond_error(connection, 503, "reload did not finish in time");
		break;
	case CONNECTION_LINGERING:
		if (now_ms - connection->state_since_ms >= LINGER_MS ||
		    now_ms - connection->state_since_ms >= config->idle_timeout_ms)
			connection_close(connection);
		break;
	}
}

void connection_on_stopping(struct connection *connection)
{
	connection->keep_alive = false;
	if (connection->state == CONNECTION_READING && connection->head_started_ms == 0)
		connection_close(connection);
}
