/* Per-address connection cap (--max-connections-per-address): a fixed
 * table of atomic counters indexed by a keyed hash of the peer address
 * (IPv4 address, or the /64 of an IPv6 address, which one subscriber
 * typically holds; v4-mapped IPv6 counts as IPv4). Shared by every event
 * loop, lock-free. The cap is never exceeded for any address; rarely, two
 * addresses that share a counter share its cap (65536 counters, a random
 * key per process, so a client cannot aim at another's counter). */
#ifndef CASCADE_MASTER_ADDRESS_LIMIT_H
#define CASCADE_MASTER_ADDRESS_LIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDRESS_LIMIT_COUNTERS 65536

struct address_limit {
	unsigned int limit;          /* 0: no per-address cap */
	uint64_t key;
	uint32_t *counters;          /* ADDRESS_LIMIT_COUNTERS, NULL when off */
};

/* limit 0 turns the cap off (nothing allocated). Returns 0 or -ENOMEM. */
int address_limit_init(struct address_limit *limits, unsigned int limit);
void address_limit_destroy(struct address_limit *limits);
/* Counts a new connection from address; false (nothing counted) when the
 * address already holds limit connections. Addresses that are not IPv4 or
 * IPv6 are not counted and always admitted. */
bool address_limit_acquire(struct address_limit *limits, const struct sockaddr *address);
/* Releases what address_limit_acquire counted for address. */
void address_limit_release(struct address_limit *limits, const struct sockaddr *address);

/* For the accept path of an event loop: counts peer, the address of the
 * accepted socket; when its address is at the cap, logs it (rate-limited)
 * and returns false, and the connection is answered 503 like one past
 * --max-connections. address_limit_release with the same address undoes it. */
struct worker;
bool connection_admit_address(struct worker *worker, const struct sockaddr *peer);

#endif
