/* Parsers for operator-supplied values: integers, sizes, durations,
 * booleans, socket addresses and IPv4 prefixes, strict about trailing garbage and range. */
#include "common/parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_integer(const char *text, long long minimum, long long maximum, long long *value)
{
	char *end = NULL;
	long long parsed;

	if (text == NULL || *text == '\0' || isspace((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || parsed < minimum || parsed > maximum)
		return -EINVAL;
	*value = parsed;
	return 0;
}

/* Splits "123abc" into the number 123 and the suffix "abc". */
static int split_number(const char *text, unsigned long long *number, const char **suffix)
{
	char *end = NULL;

	if (text == NULL || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	*number = strtoull(text, &end, 10);
	if (errno != 0)
		return -EINVAL;
	*suffix = end;
	return 0;
}

int parse_size(const char *text, uint64_t *bytes)
{
	static const struct { const char *name; unsigned int shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 }, { "g", 30 }, { "gb", 30 },
		{ "gib", 30 }, { "t", 40 }, { "tb", 40 }, { "tib", 40 },
	};
	unsigned long long number;
	const char *suffix;

	if (split_number(text, &number, &suffix) != 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(suffix, units[i].name) != 0)
			continue;
		if (units[i].shift > 0 && number > (UINT64_MAX >> units[i].shift))
			return -EINVAL;
		*bytes = (uint64_t)number << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

int parse_duration_ms(const char *text, uint64_t *milliseconds)
{
	static const struct { const char *name; uint64_t factor; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	unsigned long long number;
	const char *suffix;

	if (split_number(text, &number, &suffix) != 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(suffix, units[i].name) != 0)
			continue;
		if (number > UINT64_MAX / units[i].factor)
			return -EINVAL;
		*milliseconds = number * units[i].factor;
		return 0;
	}
	return -EINVAL;
}

int parse_bool(const char *text, bool *value)
{
	static const char *const truths[] = { "true", "yes", "on", "1" };
	static const char *const falsehoods[] = { "false", "no", "off", "0" };

	if (text == NULL)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, falsehoods[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_socket_address(const char *text, struct sockaddr_storage *address, socklen_t *length)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	const char *host_start = text;
	size_t host_length;
	long long port;
	struct sockaddr_storage parsed;

	if (text == NULL)
		return -EINVAL;
	colon = strrchr(text, ':');
	if (colon == NULL || colon == text)
		return -EINVAL;
	if (parse_integer(colon + 1, 0, 65535, &port) != 0)
		return -EINVAL;
	host_length = (size_t)(colon - text);
	if (text[0] == '[') {
		if (host_length < 3 || text[host_length - 1] != ']')
			return -EINVAL;
		host_start = text + 1;
		host_length -= 2;
	}
	if (host_length >= sizeof(host))
		return -EINVAL;
	memcpy(host, host_start, host_length);
	host[host_length] = '\0';

	memset(&parsed, 0, sizeof(parsed));
	if (text[0] != '[') {
		struct sockaddr_in *ipv4 = (struct sockaddr_in *)&parsed;

		if (inet_pton(AF_INET, host, &ipv4->sin_addr) != 1)
			return -EINVAL;
		ipv4->sin_family = AF_INET;
		ipv4->sin_port = htons((uint16_t)port);
		*length = sizeof(*ipv4);
	} else {
		struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&parsed;

		if (inet_pton(AF_INET6, host, &ipv6->sin6_addr) != 1)
			return -EINVAL;
		ipv6->sin6_family = AF_INET6;
		ipv6->sin6_port = htons((uint16_t)port);
		*length = sizeof(*ipv6);
	}
	*address = parsed;
	return 0;
}

int parse_ipv4_prefix(const char *text, unsigned int min_bits, unsigned int max_bits, uint32_t *base_host_order,
		      unsigned int *bits)
{
	char address[INET_ADDRSTRLEN];
	const char *slash;
	struct in_addr parsed;
	long long prefix;

	if (text == NULL || max_bits > 32 || min_bits > max_bits)
		return -EINVAL;
	slash = strchr(text, '/');
	if (slash == NULL || (size_t)(slash - text) >= sizeof(address))
		return -EINVAL;
	memcpy(address, text, (size_t)(slash - text));
	address[slash - text] = '\0';
	if (inet_pton(AF_INET, address, &parsed) != 1 || parse_integer(slash + 1, min_bits, max_bits, &prefix) != 0)
		return -EINVAL;
	*bits = (unsigned int)prefix;
	*base_host_order = prefix == 0 ? 0 : ntohl(parsed.s_addr) & (0xffffffffu << (32 - prefix));
	return 0;
}

void format_socket_host(const struct sockaddr *address, char *out, size_t out_size)
{
	char host[INET6_ADDRSTRLEN];

	if (address->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, host, sizeof(host));
		snprintf(out, out_size, "%s", host);
	} else if (address->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, host, sizeof(host));
		snprintf(out, out_size, "[%s]", host);
	} else {
		snprintf(out, out_size, "(family %d)", address->sa_family);
	}
}

void format_socket_address(const struct sockaddr *address, char *out, size_t out_size)
{
	char host[INET6_ADDRSTRLEN + 2];

	format_socket_host(address, host, sizeof(host));
	if (address->sa_family == AF_INET)
		snprintf(out, out_size, "%s:%u", host, ntohs(((const struct sockaddr_in *)address)->sin_port));
	else if (address->sa_family == AF_INET6)
		snprintf(out, out_size, "%s:%u", host, ntohs(((const struct sockaddr_in6 *)address)->sin6_port));
	else
		snprintf(out, out_size, "%s", host);
}
