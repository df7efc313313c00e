/* Authorization of cascade-master's admin operations (see admin_token.h). */
#include "master/admin_token.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/atomic_file.h"

int admin_token_load(const char *path, char token[ADMIN_TOKEN_MAX + 1])
{
	char *text = NULL;
	size_t length = 0, start = 0;
	int result = read_whole_file(path, 4096, &text, &length);

	token[0] = '\0';
	if (result < 0) {
		fprintf(stderr, "cascade-master: cannot read the admin token file %s: %s\n", path,
			strerror(-result));
		return result;
	}
	while (start < length && strchr(" \t\r\n", text[start]))
		start++;
	while (length > start && strchr(" \t\r\n", text[length - 1]))
		length--;
	length -= start;
	result = -EINVAL;
	if (length < ADMIN_TOKEN_MIN || length > ADMIN_TOKEN_MAX) {
		fprintf(stderr, "cascade-master: the admin token in %s must be %d to %d characters\n", path,
			ADMIN_TOKEN_MIN, ADMIN_TOKEN_MAX);
		goto out;
	}
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[start + i];

		if (c <= 0x20 || c >= 0x7f) {
			fprintf(stderr, "cascade-master: the admin token in %s has a character that is not "
					"visible ASCII\n", path);
			goto out;
		}
	}
	memcpy(token, text + start, length);
	token[length] = '\0';
	result = 0;
out:
	free(text);
	return result;
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
