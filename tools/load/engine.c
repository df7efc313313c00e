/* The load engine's epoll loops: connect (bounded burst, spread over source
 * addresses), send one GET, parse the head, take the body, close. With
 * --reset-randomly each client instead resets its connection (SO_LINGER 0
 * + close) at a point chosen from the seed: half-way through its request,
 * right after it, a few bytes into the response head, or part-way through
 * the body. */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "response.h"

#define SCRATCH_BYTES (256u << 10)
#define EVENTS_PER_WAIT 256
#define HEAD_MAX 16384

enum client_state { CLIENT_IDLE, CLIENT_CONNECTING, CLIENT_SENDING, CLIENT_HEAD, CLIENT_BODY,
		    CLIENT_DONE };

/* Where a --reset-randomly client resets its connection. */
enum reset_point {
	RESET_NEVER,
	RESET_MID_REQUEST,               /* after half of the request */
	RESET_AFTER_REQUEST,             /* as soon as the request is sent */
	RESET_IN_HEAD,                   /* after reset_after bytes of the head */
	RESET_IN_BODY,                   /* after reset_fraction of the body */
};

struct client {
	int fd;
	enum client_state state;
	enum client_error error;
	uint32_t sent;
	uint32_t head_length;
	char *head;                      /* only while a head arrives in pieces */
	uint64_t body_length;
	uint64_t received;
	uint64_t finished_ns;
	struct sha256_stream *hash;
	unsigned int index;              /* global, picks the source address */
	enum reset_point reset_point;
	uint64_t reset_after;            /* bytes of the head, or of the body */
	double reset_fraction;           /* RESET_IN_BODY: share of the body first */
	uint32_t responses_on_connection;/* --duration: complete responses on this connection */
};

struct loop {
	const struct load_options *options;
	struct download_sink *sink;
	pthread_t thread;
	struct client *clients;
	unsigned int count;
	unsigned int next_to_start;
	unsigned int connecting;
	unsigned int unfinished;
	int epoll_fd;
	char *scratch;
	const char *request;
	size_t request_length;
	uint64_t start_ns;
	uint64_t deadline_ns;
	uint64_t end_ns;
	pthread_barrier_t *barrier;
	uint64_t bytes;                  /* read by the progress reporter */
	uint64_t completed;
	uint64_t errors[CLIENT_ERROR_KINDS];
	uint64_t client_resets;
	bool ending;                     /* --duration is over: stop without counting */
	int status;
};

const char *client_error_name(enum client_error error)
{
	static const char *const names[] = { "none", "connect", "reset", "timeout", "status",
					     "header", "short", "size", "hash", "output" };

	return error < CLIENT_ERROR_KINDS ? names[error] : "unknown";
}

static void start_client(struct loop *loop, struct client *client);
static void watch(struct loop *loop, struct client *client, uint32_t events, int operation);

/* --duration: a client goes on until the end of the run. After a complete
 * response it sends the next request on the same connection; after an
 * error (counted) or the server closing an idle keep-alive connection (not
 * an error) it opens a new connection. Returns false when it cannot go on
 * (connect failures end it, so a refusing server cannot spin it). */
static bool continue_client(struct loop *loop, struct client *client, enum client_error error)
{
	bool idle_close = client->responses_on_connection > 0 &&
			  ((client->state == CLIENT_HEAD && client->head == NULL &&
			    (error == CLIENT_ERROR_SHORT || error == CLIENT_ERROR_RESET)) ||
			   (client->state == CLIENT_SENDING && error == CLIENT_ERROR_RESET));

	if (error == CLIENT_ERROR_CONNECT || client->state == CLIENT_CONNECTING)
		return false;
	free(client->head);
	client->head = NULL;
	client->sent = 0;
	client->head_length = 0;
	client->body_length = 0;
	client->received = 0;
	if (error == CLIENT_OK) {
		__atomic_add_fetch(&loop->completed, 1, __ATOMIC_RELAXED);
		client->responses_on_connection++;
		client->state = CLIENT_SENDING;
		watch(loop, client, EPOLLOUT, EPOLL_CTL_MOD);
		return true;
	}
	if (!idle_close)
		loop->errors[error]++;
	close(client->fd);
	client->fd = -1;
	client->responses_on_connection = 0;
	start_client(loop, client);
	return true;
}

static void finish_client(struct loop *loop, struct client *client, enum client_error error)
{
	if (client->state == CLIENT_DONE)
		return;
	if (loop->options->duration_ms > 0 && !loop->ending && continue_client(loop, client, error))
		return;
	if (loop->ending)
		error = CLIENT_OK; /* in flight at the end of a timed run: neither */
	if (client->state == CLIENT_CONNECTING)
		loop->connecting--;
	if (client->fd >= 0)
		close(client->fd);
	client->fd = -1;
	free(client->head);
	client->head = NULL;
	if (client->hash != NULL && error == CLIENT_OK) {
		uint8_t digest[SHA256_DIGEST_BYTES];

		if (sha256_stream_finish(client->hash, digest) != 0 ||
		    memcmp(digest, loop->options->sha256, sizeof(digest)) != 0)
			error = CLIENT_ERROR_HASH;
		client->hash = NULL;
	}
	sha256_stream_free(client->hash);
	client->hash = NULL;
	client->state = CLIENT_DONE;
	client->error = error;
	client->finished_ns = monotonic_ns();
	loop->unfinished--;
	if (loop->ending)
		return;
	if (error == CLIENT_OK)
		__atomic_add_fetch(&loop->completed, 1, __ATOMIC_RELAXED);
	else if (error == CLIENT_RESET_PLANNED)
		loop->client_resets++;
	else
		loop->errors[error]++;
}

/* Ends the connection with a reset (RST), not a FIN. */
static void reset_client(struct loop *loop, struct client *client)
{
	struct linger linger = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(client->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger));
	finish_client(loop, client, CLIENT_RESET_PLANNED);
}

/* splitmix64: a well-mixed value from the seed and the client's index. */
static uint64_t mix(uint64_t value)
{
	value += 0x9e3779b97f4a7c15ull;
	value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
	value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
	return value ^ (value >> 31);
}

/* Out of 16 clients: 2 reset half-way through the request, 3 right after
 * it, 2 inside the response head, 7 inside the body, 2 never. */
static void choose_reset_point(const struct load_options *options, struct client *client)
{
	uint64_t random = mix(options->seed * 0x100000001b3ull + client->index);
	unsigned int kind = (unsigned int)(random & 15);

	random >>= 4;
	if (kind < 2) {
		client->reset_point = RESET_MID_REQUEST;
	} else if (kind < 5) {
		client->reset_point = RESET_AFTER_REQUEST;
	} else if (kind < 7) {
		client->reset_point = RESET_IN_HEAD;
		client->reset_after = 1 + random % 96;
	} else if (kind < 14) {
		client->reset_point = RESET_IN_BODY;
		/* Often the very start of the body, else anywhere in it. */
		client->reset_fraction = (random & 1) ? 0.0 : (double)((random >> 1) % 1000000) / 1e6;
	} else {
		client->reset_point = RESET_NEVER;
	}
}

static int open_socket(struct loop *loop, struct client *client)
{
	const struct load_options *options = loop->options;
	int fd = socket(options->url.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	if (options->has_source_range && options->url.address.ss_family == AF_INET) {
		struct sockaddr_in source = { .sin_family = AF_INET };

		source.sin_addr.s_addr =
			htonl(options->source_first + client->index % options->source_count);
		/* The port is chosen at connect, per destination: no exhaustion. */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&source, sizeof(source)) != 0) {
			int error = -errno;

			close(fd);
			return error;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void watch(struct loop *loop, struct client *client, uint32_t events, int operation)
{
	struct epoll_event event = { .events = events, .data.ptr = client };

	if (epoll_ctl(loop->epoll_fd, operation, client->fd, &event) != 0)
		finish_client(loop, client, CLIENT_ERROR_CONNECT);
}

static void send_request(struct loop *loop, struct client *client);

static void start_client(struct loop *loop, struct client *client)
{
	int fd = open_socket(loop, client);

	if (fd < 0) {
		client->state = CLIENT_IDLE;
		finish_client(loop, client, CLIENT_ERROR_CONNECT);
		return;
	}
	client->fd = fd;
	if (loop->options->reset_randomly)
		choose_reset_point(loop->options, client);
	if (loop->options->verify && loop->sink == NULL)
		client->hash = sha256_stream_new();
	if (connect(fd, (const struct sockaddr *)&loop->options->url.address,
		    loop->options->url.address_length) == 0) {
		client->state = CLIENT_SENDING;
		watch(loop, client, EPOLLOUT, EPOLL_CTL_ADD);
		return;
	}
	if (errno != EINPROGRESS) {
		client->state = CLIENT_IDLE;
		finish_client(loop, client, CLIENT_ERROR_CONNECT);
		return;
	}
	client->state = CLIENT_CONNECTING;
	loop->connecting++;
	watch(loop, client, EPOLLOUT, EPOLL_CTL_ADD);
}

static void start_more(struct loop *loop)
{
	while (loop->connecting < loop->options->connect_burst && loop->next_to_start < loop->count)
		start_client(loop, &loop->clients[loop->next_to_start++]);
}

static void send_request(struct loop *loop, struct client *client)
{
	size_t length = loop->request_length;

	if (client->reset_point == RESET_MID_REQUEST)
		length /= 2;
	while (client->sent < length) {
		ssize_t sent = send(client->fd, loop->request + client->sent, length - client->sent,
				    MSG_NOSIGNAL);

		if (sent < 0 && errno == EAGAIN)
			return;
		if (sent <= 0) {
			finish_client(loop, client, CLIENT_ERROR_RESET);
			return;
		}
		client->sent += (uint32_t)sent;
	}
	if (client->reset_point == RESET_MID_REQUEST || client->reset_point == RESET_AFTER_REQUEST) {
		reset_client(loop, client);
		return;
	}
	client->state = CLIENT_HEAD;
	watch(loop, client, EPOLLIN, EPOLL_CTL_MOD);
}

/* Body bytes: counted, and hashed or written when asked. */
static bool take_body(struct loop *loop, struct client *client, const char *data, size_t length)
{
	if (length > client->body_length - client->received)
		length = (size_t)(client->body_length - client->received);
	if (client->hash != NULL && data != NULL)
		sha256_stream_update(client->hash, data, length);
	if (loop->sink != NULL && data != NULL) {
		for (size_t written = 0; written < length;) {
			ssize_t done = write(loop->sink->fd, data + written, length - written);

			if (done < 0 && errno == EINTR)
				continue;
			if (done <= 0) {
				finish_client(loop, client, CLIENT_ERROR_OUTPUT);
				return false;
			}
			written += (size_t)done;
		}
	}
	client->received += length;
	__atomic_add_fetch(&loop->bytes, length, __ATOMIC_RELAXED);
	if (client->reset_point == RESET_IN_BODY && client->received >= client->reset_after) {
		reset_client(loop, client);
		return false;
	}
	if (client->received == client->body_length)
		finish_client(loop, client, CLIENT_OK);
	return true;
}

/* Single download: where the body goes depends on the status. */
static enum client_error prepare_sink(struct loop *loop, const struct response_head *head)
{
	struct download_sink *sink = loop->sink;

	if (head->status == 416 && head->has_content_range && sink->existing > 0 &&
	    head->range_size == sink->existing) {
		sink->already_complete = true;
		sink->complete_size = sink->existing;
		return CLIENT_OK;
	}
	if (head->status == 206) {
		if (!head->has_content_range || head->range_first != sink->existing)
			return CLIENT_ERROR_HEADER;
		sink->complete_size = head->range_size;
		return lseek(sink->fd, 0, SEEK_END) < 0 ? CLIENT_ERROR_OUTPUT : CLIENT_OK;
	}
	if (head->status != 200)
		return CLIENT_ERROR_STATUS;
	sink->restarted = sink->existing > 0;
	sink->complete_size = head->content_length;
	if (ftruncate(sink->fd, 0) != 0 || lseek(sink->fd, 0, SEEK_SET) < 0)
		return CLIENT_ERROR_OUTPUT;
	return CLIENT_OK;
}

static void take_head(struct loop *loop, struct client *client, const char *data, size_t length)
{
	struct response_head head;
	int parsed = response_head_parse(data, length, &head);
	enum client_error error = CLIENT_OK;

	if (parsed == 0) {
		if (client->head == NULL) {
			client->head = malloc(HEAD_MAX + SCRATCH_BYTES);
			if (client->head == NULL) {
				finish_client(loop, client, CLIENT_ERROR_HEADER);
				return;
			}
			memcpy(client->head, data, length);
			client->head_length = (uint32_t)length;
		}
		return;
	}
	loop->status = head.status;
	if (parsed < 0 || !head.has_content_length)
		error = CLIENT_ERROR_HEADER;
	else if (loop->sink != NULL)
		error = prepare_sink(loop, &head);
	else if (head.status != 200 && head.status != 206)
		error = CLIENT_ERROR_STATUS;
	else if (loop->options->has_expected_size && head.content_length != loop->options->expected_size)
		error = CLIENT_ERROR_SIZE;
	if (error != CLIENT_OK || (loop->sink != NULL && loop->sink->already_complete)) {
		finish_client(loop, client, error);
		return;
	}
	client->state = CLIENT_BODY;
	client->body_length = head.content_length;
	if (client->reset_point == RESET_IN_BODY) {
		client->reset_after = (uint64_t)(client->reset_fraction * (double)client->body_length);
		if (client->reset_after == 0) {
			reset_client(loop, client);
			return;
		}
	}
	if (client->body_length == 0) {
		finish_client(loop, client, CLIENT_OK);
		return;
	}
	if (length > head.head_length)
		take_body(loop, client, data + head.head_length, length - head.head_length);
	if (client->state == CLIENT_BODY) {
		free(client->head);
		client->head = NULL;
	}
}

/* How much of the body to take in one recv. */
static size_t body_step(const struct client *client, size_t limit)
{
	uint64_t left = client->body_length - client->received;

	if (client->reset_point == RESET_IN_BODY && client->reset_after - client->received < left)
		left = client->reset_after - client->received;
	return left < limit ? (size_t)left : limit;
}

static void receive(struct loop *loop, struct client *client)
{
	ssize_t got;

	if (client->state == CLIENT_HEAD) {
		char *target = client->head ? client->head + client->head_length : loop->scratch;
		size_t room = client->head ? HEAD_MAX + SCRATCH_BYTES - client->head_length
					   : SCRATCH_BYTES;
		size_t seen = client->head ? client->head_length : 0;

		if (client->reset_point == RESET_IN_HEAD) {
			if (seen >= client->reset_after) {
				reset_client(loop, client);
				return;
			}
			if (room > client->reset_after - seen)
				room = (size_t)(client->reset_after - seen);
		}
		got = recv(client->fd, target, room, 0);
		if (got > 0) {
			if (client->head != NULL) {
				client->head_length += (uint32_t)got;
				take_head(loop, client, client->head, client->head_length);
			} else {
				take_head(loop, client, loop->scratch, (size_t)got);
			}
			return;
		}
	} else if (client->hash == NULL && loop->sink == NULL && !loop->options->copy_body) {
		/* --body discard: counted, never copied; the kernel drops the bytes. */
		got = recv(client->fd, NULL, body_step(client, 1u << 30), MSG_TRUNC);
		if (got > 0) {
			take_body(loop, client, NULL, (size_t)got);
			return;
		}
	} else {
		got = recv(client->fd, loop->scratch, body_step(client, SCRATCH_BYTES), 0);
		if (got > 0) {
			take_body(loop, client, loop->scratch, (size_t)got);
			return;
		}
	}
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	finish_client(loop, client, got == 0 ? CLIENT_ERROR_SHORT : CLIENT_ERROR_RESET);
}

static void on_event(struct loop *loop, struct client *client, uint32_t events)
{
	if (client->state == CLIENT_CONNECTING) {
		int error = 0;
		socklen_t length = sizeof(error);

		getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &error, &length);
		if (error != 0) {
			finish_client(loop, client, CLIENT_ERROR_CONNECT);
			start_more(loop);
			return;
		}
		client->state = CLIENT_SENDING;
		loop->connecting--;
		start_more(loop);
	}
	if (client->state == CLIENT_SENDING) {
		send_request(loop, client);
		return;
	}
	if (client->state == CLIENT_HEAD || client->state == CLIENT_BODY) {
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			receive(loop, client);
	}
}

static void *run_loop(void *argument)
{
	struct loop *loop = argument;
	struct epoll_event events[EVENTS_PER_WAIT];

	pthread_barrier_wait(loop->barrier);
	start_more(loop);
	while (loop->unfinished > 0) {
		uint64_t now = monotonic_ns();
		int timeout;
		int ready;

		if (now >= loop->deadline_ns)
			break;
		timeout = (int)((loop->deadline_ns - now) / 1000000 + 1);
		ready = epoll_wait(loop->epoll_fd, events, EVENTS_PER_WAIT, timeout);
		if (ready < 0 && errno != EINTR)
			break;
		for (int i = 0; i < ready; i++)
			on_event(loop, events[i].data.ptr, events[i].events);
	}
	loop->ending = loop->options->duration_ms > 0;
	for (unsigned int i = 0; i < loop->count; i++) {
		if (loop->clients[i].state != CLIENT_DONE) {
			if (loop->clients[i].state == CLIENT_IDLE)
				loop->clients[i].fd = -1;
			finish_client(loop, &loop->clients[i], CLIENT_ERROR_TIMEOUT);
		}
	}
	loop->end_ns = monotonic_ns();
	return NULL;
}

static char *build_request(const struct load_options *options, const struct download_sink *sink,
			   size_t *length)
{
	char range[64] = "";
	char *request = NULL;
	int written;

	if (sink != NULL && sink->existing > 0)
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-\r\n", sink->existing);
	written = asprintf(&request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: cascade-load\r\n%s\r\n",
			   options->url.target, options->url.host, range);
	if (written < 0)
		return NULL;
	*length = (size_t)written;
	return request;
}

/* Descriptors for every client at once, as far as the hard limit allows. */
static void raise_file_limit(unsigned int clients)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return;
	if (limit.rlim_cur < (rlim_t)clients + 64) {
		limit.rlim_cur = (rlim_t)clients + 64 < limit.rlim_max ? (rlim_t)clients + 64
									: limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
}

static void report_progress(struct loop *loops, unsigned int count, uint64_t clients,
			    uint64_t start_ns)
{
	uint64_t bytes = 0;
	uint64_t completed = 0;
	double seconds = (double)(monotonic_ns() - start_ns) / 1e9;

	for (unsigned int i = 0; i < count; i++) {
		bytes += __atomic_load_n(&loops[i].bytes, __ATOMIC_RELAXED);
		completed += __atomic_load_n(&loops[i].completed, __ATOMIC_RELAXED);
	}
	fprintf(stderr, "cascade-load: %.0fs: %" PRIu64 "/%" PRIu64 " done, %.2f GB, %.2f GB/s\n",
		seconds, completed, clients, (double)bytes / 1e9,
		seconds > 0 ? (double)bytes / 1e9 / seconds : 0.0);
}

static void collect(struct loop *loop, struct load_result *result)
{
	result->bytes += loop->bytes;
	result->completed += loop->completed;
	result->client_resets += loop->client_resets;
	for (int kind = 0; kind < CLIENT_ERROR_KINDS; kind++)
		result->errors[kind] += loop->errors[kind];
	for (unsigned int i = 0; i < loop->count; i++) {
		struct client *client = &loop->clients[i];
		double seconds = (double)(client->finished_ns - loop->start_ns) / 1e9;

		if (client->error != CLIENT_OK || loop->options->duration_ms > 0)
			continue;
		result->client_seconds[result->client_seconds_count++] = seconds;
		if (seconds > result->makespan)
			result->makespan = seconds;
	}
	if (loop->status != 0)
		result->status = loop->status;
}

int load_run(const struct load_options *options, struct download_sink *sink,
	     struct load_result *result)
{
	unsigned int threads = options->threads;
	struct loop *loops = calloc(threads, sizeof(*loops));
	struct client *clients = calloc(options->clients, sizeof(*clients));
	pthread_barrier_t barrier;
	size_t request_length = 0;
	char *request = build_request(options, sink, &request_length);
	uint64_t start_ns;
	uint64_t next_report_ns;
	unsigned int first = 0;
	int error = 0;

	memset(result, 0, sizeof(*result));
	result->clients = options->clients;
	result->client_seconds = calloc(options->clients, sizeof(double));
	if (loops == NULL || clients == NULL || request == NULL || result->client_seconds == NULL) {
		error = -ENOMEM;
		goto out;
	}
	raise_file_limit(options->clients);
	pthread_barrier_init(&barrier, NULL, threads + 1);
	for (unsigned int t = 0; t < threads; t++) {
		struct loop *loop = &loops[t];
		unsigned int share = options->clients / threads + (t < options->clients % threads);

		loop->options = options;
		loop->sink = sink;
		loop->clients = clients + first;
		loop->count = share;
		loop->unfinished = share;
		loop->request = request;
		loop->request_length = request_length;
		loop->barrier = &barrier;
		loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		loop->scratch = malloc(SCRATCH_BYTES);
		for (unsigned int i = 0; i < share; i++) {
			loop->clients[i].fd = -1;
			loop->clients[i].index = first + i;
		}
		first += share;
		if (loop->epoll_fd < 0 || loop->scratch == NULL ||
		    pthread_create(&loop->thread, NULL, run_loop, loop) != 0) {
			fprintf(stderr, "cascade-load: cannot start event loop %u\n", t);
			exit(1);
		}
	}
	start_ns = monotonic_ns();
	for (unsigned int t = 0; t < threads; t++) {
		loops[t].start_ns = start_ns;
		loops[t].deadline_ns = start_ns + options->deadline_ms * 1000000ull;
	}
	pthread_barrier_wait(&barrier);
	next_report_ns = start_ns + 5000000000ull;
	for (unsigned int t = 0; t < threads; t++) {
		/* Progress every 5 s while the loops run. */
		while (pthread_tryjoin_np(loops[t].thread, NULL) != 0) {
			usleep(50000);
			if (!options->quiet && monotonic_ns() >= next_report_ns) {
				report_progress(loops, threads, options->clients, start_ns);
				next_report_ns += 5000000000ull;
			}
		}
	}
	for (unsigned int t = 0; t < threads; t++) {
		double seconds = (double)(loops[t].end_ns - start_ns) / 1e9;

		if (seconds > result->seconds)
			result->seconds = seconds;
		collect(&loops[t], result);
		close(loops[t].epoll_fd);
		free(loops[t].scratch);
	}
	if (result->completed != result->clients)
		result->makespan = 0;
	pthread_barrier_destroy(&barrier);
out:
	free(request);
	free(clients);
	free(loops);
	return error;
}
