/* cascade-meter-traffic: traffic with a known shape for the meters' tests
 * and benchmark. `serve` answers each connection's request line
 * "SEND BYTES [MARK VALUE]" by setting SO_MARK (as cascade-master does once
 * it knows the slave's group), sending BYTES bytes and closing, then prints
 * what the kernel says it sent (TCP_INFO segments and bytes) so a test can
 * predict the meter's counters exactly. `fetch` sends the request, reads to
 * the end and prints the bytes and the rate it measured. */
#include "common/cli.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/parse.h"

#include <arpa/inet.h>
#include <errno.h>
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

enum traffic_option { OPTION_LISTEN = 1, OPTION_CONNECTIONS, OPTION_TIMEOUT, OPTION_CONNECT, OPTION_BIND,
		      OPTION_BYTES, OPTION_MARK };

static const struct cli_option serve_options[] = {
	CLI_OPTION("listen", "ADDR:PORT", "where to listen (required)", OPTION_LISTEN),
	CLI_OPTION("connections", "N", "connections to serve, up to 1024 (default 1)", OPTION_CONNECTIONS),
	CLI_OPTION("timeout", "SECONDS", "give up waiting after this, up to 3600 (default 60)", OPTION_TIMEOUT),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command serve_command = {
	.words = "serve",
	.synopsis = "--listen ADDR:PORT [--connections N] [--timeout SECONDS]",
	.summary = "answer \"SEND BYTES [MARK VALUE]\" per connection and print what the kernel sent",
	.description = "Per connection, reads \"SEND BYTES [MARK VALUE]\", sets SO_MARK, sends BYTES and prints:\n"
		       "peer mark payload segs_out segs_before_mark bytes_sent bytes_retrans",
	.options = serve_options,
};

static const struct cli_option fetch_options[] = {
	CLI_OPTION("connect", "ADDR:PORT", "the server (required)", OPTION_CONNECT),
	CLI_OPTION("bytes", "N", "bytes to ask for (required)", OPTION_BYTES),
	CLI_OPTION("bind", "ADDR", "local address to connect from", OPTION_BIND),
	CLI_OPTION("mark", "VALUE", "the SO_MARK the server sets after the request", OPTION_MARK),
	CLI_OPTION("timeout", "SECONDS", "give up after this, up to 3600 (default 60)", OPTION_TIMEOUT),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command fetch_command = {
	.words = "fetch",
	.synopsis = "--connect ADDR:PORT --bytes N [--bind ADDR] [--mark VALUE] [--timeout SECONDS]",
	.summary = "ask for BYTES, read them and print: received seconds rate_bytes_per_second",
	.options = fetch_options,
};

static const struct cli_command main_command = {
	.words = "",
	.synopsis = "serve|fetch [OPTIONS]",
	.description = "Traffic with a known shape for the meters' tests and benchmark. Traffic goes only to\n"
		       "the address given (loopback or a test namespace).",
	.options_first = true,
};

static const struct cli_command *const commands[] = { &serve_command, &fetch_command, NULL };

static const struct cli_program program = {
	.name = "cascade-meter-traffic",
	.summary = "traffic with a known shape for cascade's meter tests",
	.main = &main_command,
	.commands = commands,
	.exit_status = "0 done; 1 failed; 2 bad usage.",
	.see_also = "cascade-meter(8)",
	.man_section = 1,
};

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
	struct sockaddr_storage address;
	socklen_t address_length = 0;
	pthread_t threads[MAX_CONNECTIONS];
	pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
	long long connections = 1, timeout = 60;
	int code, listener, one = 1, failures = 0, started = 0;
	struct cli_parser parser;
	uint64_t deadline;

	cli_begin(&parser, program.name, &serve_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		switch (code) {
		case OPTION_LISTEN:
			if (parse_socket_address(parser.value, &address, &address_length) < 0)
				return cli_bad_value(&parser, "expected ADDR:PORT");
			break;
		case OPTION_CONNECTIONS:
			if (parse_integer(parser.value, 1, MAX_CONNECTIONS, &connections) < 0)
				return cli_bad_value(&parser, "expected a whole number from 1 to %d", MAX_CONNECTIONS);
			break;
		default: /* OPTION_TIMEOUT */
			if (parse_integer(parser.value, 1, 3600, &timeout) < 0)
				return cli_bad_value(&parser, "expected seconds from 1 to 3600");
			break;
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	if (address_length == 0)
		return cli_usage_error(&parser, "needs --listen ADDR:PORT");
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
	struct sockaddr_storage address, local;
	socklen_t address_length = 0, local_length = 0;
	const char *mark = NULL;
	long long bytes = -1, timeout = 60;
	char request[128], buffer[CHUNK];
	uint64_t received = 0, started, finished;
	struct cli_parser parser;
	int code, fd;

	cli_begin(&parser, program.name, &fetch_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		char with_port[80];

		switch (code) {
		case OPTION_CONNECT:
			if (parse_socket_address(parser.value, &address, &address_length) < 0)
				return cli_bad_value(&parser, "expected ADDR:PORT");
			break;
		case OPTION_BIND:
			snprintf(with_port, sizeof(with_port), strchr(parser.value, ':') ? "[%s]:0" : "%s:0",
				 parser.value);
			if (parse_socket_address(with_port, &local, &local_length) < 0)
				return cli_bad_value(&parser, "expected an address");
			break;
		case OPTION_BYTES:
			if (parse_integer(parser.value, 0, (long long)MAX_BYTES, &bytes) < 0)
				return cli_bad_value(&parser, "expected a byte count up to 1T");
			break;
		case OPTION_MARK: {
			char *end;

			errno = 0;
			unsigned long value = strtoul(parser.value, &end, 0);

			if (errno != 0 || *end != '\0' || end == parser.value || value > UINT32_MAX)
				return cli_bad_value(&parser, "expected a 32-bit number");
			mark = parser.value;
			break;
		}
		default: /* OPTION_TIMEOUT */
			if (parse_integer(parser.value, 1, 3600, &timeout) < 0)
				return cli_bad_value(&parser, "expected seconds from 1 to 3600");
			break;
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	if (address_length == 0 || bytes < 0)
		return cli_usage_error(&parser, "needs --connect ADDR:PORT and --bytes N");
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
	struct cli_parser parser;
	const char *command;
	int code;

	log_init("cascade-meter-traffic");
	cli_begin_program(&parser, &program, argc, argv);
	if ((code = cli_next(&parser)) != CLI_END)
		return cli_exit_status(code);
	if (parser.index >= argc)
		return cli_usage_error(&parser, "needs a command: serve or fetch");
	command = argv[parser.index];
	if (strcmp(command, "serve") == 0)
		return command_serve(argc - parser.index, argv + parser.index);
	if (strcmp(command, "fetch") == 0)
		return command_fetch(argc - parser.index, argv + parser.index);
	return cli_usage_error(&parser, "unknown command '%s'", command);
}
