/* The values operators give the meters, parsed and printed: rates with units
 * ("10mbit", "5MB/s"), destination prefixes ("10.1.0.0/16", "fd00::/64") and
 * group ids (1..16777215). Parsers return 0 or -EINVAL (-ERANGE when the
 * value is well-formed but out of range) and never write their output on
 * failure, so a bad argument is rejected before anything is applied. */
#ifndef CASCADE_METER_VALUES_H
#define CASCADE_METER_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METER_RATE_MINIMUM 1000ull            /* 8 kbit/s */
#define METER_RATE_MAXIMUM 12500000000ull     /* 100 Gbit/s */

/* A number (decimals allowed) and a unit, case-insensitive:
 *   bits per second:  bit kbit mbit gbit tbit (also with "/s"; SI, x1000)
 *   bytes per second: b/s kb/s mb/s gb/s (SI) and kib/s mib/s gib/s (x1024)
 * A bare number is refused (tc reads it as bits, people as bytes). */
int meter_parse_rate(const char *text, uint64_t *bytes_per_second);
/* "10 Mbit/s", "1.25 Gbit/s", "800 kbit/s": three significant digits. */
void meter_format_rate(uint64_t bytes_per_second, char *out, size_t size);

/* The frame rate a shaper must enforce so that a bulk TCP transfer's payload
 * (full-size segments with timestamps: 52 bytes of IP and TCP header per
 * segment, plus the L2 header) arrives at payload_bytes_per_second. */
uint64_t meter_shaper_rate(uint64_t payload_bytes_per_second, uint32_t mtu, uint32_t l2_header_bytes);

struct meter_prefix {
	int family;            /* 4 or 6 */
	uint32_t length;       /* prefix length in bits */
	uint8_t address[16];   /* network byte order; 4 bytes used for IPv4 */
};

/* "10.1.0.0/16", "10.1.2.3" (a /32), "fd00:ca5::/64", "::1" (a /128).
 * Host bits beyond the length must be zero. */
int meter_parse_prefix(const char *text, struct meter_prefix *prefix);
/* out needs 64 bytes. */
void meter_format_prefix(const struct meter_prefix *prefix, char *out, size_t size);

/* Decimal group id in 1..METER_GROUP_MAX (16777215). */
int meter_parse_group(const char *text, uint32_t *group);

/* The htb class of a capped group as tc prints it: group 1 -> "ca:1",
 * group 26 -> "ca:1a". out needs 8 bytes; "" when the group has no class
 * (above METER_HTB_GROUP_MAX). */
void meter_format_htb_class(uint32_t group, char *out, size_t size);

/* Adds ports to the registered set of a meter. counting_all: the meter
 * already counts every packet (it stays so). Duplicates count once.
 * Returns the new count (0: every packet is counted) and sets *overflow
 * when the union holds more than METER_MAX_PORTS ports (then 0). */
uint32_t meter_merge_ports(const uint16_t *registered, uint32_t registered_count, bool counting_all,
			   const uint16_t *added, size_t added_count, uint16_t *out, bool *overflow);

#endif
