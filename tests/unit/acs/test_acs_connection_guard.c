/* Unit tests for the CWMP listener's slow-client guard on real loopback
 * TCP connections: an idle keep-alive connection (or a fresh one that says
 * nothing) is never cut nor counted, whatever the time; a request that has
 * started must arrive within the request timeout, counted from its first
 * byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acs/connection_guard.h"
#include "common/clock.h"

#define TIMEOUT_MS 100

struct pair {
	int listener, client, server;
};

static void connect_pair(struct pair *pair)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t length = sizeof(address);

	pair->listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(pair->listener >= 0);
	assert_int_equal(bind(pair->listener, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(pair->listener, 1), 0);
	assert_int_equal(getsockname(pair->listener, (struct sockaddr *)&address, &length), 0);
	pair->client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(pair->client, (struct sockaddr *)&address, sizeof(address)), 0);
	pair->server = accept(pair->listener, NULL, NULL);
	assert_true(pair->server >= 0);
}

static void close_pair(struct pair *pair)
{
	close(pair->client);
	close(pair->server);
	close(pair->listener);
}

static void send_text(int fd, const char *text)
{
	assert_int_equal(send(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	usleep(20000); /* loopback: the kernel has counted it by now */
}

/* True when the server side shut the connection down (the client reads EOF). */
static bool cut_by_server(int client)
{
	char byte;

	return recv(client, &byte, 1, MSG_DONTWAIT) == 0;
}

static void test_idle_keep_alive_is_no_slow_client(void **state)
{
	struct connection_guard guard;
	struct guarded_connection *connection;
	struct pair pair;
	uint64_t now = monotonic_ms();

	(void)state;
	connection_guard_init(&guard, TIMEOUT_MS);
	connect_pair(&pair);
	connection = connection_guard_open(&guard, pair.server, NULL);
	assert_non_null(connection);
	/* a fresh connection that says nothing: libmicrohttpd's connection timeout is for it */
	assert_int_equal(connection_guard_check(&guard, now + 10 * TIMEOUT_MS), 0);
	/* one request and its reply, then an idle keep-alive for ages */
	send_text(pair.client, "POST / HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\n\r\n");
	connection_guard_request_received(&guard, connection);
	connection_guard_reply_sent(&guard, connection);
	now = monotonic_ms();
	assert_int_equal(connection_guard_check(&guard, now + 20 * TIMEOUT_MS), 0);
	assert_int_equal(connection_guard_check(&guard, now + 300 * TIMEOUT_MS), 0);
	assert_false(cut_by_server(pair.client));
	assert_int_equal(guard.closed_total, 0);

	/* the next request starts and trickles: the deadline runs from its first byte */
	now += 300 * TIMEOUT_MS;
	send_text(pair.client, "P");
	assert_int_equal(connection_guard_check(&guard, now + TIMEOUT_MS / 2), 0);
	assert_false(cut_by_server(pair.client));
	assert_int_equal(connection_guard_check(&guard, now + TIMEOUT_MS + 1), 1);
	assert_true(cut_by_server(pair.client));
	assert_int_equal(guard.closed_total, 1);
	assert_int_equal(connection_guard_check(&guard, now + 10 * TIMEOUT_MS), 0); /* counted once */

	connection_guard_close(&guard, connection);
	close_pair(&pair);
	connection_guard_destroy(&guard);
}

static void test_slow_first_request_is_cut(void **state)
{
	struct connection_guard guard;
	struct guarded_connection *connection;
	struct pair pair;
	uint64_t now;

	(void)state;
	connection_guard_init(&guard, TIMEOUT_MS);
	connect_pair(&pair);
	connection = connection_guard_open(&guard, pair.server, NULL);
	send_text(pair.client, "POST / HTTP/1.1\r\nHo");
	now = monotonic_ms();
	assert_int_equal(connection_guard_check(&guard, now + TIMEOUT_MS + 1), 1);
	assert_true(cut_by_server(pair.client));
	assert_int_equal(guard.closed_total, 1);
	connection_guard_close(&guard, connection);
	close_pair(&pair);
	connection_guard_destroy(&guard);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_keep_alive_is_no_slow_client),
		cmocka_unit_test(test_slow_first_request_is_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
