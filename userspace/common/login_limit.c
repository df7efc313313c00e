/* Failed-login counting per source address (see login_limit.h). */
#include "common/login_limit.h"
#include "common/subscriber.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4

int login_limit_init(struct login_limit *limit, unsigned int max_failures, uint64_t window_ms)
{
	memset(limit, 0, sizeof(*limit));
	pthread_mutex_init(&limit->lock, NULL);
	limit->max_failures = max_failures;
	limit->window_ms = window_ms ? window_ms : 1;
	if (max_failures == 0)
		return 0;
	limit->key = subscriber_random_key();
	limit->slots = calloc(LOGIN_LIMIT_SLOTS, sizeof(limit->slots[0]));
	return limit->slots ? 0 : -ENOMEM;
}

void login_limit_destroy(struct login_limit *limit)
{
	free(limit->slots);
	limit->slots = NULL;
	pthread_mutex_destroy(&limit->lock);
}

static struct login_slot *set_of(struct login_limit *limit, uint64_t subscriber)
{
	return &limit->slots[(subscriber_hash(subscriber, limit->key) % (LOGIN_LIMIT_SLOTS / WAYS)) * WAYS];
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

/* Takes the lock and finds (or with create makes) the address's slot;
 * false, without the lock, when the limit is off or the address not IP. */
static bool lock_slot(struct login_limit *limit, const struct sockaddr *address, uint64_t now_ms, bool create,
		      struct login_slot **slot)
{
	uint64_t subscriber;

	if (!limit->slots || !subscriber_of(address, &subscriber))
		return false;
	pthread_mutex_lock(&limit->lock);
	*slot = find(limit, subscriber, now_ms, create);
	return true;
}

bool login_limit_blocked(struct login_limit *limit, const struct sockaddr *address, uint64_t now_ms,
			 unsigned int *retry_after_seconds)
{
	struct login_slot *slot;
	bool blocked = false;

	if (!lock_slot(limit, address, now_ms, false, &slot))
		return false;
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
	bool newly_blocked = false;

	if (!lock_slot(limit, address, now_ms, true, &slot))
		return false;
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
