/* Subscriber keys of peer addresses (see subscriber.h). */
#include "common/subscriber.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>

bool subscriber_of(const struct sockaddr *address, uint64_t *bits)
{
	if (address->sa_family == AF_INET) {
		*bits = ((const struct sockaddr_in *)address)->sin_addr.s_addr;
		return true;
	}
	if (address->sa_family == AF_INET6) {
		const struct in6_addr *ipv6 = &((const struct sockaddr_in6 *)address)->sin6_addr;
		uint32_t ipv4;

		if (IN6_IS_ADDR_V4MAPPED(ipv6)) {
			memcpy(&ipv4, &ipv6->s6_addr[12], sizeof(ipv4));
			*bits = ipv4;
		} else {
			memcpy(bits, ipv6->s6_addr, sizeof(*bits));
			*bits |= 1ull << 63;
		}
		return true;
	}
	return false;
}

uint64_t subscriber_random_key(void)
{
	uint64_t key;

	if (getrandom(&key, sizeof(key), 0) != sizeof(key))
		key = (uint64_t)(uintptr_t)&key ^ 0x9e3779b97f4a7c15ull;
	return key;
}

uint64_t subscriber_hash(uint64_t bits, uint64_t key)
{
	uint64_t value = bits ^ key;

	value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
	value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
	return value ^ (value >> 31);
}
