/* Per-address connection counting for cascade-master (see address_limit.h). */
#include "master/address_limit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/parse.h"
#include "common/subscriber.h"
#include "common/log_limit.h"
#include "master/server.h"

static struct log_limit refusal_log = LOG_LIMIT_INITIALIZER("per-address cap", 10);

int address_limit_init(struct address_limit *limits, unsigned int limit)
{
	memset(limits, 0, sizeof(*limits));
	limits->limit = limit;
	if (limit == 0)
		return 0;
	limits->key = subscriber_random_key();
	limits->counters = calloc(ADDRESS_LIMIT_COUNTERS, sizeof(limits->counters[0]));
	return limits->counters ? 0 : -ENOMEM;
}

void address_limit_destroy(struct address_limit *limits)
{
	free(limits->counters);
	limits->counters = NULL;
}

static uint32_t *counter_for(struct address_limit *limits, const struct sockaddr *address)
{
	uint64_t subscriber;

	if (limits->counters == NULL || !subscriber_of(address, &subscriber))
		return NULL;
	return &limits->counters[subscriber_hash(subscriber, limits->key) % ADDRESS_LIMIT_COUNTERS];
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

bool connection_admit_address(struct worker *worker, const struct sockaddr *peer)
{
	struct address_limit *limits = &worker->server->address_limit;
	char text[64];

	if (limits->counters == NULL || address_limit_acquire(limits, peer))
		return true;
	if (log_limit_allow(&refusal_log, worker->now_ms)) {
		format_socket_address(peer, text, sizeof(text));
		log_warn("%s: over --max-connections-per-address (%u); answering 503", text, limits->limit);
	}
	return false;
}
