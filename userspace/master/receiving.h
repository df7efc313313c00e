/* The state of an image the master serves while its local agent is still
 * receiving it (cut-through relay): the image's piece list, how many of
 * its pieces the master has read back from the growing file and checked
 * itself (only those are ever sent), whether the file was given up, and
 * the signal connections wait on for more verified bytes.
 *
 * Verified bytes only grow, and only by whole checked pieces; a piece that
 * fails is never counted (it is checked again once the file changes, as
 * the agent cuts a bad piece off and fetches it again elsewhere). A file
 * that was deleted (link count 0) and holds no further good piece has
 * ended: its readers stop after the verified bytes.
 *
 * Waiting: a reader that has sent every verified byte takes the current
 * signal (an eventfd it polls, through io_uring); each advance, the end and
 * the completion write that eventfd and put a fresh one in its place, so
 * every waiter wakes exactly when something changed and nobody spins.
 * Thread-safe: the verifier thread advances, event loops decide and wait. */
#ifndef CASCADE_MASTER_RECEIVING_H
#define CASCADE_MASTER_RECEIVING_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/image_pieces.h"

/* Reference-counted eventfd: written once, when the state it was handed
 * out for has changed. */
struct relay_signal {
	int references;
	int fd;
};

void relay_signal_hold(struct relay_signal *signal);
void relay_signal_release(struct relay_signal *signal);

struct receiving {
	pthread_mutex_t lock;
	struct image_pieces pieces;
	char *list_text;                /* the list as read (what /pieces/NAME serves) */
	size_t list_length;
	uint32_t pieces_verified;       /* pieces [0, this) checked good */
	uint64_t verified_bytes;        /* their bytes: the prefix that may be sent */
	bool complete;                  /* every piece verified */
	bool ended;                     /* the file was given up: no more bytes come */
	struct relay_signal *signal;    /* what waiters poll now (NULL once complete or ended) */
	/* A piece that failed, remembered so unchanged bytes are not hashed again. */
	bool has_failed;
	uint32_t failed_piece;
	uint64_t failed_size;
	int64_t failed_modified_ns;
	uint64_t failed_at_ms;
	uint64_t failed_checks;         /* piece checks that failed, in all */
	uint64_t last_progress_ms;      /* monotonic time of the last verified piece */
};

/* Parses the list text (cascade-pieces-v1) and prepares the state.
 * Returns 0, -EBADMSG (bad list, why filled), -ENOMEM, or an eventfd error. */
int receiving_init(struct receiving *receiving, const char *list_text, size_t list_length, char *why,
		   size_t why_size);
void receiving_destroy(struct receiving *receiving);

/* What one pass over the file found. */
struct receiving_pass {
	uint32_t verified;              /* pieces newly verified */
	bool failed;                    /* a piece did not match (failed_piece says which) */
	bool failed_again;              /* ... the same piece as the last failure */
	bool completed;                 /* this pass verified the last piece */
	bool ended;                     /* this pass found the file given up */
};

/* Checks the pieces the file at fd now holds past the verified prefix, at
 * most max_pieces of them, and wakes waiters when the prefix grew or the
 * file ended. buffer holds at least piece_size bytes. Returns 0 or a
 * negative errno (fstat failed); pass says what changed. */
int receiving_advance(struct receiving *receiving, int fd, uint8_t *buffer, unsigned int max_pieces,
		      uint64_t now_ms, struct receiving_pass *pass);

uint64_t receiving_verified_bytes(struct receiving *receiving);
bool receiving_finished(struct receiving *receiving);   /* complete or ended */
bool receiving_has_ended(struct receiving *receiving);

enum relay_decision {
	RELAY_READY,    /* bytes past offset are verified: send them */
	RELAY_WAIT,     /* wait on *signal (held for the caller), then decide again */
	RELAY_END,      /* no more bytes will come, or the wait lasted too long: close */
};

/* For a reader whose next byte is offset and that has made no progress
 * for waited_ms: what to do. With RELAY_WAIT the caller holds *signal and
 * releases it after its wait; *verified gets the verified prefix. */
enum relay_decision receiving_decide(struct receiving *receiving, uint64_t offset, uint64_t waited_ms,
				     uint64_t timeout_ms, struct relay_signal **signal, uint64_t *verified);

#endif
