/* Unit-test helper: a socket address from its text form ("10.0.0.1",
 * "2001:db8::1"), asserting it parses. Each call returns its own storage
 * (a ring of 8), so a test can hold several at once. Include after cmocka.h. */
#ifndef CASCADE_TESTS_UNIT_TEST_ADDRESS_H
#define CASCADE_TESTS_UNIT_TEST_ADDRESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static const struct sockaddr *address(const char *text)
{
	static struct sockaddr_storage ring[8];
	static unsigned int next;
	struct sockaddr_storage *storage = &ring[next++ % 8];

	memset(storage, 0, sizeof(*storage));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)storage;

		ipv6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &ipv6->sin6_addr), 1);
	} else {
		struct sockaddr_in *ipv4 = (struct sockaddr_in *)storage;

		ipv4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &ipv4->sin_addr), 1);
	}
	return (const struct sockaddr *)storage;
}

#endif
