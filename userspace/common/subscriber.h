/* Who a peer address stands for when counting per client (connection
 * caps, failed logins): an IPv4 address, or the /64 of an IPv6 address (a
 * subscriber usually holds a whole /64), v4-mapped IPv6 counting as IPv4;
 * and a keyed hash of it, so a client cannot choose which counter it
 * shares with another. */
#ifndef CASCADE_COMMON_SUBSCRIBER_H
#define CASCADE_COMMON_SUBSCRIBER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* 64 bits naming the subscriber (the top bit tells IPv6 from IPv4);
 * false for families that are neither. */
bool subscriber_of(const struct sockaddr *address, uint64_t *bits);
/* A random key per process (getrandom). */
uint64_t subscriber_random_key(void);
/* Mixes bits with key (splitmix64's finalizer). */
uint64_t subscriber_hash(uint64_t bits, uint64_t key);

#endif
