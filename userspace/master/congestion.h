/* The TCP congestion control of a server's connections (--congestion-control):
 * which one, resolved once at start, and setting it on a listener. */
#ifndef CASCADE_MASTER_CONGESTION_H
#define CASCADE_MASTER_CONGESTION_H

#include <stdbool.h>
#include <stddef.h>

#define CONGESTION_NAME_MAX 16

struct congestion_choice {
	char to_set[CONGESTION_NAME_MAX];    /* set on every listener; "": the host's stands */
	char in_effect[CONGESTION_NAME_MAX]; /* what every connection uses */
	bool paces;                          /* in_effect paces in the kernel (bbr) */
};

/* Resolves the configured value: "auto" (a master replaces a host default
 * that paces, bbr, by cubic; the origin keeps the host's), "system" (the
 * host's) or a name the kernel must have. Returns 0, or -EINVAL with why. */
int congestion_resolve(const char *configured, bool origin, struct congestion_choice *choice,
		       char *why, size_t why_size);

/* Sets choice->to_set on a listening socket (accepted connections keep it). */
int congestion_apply(int fd, const struct congestion_choice *choice);

#endif
