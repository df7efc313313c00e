/* Per-address connection counting for cascade-master (see address_limit.h). */
#include "master/address_limit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "common/parse.h"
#include "master/log_limit.h"
#include "master/server.h"

static struct log_limit refusal_log = LOG_LIMIT_INITIALIZER("per-address cap", 10);

int address_limit_init(struct address_limit *limits, unsigned int limit)
{
	memset(limits, 0, sizeof(*limits));
	limits->limit = limit;
	if (limit == 0)
		return 0;
	if (getrandom(&limits->key, sizeof(limits->key), 0) != sizeof(limits->key))
		limits->key = (uint64_t)(uintptr_t)limits ^ 0x9e3779b97f4a7c15ull;
	limits->counters = calloc(ADDRESS_LIMIT_COUNTERS, sizeof(limits->counters[0]));
	return limits->counters ? 0 : -ENOMEM;
}

void address_limit_destroy(struct address_limit *limits)
{
	free(limits->counters);
	limits->counters = NULL;
}

/* The 64 bits that identify a subscriber: the IPv4 address, or the
 * network half of an IPv6 address. false for other families. */
static bool subscriber_bits(const struct sockaddr *address, uint64_t *bits)
{
	if (address->sa_family == AF_INET) {
		const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)address;

		*bits = ipv4->sin_addr.s_addr;
		return true;
	}
	if (address->sa_family == AF_INET6) {
		const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)address;
		uint32_t ipv4;

		if (IN6_IS_ADDR_V4MAPPED(&ipv6->sin6_addr)) {
			memcpy(&ipv4, &ipv6->sin6_addr.s6_addr[12], sizeof(ipv4));
			*bits = ipv4;
		} else {
			memcpy(bits, ipv6->sin6_addr.s6_addr, sizeof(*bits));
			*bits ^= 1ull << 63; /* never equal to an IPv4 value */
		}
		return true;
	}
	return false;
}

/* Keyed mixing (the splitmix64 finalizer over bits ^ key). */
static uint32_t *counter_for(struct address_limit *limits, const struct sockaddr *address)
{
	uint64_t value;

	if (limits->counters == NULL || !subscriber_bits(address, &value))
		return NULL;
	value ^= limits->key;
	value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
	value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
	value ^= value >> 31;
	return &limits->counters[value % ADDRESS_LIMIT_COUNTERS];
}

bool address_limit_acquire(struct address_limit *limits, const struct sockaddr *address)
{
	uint32_t *counter = counter_for(limits, address);

	if (counter == NULL)
		return true;
	if (__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED) <= limits->limit)
		return true;
	__atomic_sub_fetch(counter, 1, __ATOMIC_RELAXED);
	return false;
}

void address_limit_release(struct address_limit *limits, const struct sockaddr *address)
{
	uint32_t *counter = counter_for(limits, address);

	if (counter != NULL)
		__atomic_sub_fetch(counter, 1, __ATOMIC_RELAXED);
}

bool connection_admit_address(struct worker *worker, int fd)
{
	struct address_limit *limits = &worker->server->address_limit;
	struct sockaddr_storage peer;
	socklen_t length = sizeof(peer);
	char text[64];

	if (limits->counters == NULL || getpeername(fd, (struct sockaddr *)&peer, &length) != 0)
		return true;
	if (address_limit_acquire(limits, (struct sockaddr *)&peer))
		return true;
	if (log_limit_allow(&refusal_log, worker->now_ms)) {
		format_socket_address((struct sockaddr *)&peer, text, sizeof(text));
		log_warn("%s: over --max-connections-per-address (%u); answering 503", text, limits->limit);
	}
	return false;
}

void address_limit_release_socket(struct address_limit *limits, int fd)
{
	struct sockaddr_storage peer;
	socklen_t length = sizeof(peer);

	if (limits->counters != NULL && getpeername(fd, (struct sockaddr *)&peer, &length) == 0)
		address_limit_release(limits, (struct sockaddr *)&peer);
}
