/* Parsers for the values operators type in config files and on command
 * lines: sizes ("64M"), durations ("30s"), booleans, integers and
 * socket addresses ("127.0.0.1:8080", "[::1]:7547"), IPv4 prefixes. Each returns 0 or
 * -EINVAL and never writes its output on failure. */
#ifndef CASCADE_COMMON_PARSE_H
#define CASCADE_COMMON_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Decimal integer in [minimum, maximum], no trailing garbage. */
int parse_integer(const char *text, long long minimum, long long maximum, long long *value);
/* Bytes with optional binary suffix K, M, G, T (KiB etc., case-insensitive). */
int parse_size(const char *text, uint64_t *bytes);
/* Milliseconds from "250ms", "30s", "5m", "1h", or a bare number of seconds. */
int parse_duration_ms(const char *text, uint64_t *milliseconds);
/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
int parse_bool(const char *text, bool *value);
/* "HOST:PORT" with a numeric IPv4 or bracketed IPv6 host; port 0 allowed. */
int parse_socket_address(const char *text, struct sockaddr_storage *address, socklen_t *length);
/* IPv4 CIDR "10.1.0.0/16" with a prefix length in [min_bits, max_bits]
 * (at most 32): the network address in host byte order, host bits
 * cleared, and the prefix length. */
int parse_ipv4_prefix(const char *text, unsigned int min_bits, unsigned int max_bits, uint32_t *base_host_order,
		      unsigned int *bits);
/* Writes "1.2.3.4:80" or "[::1]:80" into out (at least 64 bytes). */
void format_socket_address(const struct sockaddr *address, char *out, size_t out_size);
/* The same without the port: "1.2.3.4" or "[::1]". */
void format_socket_host(const struct sockaddr *address, char *out, size_t out_size);

#endif
