/* Failed logins per source address (credential guessing): after
 * max_failures failures within window_ms, requests from that address are
 * refused until window_ms after the failure that crossed the line; the
 * daemons answer them 429 + Retry-After without looking at the
 * credentials, and log the address once per block. Addresses are IPv4 or
 * the /64 of an IPv6 address (v4-mapped counts as IPv4). A fixed table
 * (LOGIN_LIMIT_SLOTS, 4-way sets by a keyed hash) bounds memory whatever
 * the number of attackers; when a set is full the oldest entry is
 * forgotten. Successful logins do not clear failures (an attacker behind
 * the same address as a device must not be able to reset its count).
 * Thread-safe. */
#ifndef CASCADE_COMMON_LOGIN_LIMIT_H
#define CASCADE_COMMON_LOGIN_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define LOGIN_LIMIT_SLOTS 4096

struct login_slot {
	uint64_t subscriber;       /* address bits (see login_limit.c) */
	uint64_t window_start_ms;  /* first failure counted in the window */
	uint64_t blocked_until_ms; /* 0: not blocked */
	uint32_t failures;
	bool used;
};

struct login_limit {
	pthread_mutex_t lock;
	unsigned int max_failures;   /* 0: no limit */
	uint64_t window_ms;
	uint64_t key;
	uint64_t blocked_total;      /* addresses blocked so far */
	uint64_t refused_total;      /* requests refused while blocked */
	struct login_slot *slots;
};

/* max_failures 0 turns the limit off. Returns 0 or -ENOMEM. */
int login_limit_init(struct login_limit *limit, unsigned int max_failures, uint64_t window_ms);
void login_limit_destroy(struct login_limit *limit);
/* true when address is blocked now; *retry_after_seconds (rounded up, at
 * least 1) says for how long. Counts the refusal. */
bool login_limit_blocked(struct login_limit *limit, const struct sockaddr *address, uint64_t now_ms,
			 unsigned int *retry_after_seconds);
/* Counts a failed login (credentials presented and wrong). Returns true
 * when this failure blocked the address (the caller logs it once). */
bool login_limit_failed(struct login_limit *limit, const struct sockaddr *address, uint64_t now_ms);

#endif
