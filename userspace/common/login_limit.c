/* Failed-login counting per source address (see login_limit.h). */
#include "common/login_limit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define WAYS 4

int login_limit_init(struct login_limit *limit, unsigned int max_failures, uint64_t window_ms)
{
	memset(limit, 0, sizeof(*limit));
	pthread_mutex_init(&limit->lock, NULL);
	limit->max_failures = max_failures;
	limit->window_ms = window_ms ? window_ms : 1;
	if (max_failures == 0)
		return 0;
	if (getrandom(&limit->key, sizeof(limit->key), 0) != sizeof(limit->key))
		limit->key = (uint64_t)(uintptr_t)limit ^ 0x2545f4914f6cdd1dull;
	limit->slots = calloc(LOGIN_LIMIT_SLOTS, sizeof(limit->slots[0]));
	return limit->slots ? 0 : -ENOMEM;
}

void login_limit_destroy(struct login_limit *limit)
{
	free(limit->slots);
	limit->slots = NULL;
	pthread_mutex_destroy(&limit->lock);
}

/* IPv4 address, or the network half of an IPv6 address, with the top bit
 * telling them apart; false for other families. */
static bool subscriber_of(const struct sockaddr *address, uint64_t *bits)
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

static struct login_slot *set_of(struct login_limit *limit, uint64_t subscriber)
{
	uint64_t value = subscriber ^ limit->key;

	value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
	value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
	value ^= value >> 31;
	return &limit->slots[(value % (LOGIN_LIMIT_SLOTS / WAYS)) * WAYS];
}

static bool slot_stale(const struct login_slot *slot, const struct login_limit *limit, uint64_t now_ms)
{
	return !slot->used || (now_ms >= slot->blocked_until_ms && now_ms - slot->window_start_ms >= limit->window_ms);
}

/* The slot of subscriber, or NULL; with create, a new or reused one. */
static struct login_slot *find(struct login_limit *limit, uint64_t subscriber, uint64_t now_ms, bool create)
{
	struct login_slot *set = set_of(limit, subscriber), *victim = NULL;

	for (int way = 0; way < WAYS; way++)
		if (set[way].used && set[way].subscriber == subscriber)
			return &set[way];
	if (!create)
		return NULL;
	for (int way = 0; way < WAYS; way++) {
		if (slot_stale(&set[way], limit, now_ms)) {
			victim = &set[way];
			break;
		}
		if (!victim || set[way].window_start_ms < victim->window_start_ms)
			victim = &set[way];
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->subscriber = subscriber;
	return victim;
}

bool login_limit_blocked(struct login_limit *limit, const struct sockaddr *address, uint64_t now_ms,
			 unsigned int *retry_after_seconds)
{
	struct login_slot *slot;
	uint64_t subscriber;
	bool blocked = false;

	if (!limit->slots || !subscriber_of(address, &subscriber))
		return false;
	pthread_mutex_lock(&limit->lock);
	slot = find(limit, subscriber, now_ms, false);
	if (slot && slot->blocked_until_ms > now_ms) {
		blocked = true;
		limit->refused_total++;
		if (retry_after_seconds)
			*retry_after_seconds = (unsigned int)((slot->blocked_until_ms - now_ms + 999) / 1000);
	}
	pthread_mutex_unlock(&limit->lock);
	return blocked;
}

bool login_limit_failed(struct login_limit *limit, const struct sockaddr *address, uint64_t now_ms)
{
	struct login_slot *slot;
	uint64_t subscriber;
	bool newly_blocked = false;

	if (!limit->slots || !subscriber_of(address, &subscriber))
		return false;
	pthread_mutex_lock(&limit->lock);
	slot = find(limit, subscriber, now_ms, true);
	if (slot->failures == 0 || now_ms - slot->window_start_ms >= limit->window_ms) {
		slot->window_start_ms = now_ms;
		slot->failures = 0;
	}
	if (slot->failures < UINT32_MAX)
		slot->failures++;
	if (slot->failures >= limit->max_failures && slot->blocked_until_ms <= now_ms) {
		slot->blocked_until_ms = now_ms + limit->window_ms;
		slot->failures = 0;
		slot->window_start_ms = now_ms;
		limit->blocked_total++;
		newly_blocked = true;
	}
	pthread_mutex_unlock(&limit->lock);
	return newly_blocked;
}
