/* Parsing and printing of the meters' operator values: rates, prefixes and
 * group ids (see meter_values.h for the accepted forms). */
#include "meter/meter_values.h"
#include "meter_types.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rate_unit {
	const char *name;
	uint64_t numerator;    /* bytes per second = number * numerator / denominator */
	uint64_t denominator;
};

static const struct rate_unit rate_units[] = {
	{ "bit", 1, 8 },              { "bit/s", 1, 8 },
	{ "kbit", 1000, 8 },          { "kbit/s", 1000, 8 },
	{ "mbit", 1000000, 8 },       { "mbit/s", 1000000, 8 },
	{ "gbit", 1000000000, 8 },    { "gbit/s", 1000000000, 8 },
	{ "tbit", 1000000000000, 8 }, { "tbit/s", 1000000000000, 8 },
	{ "b/s", 1, 1 },
	{ "kb/s", 1000, 1 },          { "kib/s", 1024, 1 },
	{ "mb/s", 1000000, 1 },       { "mib/s", 1048576, 1 },
	{ "gb/s", 1000000000, 1 },    { "gib/s", 1073741824, 1 },
};

int meter_parse_rate(const char *text, uint64_t *bytes_per_second)
{
	uint64_t whole = 0, fraction = 0, fraction_scale = 1;
	const char *cursor = text;
	const struct rate_unit *unit = NULL;
	int digits = 0;

	if (text == NULL)
		return -EINVAL;
	while (isdigit((unsigned char)*cursor)) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*cursor++ - '0');
		digits++;
	}
	if (*cursor == '.') {
		cursor++;
		while (isdigit((unsigned char)*cursor)) {
			if (fraction_scale < 1000000000ull) {
				fraction = fraction * 10 + (uint64_t)(*cursor - '0');
				fraction_scale *= 10;
			}
			cursor++;
			digits++;
		}
	}
	if (digits == 0)
		return -EINVAL;
	while (*cursor == ' ')
		cursor++;
	for (size_t index = 0; index < sizeof(rate_units) / sizeof(rate_units[0]); index++) {
		if (strcasecmp(cursor, rate_units[index].name) == 0) {
			unit = &rate_units[index];
			break;
		}
	}
	if (unit == NULL)
		return -EINVAL;
	/* whole * numerator / denominator + fraction part, without overflow. */
	if (whole > UINT64_MAX / unit->numerator)
		return -ERANGE;
	unsigned __int128 scaled = (unsigned __int128)whole * unit->numerator * fraction_scale +
				   (unsigned __int128)fraction * unit->numerator;
	scaled /= (unsigned __int128)unit->denominator * fraction_scale;
	if (scaled < METER_RATE_MINIMUM || scaled > METER_RATE_MAXIMUM)
		return -ERANGE;
	*bytes_per_second = (uint64_t)scaled;
	return 0;
}

void meter_format_rate(uint64_t bytes_per_second, char *out, size_t size)
{
	static const char *const names[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
	double value = (double)bytes_per_second * 8.0;
	size_t index = 0;

	while (value >= 1000.0 && index + 1 < sizeof(names) / sizeof(names[0])) {
		value /= 1000.0;
		index++;
	}
	if (value >= 100.0 || index == 0)
		snprintf(out, size, "%.0f %s", value, names[index]);
	else if (value >= 10.0)
		snprintf(out, size, "%.1f %s", value, names[index]);
	else
		snprintf(out, size, "%.2f %s", value, names[index]);
}

uint64_t meter_shaper_rate(uint64_t payload_bytes_per_second, uint32_t mtu, uint32_t l2_header_bytes)
{
	const uint32_t ip_and_tcp_header = 52;  /* 20 IPv4 + 20 TCP + 12 timestamps */

	if (mtu <= ip_and_tcp_header + 8)
		return payload_bytes_per_second;
	unsigned __int128 frame = (unsigned __int128)payload_bytes_per_second * (mtu + l2_header_bytes);
	return (uint64_t)((frame + (mtu - ip_and_tcp_header) - 1) / (mtu - ip_and_tcp_header));
}

static int host_bits_are_zero(const uint8_t *address, uint32_t length, uint32_t total_bits)
{
	for (uint32_t bit = length; bit < total_bits; bit++) {
		if (address[bit / 8] & (0x80u >> (bit % 8)))
			return 0;
	}
	return 1;
}

int meter_parse_prefix(const char *text, struct meter_prefix *prefix)
{
	char address_text[64];
	struct meter_prefix parsed = { 0 };
	const char *slash;
	size_t address_length;
	uint32_t total_bits;

	if (text == NULL)
		return -EINVAL;
	slash = strchr(text, '/');
	address_length = slash ? (size_t)(slash - text) : strlen(text);
	if (address_length == 0 || address_length >= sizeof(address_text))
		return -EINVAL;
	memcpy(address_text, text, address_length);
	address_text[address_length] = '\0';
	if (inet_pton(AF_INET, address_text, parsed.address) == 1) {
		parsed.family = 4;
		total_bits = 32;
	} else if (inet_pton(AF_INET6, address_text, parsed.address) == 1) {
		parsed.family = 6;
		total_bits = 128;
	} else {
		return -EINVAL;
	}
	parsed.length = total_bits;
	if (slash != NULL) {
		const char *digits = slash + 1;
		char *end;
		unsigned long length;

		if (!isdigit((unsigned char)digits[0]) || strlen(digits) > 3)
			return -EINVAL;
		errno = 0;
		length = strtoul(digits, &end, 10);
		if (errno != 0 || *end != '\0' || length > total_bits)
			return -EINVAL;
		parsed.length = (uint32_t)length;
	}
	if (!host_bits_are_zero(parsed.address, parsed.length, total_bits))
		return -EINVAL;
	*prefix = parsed;
	return 0;
}

void meter_format_prefix(const struct meter_prefix *prefix, char *out, size_t size)
{
	char address[INET6_ADDRSTRLEN];

	if (inet_ntop(prefix->family == 4 ? AF_INET : AF_INET6, prefix->address, address, sizeof(address)) == NULL)
		snprintf(address, sizeof(address), "?");
	snprintf(out, size, "%s/%u", address, prefix->length);
}

int meter_parse_group(const char *text, uint32_t *group)
{
	char *end;
	unsigned long long value;

	if (text == NULL || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if (value < 1 || value > METER_GROUP_MAX)
		return -ERANGE;
	*group = (uint32_t)value;
	return 0;
}

void meter_format_htb_class(uint32_t group, char *out, size_t size)
{
	if (group < 1 || group > METER_HTB_GROUP_MAX)
		snprintf(out, size, "%s", "");
	else
		snprintf(out, size, "%x:%x", METER_HTB_MAJOR, group);
}

uint32_t meter_merge_ports(const uint16_t *registered, uint32_t registered_count, bool counting_all,
			   const uint16_t *added, size_t added_count, uint16_t *out, bool *overflow)
{
	uint32_t count = 0;

	*overflow = false;
	if (counting_all)
		return 0;
	for (size_t index = 0; index < (size_t)registered_count + added_count; index++) {
		uint16_t port = index < registered_count ? registered[index] : added[index - registered_count];
		bool known = port == 0;

		for (uint32_t seen = 0; seen < count && !known; seen++)
			known = out[seen] == port;
		if (known)
			continue;
		if (count == METER_MAX_PORTS) {
			*overflow = true;
			return 0;
		}
		out[count++] = port;
	}
	return count;
}
