/* cascade-meter-traffic: traffic with a known shape for the meters' tests
 * and benchmark. `serve` answers each connection's request line
 * "SEND BYTES [MARK VALUE]" by setting SO_MARK (as cascade-master does once
 * it knows the slave's group), sending BYTES bytes and closing, then prints
 * what the kernel says it sent (TCP_INFO segments and bytes) so a test can
 * predict the meter's counters exactly. `fetch` sends the request, reads to
 * the end and prints the bytes and the rate it measured. */
#include "common/clock.h"
#include "common/log.h"
#include "common/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024
#define MAX_BYTES (1ull << 40)
#define CHUNK 65536

struct connection {
	int fd;
	unsigned int timeout_seconds;
	pthread_mutex_t *print_lock;
	char peer[64];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cascade-meter-traffic serve --listen ADDR:PORT [--connections N] [--timeout S]\n"
		"       cascade-meter-traffic fetch --connect ADDR:PORT --bytes N [--bind ADDR] [--mark V] [--timeout S]\n"
		"serve: per connection, reads \"SEND BYTES [MARK VALUE]\", sets SO_MARK, sends BYTES\n"
		"       and prints: peer mark payload segs_out segs_before_mark bytes_sent bytes_retrans\n"
		"fetch: prints: received seconds rate_bytes_per_second\n"
		"Traffic goes only to the address given (loopback or a test namespace).\n");
}

static int set_timeouts(int fd, unsigned int seconds)
{
	struct timeval timeout = { .tv_sec = seconds, .tv_usec = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0)
		return -errno;
	return 0;
}

static int tcp_info_of(int fd, struct tcp_info *info)
{
	socklen_t length = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &length) < 0 ? -errno : 0;
}

/* Reads the request line (up to '\n', at most 127 bytes). */
static int read_request(int fd, char *line, size_t size)
{
	size_t used = 0;

	while (used + 1 < size) {
		ssize_t got = read(fd, line + used, 1);

		if (got <= 0)
			return got == 0 ? -ECONNRESET : -errno;
		if (line[used] == '\n') {
			line[used] = '\0';
			return 0;
		}
		used++;
	}
	return -EMSGSIZE;
}

static int send_bytes(int fd, uint64_t bytes)
{
	static const char zeros[CHUNK];

	while (bytes > 0) {
		size_t length = bytes < CHUNK ? (size_t)bytes : CHUNK;
		ssize_t sent = send(fd, zeros, length, MSG_NOSIGNAL);

		if (sent <= 0)
			return sent == 0 ? -EIO : -errno;
		bytes -= (uint64_t)sent;
	}
	return 0;
}

static void *serve_connection(void *argument)
{
	struct connection *connection = argument;
	char line[128], rest[128];
	unsigned long long bytes = 0, mark = 0;
	struct tcp_info before, after;
	int fields, result;

	set_timeouts(connection->fd, connection->timeout_seconds);
	result = read_request(connection->fd, line, sizeof(line));
	if (result < 0)
		goto fail;
	rest[0] = '\0';
	fields = sscanf(line, "SEND %llu MARK %lli", &bytes, &mark);
	if (fields < 1 || bytes > MAX_BYTES) {
		result = -EINVAL;
		goto fail;
	}
	tcp_info_of(connection->fd, &before);
	if (fields == 2) {
		unsigned int value = (unsigned int)mark;

		if (setsockopt(connection->fd, SOL_SOCKET, SO_MARK, &value, sizeof(value)) < 0) {
			result = -errno;
			goto fail;
		}
	}
	result = send_bytes(connection->fd, bytes);
	if (result < 0)
		goto fail;
	shutdown(connection->fd, SHUT_WR);
	/* Wait for the client's close so the last ACK is counted too. */
	for (int reads = 0; reads < 1000 && read(connection->fd, rest, sizeof(rest)) > 0; reads++)
		;
	tcp_info_of(connection->fd, &after);
	pthread_mutex_lock(connection->print_lock);
	printf("peer=%s mark=0x%llx payload=%llu segs_out=%u segs_before_mark=%u bytes_sent=%llu "
	       "bytes_retrans=%llu\n",
	       connection->peer, fields == 2 ? mark : 0ull, bytes, after.tcpi_segs_out,
	       fields == 2 ? before.tcpi_segs_out : 0u, (unsigned long long)after.tcpi_bytes_sent,
	       (unsigned long long)after.tcpi_bytes_retrans);
	fflush(stdout);
	pthread_mutex_unlock(connection->print_lock);
	close(connection->fd);
	free(connection);
	return NULL;
fail:
	log_error("connection from %s: %s", connection->peer, strerror(-result));
	close(connection->fd);
	free(connection);
	return (void *)1;
}

static int command_serve(int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' }, { "connections", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct sockaddr_storage address;
	socklen_t address_length = 0;
	pthread_t threads[MAX_CONNECTIONS];
	pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
	long long connections = 1, timeout = 60;
	int option, listener, one = 1, failures = 0, started = 0;
	uint64_t deadline;

	optind = 0;
	while ((option = getopt_long(argc, argv, "+l:n:t:", options, NULL)) != -1) {
		switch (option) {
		case 'l':
			if (parse_socket_address(optarg, &address, &address_length) < 0) {
				fprintf(stderr, "cascade-meter-traffic: bad --listen '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			if (parse_integer(optarg, 1, MAX_CONNECTIONS, &connections) < 0)
				return fprintf(stderr, "cascade-meter-traffic: bad --connections\n"), 2;
			break;
		case 't':
			if (parse_integer(optarg, 1, 3600, &timeout) < 0)
				return fprintf(stderr, "cascade-meter-traffic: bad --timeout\n"), 2;
			break;
		default: return fprintf(stderr, "cascade-meter-traffic: bad serve option\n"), 2;
		}
	}
	if (address_length == 0 || optind != argc)
		return fprintf(stderr, "cascade-meter-traffic: serve needs --listen ADDR:PORT (try --help)\n"), 2;
	listener = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(listener, (struct sockaddr *)&address, address_length) < 0 || listen(listener, 1024) < 0) {
		log_error("cannot listen: %s", strerror(errno));
		return 1;
	}
	fprintf(stderr, "listening\n");
	deadline = monotonic_ms() + (uint64_t)timeout * 1000;
	while (started < connections && monotonic_ms() < deadline) {
		struct pollfd wait = { .fd = listener, .events = POLLIN };
		struct sockaddr_storage peer;
		socklen_t peer_length = sizeof(peer);
		struct connection *connection;

		if (poll(&wait, 1, 200) <= 0)
			continue;
		int fd = accept4(listener, (struct sockaddr *)&peer, &peer_length, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		connection = calloc(1, sizeof(*connection));
		if (connection == NULL) {
			close(fd);
			break;
		}
		connection->fd = fd;
		connection->timeout_seconds = (unsigned int)timeout;
		connection->print_lock = &print_lock;
		format_socket_address((struct sockaddr *)&peer, connection->peer, sizeof(connection->peer));
		if (pthread_create(&threads[started], NULL, serve_connection, connection) != 0) {
			close(fd);
			free(connection);
			break;
		}
		started++;
	}
	close(listener);
	for (int index = 0; index < started; index++) {
		void *outcome = NULL;

		pthread_join(threads[index], &outcome);
		failures += outcome != NULL;
	}
	if (started < connections)
		log_error("only %d of %lld connections came before the timeout", started, connections);
	return failures == 0 && started == connections ? 0 : 1;
}

static int command_fetch(int argc, char **argv)
{
	static const struct option options[] = {
		{ "connect", required_argument, NULL, 'c' }, { "bind", required_argument, NULL, 'b' },
		{ "bytes", required_argument, NULL, 'n' },   { "mark", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct sockaddr_storage address, local;
	socklen_t address_length = 0, local_length = 0;
	const char *mark = NULL;
	long long bytes = -1, timeout = 60;
	char request[128], buffer[CHUNK];
	uint64_t received = 0, started, finished;
	int option, fd;

	optind = 0;
	while ((option = getopt_long(argc, argv, "+c:b:n:m:t:", options, NULL)) != -1) {
		char with_port[80];

		switch (option) {
		case 'c':
			if (parse_socket_address(optarg, &address, &address_length) < 0)
				return fprintf(stderr, "cascade-meter-traffic: bad --connect '%s'\n", optarg), 2;
			break;
		case 'b':
			snprintf(with_port, sizeof(with_port), strchr(optarg, ':') ? "[%s]:0" : "%s:0", optarg);
			if (parse_socket_address(with_port, &local, &local_length) < 0)
				return fprintf(stderr, "cascade-meter-traffic: bad --bind '%s'\n", optarg), 2;
			break;
		case 'n':
			if (parse_integer(optarg, 0, (long long)MAX_BYTES, &bytes) < 0)
				return fprintf(stderr, "cascade-meter-traffic: bad --bytes\n"), 2;
			break;
		case 'm': {
			char *end;

			errno = 0;
			unsigned long value = strtoul(optarg, &end, 0);

			if (errno != 0 || *end != '\0' || value > UINT32_MAX)
				return fprintf(stderr, "cascade-meter-traffic: bad --mark\n"), 2;
			mark = optarg;
			break;
		}
		case 't':
			if (parse_integer(optarg, 1, 3600, &timeout) < 0)
				return fprintf(stderr, "cascade-meter-traffic: bad --timeout\n"), 2;
			break;
		default: return fprintf(stderr, "cascade-meter-traffic: bad fetch option\n"), 2;
		}
	}
	if (address_length == 0 || bytes < 0 || optind != argc)
		return fprintf(stderr, "cascade-meter-traffic: fetch needs --connect and --bytes (try --help)\n"), 2;
	fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || set_timeouts(fd, (unsigned int)timeout) < 0 ||
	    (local_length && bind(fd, (struct sockaddr *)&local, local_length) < 0)) {
		log_error("cannot set up the socket: %s", strerror(errno));
		return 1;
	}
	started = monotonic_ns();
	if (connect(fd, (struct sockaddr *)&address, address_length) < 0) {
		log_error("cannot connect: %s", strerror(errno));
		close(fd);
		return 1;
	}
	if (mark != NULL)
		snprintf(request, sizeof(request), "SEND %lld MARK %s\n", bytes, mark);
	else
		snprintf(request, sizeof(request), "SEND %lld\n", bytes);
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0) {
		log_error("cannot send the request: %s", strerror(errno));
		close(fd);
		return 1;
	}
	for (;;) {
		ssize_t got = read(fd, buffer, sizeof(buffer));

		if (got == 0)
			break;
		if (got < 0) {
			log_error("read failed after %" PRIu64 " bytes: %s", received, strerror(errno));
			close(fd);
			return 1;
		}
		received += (uint64_t)got;
	}
	finished = monotonic_ns();
	close(fd);
	printf("received=%" PRIu64 " seconds=%.6f rate_bytes_per_second=%.0f\n", received,
	       (double)(finished - started) / 1e9, (double)received * 1e9 / (double)(finished - started));
	return received == (uint64_t)bytes ? 0 : 1;
}

int main(int argc, char **argv)
{
	log_init("cascade-meter-traffic");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "serve") == 0)
		return command_serve(argc - 1, argv + 1);
	if (strcmp(argv[1], "fetch") == 0)
		return command_fetch(argc - 1, argv + 1);
	fprintf(stderr, "cascade-meter-traffic: unknown command or option '%s' (try --help)\n", argv[1]);
	return 2;
}
