/* Authorization of cascade-master's admin operations (see admin_token.h). */
#include "master/admin_token.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/token_file.h"

int admin_token_load(const char *path, char token[ADMIN_TOKEN_MAX + 1])
{
	char why[300];
	int length = token_file_read(path, token, ADMIN_TOKEN_MAX + 1, why, sizeof(why));

	if (length < 0) {
		fprintf(stderr, "cascade-master: admin token: %s\n", why);
		return length;
	}
	if (length < ADMIN_TOKEN_MIN) {
		fprintf(stderr, "cascade-master: the admin token in %s is shorter than %d characters\n", path,
			ADMIN_TOKEN_MIN);
		token[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

bool address_is_loopback(const struct sockaddr *address)
{
	if (address->sa_family == AF_INET) {
		const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)address;

		return (ntohl(ipv4->sin_addr.s_addr) >> 24) == 127;
	}
	if (address->sa_family == AF_INET6) {
		const struct in6_addr *ipv6 = &((const struct sockaddr_in6 *)address)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(ipv6) || (IN6_IS_ADDR_V4MAPPED(ipv6) && ipv6->s6_addr[12] == 127);
	}
	return false;
}

bool admin_request_allowed(const char *token, const struct sockaddr *peer, struct http_string authorization)
{
	static const char scheme[] = "Bearer ";
	size_t token_length = strlen(token), scheme_length = sizeof(scheme) - 1;

	if (token_length == 0)
		return address_is_loopback(peer);
	if (authorization.length != scheme_length + token_length ||
	    strncasecmp(authorization.data, scheme, scheme_length) != 0)
		return false;
	return CRYPTO_memcmp(authorization.data + scheme_length, token, token_length) == 0;
}
