/* Cut-through relay: the images the master serves while its local agent
 * still receives them, and the piece lists of every image it serves.
 *
 * Receiving images live in the image folder's ".partial" subfolder: the
 * agent writes ".partial/NAME" (the image as it arrives) and, once it has a
 * piece list whose digest the controller vouched for, ".partial/NAME.pieces"
 * (that list, cascade-pieces-v1, written atomically), then asks for a
 * reload. From then on GET/HEAD /images/NAME (when NAME is not served
 * whole) answers with the image's full length and final ETag and streams
 * the bytes of the pieces this master has read back and checked against
 * the list itself, waiting (at most --relay-wait-timeout without progress)
 * for more. The agent publishes as usual (a rename of ".partial/NAME" into
 * the folder keeps the inode, so streams in flight go on to the end), or
 * gives up by deleting the file (streams end after their verified bytes).
 *
 * A verifier thread follows the growing files (inotify on .partial, and a
 * short poll while an image is incomplete), checks each new whole piece,
 * and wakes the connections waiting for it. Served images get their piece
 * list when they are verified (the list the agent received when the image
 * was published from .partial, else computed with --piece-size), kept
 * with the image like its hash. */
#ifndef CASCADE_MASTER_RELAY_H
#define CASCADE_MASTER_RELAY_H

#include <linux/time_types.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "master/config.h"
#include "master/receiving.h"

#define RELAY_PARTIAL_FOLDER  ".partial"
#define RELAY_PIECES_SUFFIX   ".pieces"
/* Receiving images followed at once; more are ignored (and logged). */
#define RELAY_MAX_RECEIVING   64

struct image;
struct image_store;
struct connection;
struct http_request;

/* What an image carries for relays (image->relay; NULL: no piece list). */
struct image_relay {
	char *list_text;                /* served whole: its piece list */
	size_t list_length;
	struct receiving *receiving;    /* being received: state and list; NULL otherwise */
};

struct relay_entry {
	struct image *image;            /* a receiving image; the registry holds a reference */
	bool announced;                 /* its .pieces file is there (found by the last scan) */
	bool seen;                      /* found by the scan in progress */
	uint64_t unannounced_ms;        /* when it stopped being announced */
};

struct relay {
	struct image_store *store;
	char directory[4096];
	uint32_t piece_size;            /* for lists of images served whole; 0: none */
	uint64_t wait_timeout_ms;       /* a reader without progress this long is closed */
	struct __kernel_timespec wait_slice; /* one wait of a reader, before it decides again */

	pthread_mutex_t lock;           /* guards entries */
	struct relay_entry entries[RELAY_MAX_RECEIVING];
	unsigned int count;
	pthread_mutex_t scan_lock;      /* one scan at a time */

	pthread_t thread;
	bool thread_started;
	int stop_fd;                    /* eventfd: the verifier thread stops */
	int inotify_fd;
	int folder_watch;               /* the image folder (for .partial appearing) */
	int partial_watch;              /* .partial, -1 while not watched */

	/* Counters (relaxed atomics), shown at /-/relay. */
	uint64_t scans;
	uint64_t waits;                 /* readers that waited for verified bytes */
	uint64_t wait_timeouts;         /* readers closed after --relay-wait-timeout */
	uint64_t streams_ended;         /* readers closed because the file was given up */
	uint64_t lists_computed;        /* piece lists hashed for images served whole */
};

/* Prepares the registry (no thread yet): served images verified from now
 * on get piece lists. Returns 0 or a negative errno. */
int relay_init(struct relay *relay, const struct master_config *config, struct image_store *store);
/* Starts the verifier thread. */
int relay_start(struct relay *relay);
/* Stops the thread (before the event loops are gone, is fine) ... */
void relay_stop(struct relay *relay);
/* ... and, after the loops ended, drops every receiving image. */
void relay_destroy(struct relay *relay);

/* Rescans .partial (on reload, and on inotify events for .pieces files). */
void relay_scan(struct relay *relay);

/* The announced receiving image called name (a reference the caller
 * drops), or NULL. */
struct image *relay_find_receiving(struct relay *relay, const char *name);

/* Gives a newly verified image served whole its piece list (control
 * thread, at reload). Failures are logged; the image is served anyway. */
void relay_attach_list(struct relay *relay, struct image *image);
/* The piece list of image (served or receiving); false when it has none. */
bool image_relay_list(const struct image *image, const char **text, size_t *length);
void image_relay_free(struct image_relay *image_relay);

/* ---- connections (relay_transfer.c) ---------------------------------- */

/* Before a body submission: true to go on (*wait: nothing is verified past
 * the body's next byte yet, so arm relay_wait_submit instead of sending),
 * false when the connection was closed (the file was given up, or no
 * progress for --relay-wait-timeout). */
bool relay_may_send(struct connection *connection, bool *wait);
/* Where the verified bytes end for this connection's body now. */
uint64_t relay_readable_end(const struct connection *connection);
/* Submits the wait (a poll of the signal, linked to a timeout slice). */
void relay_wait_submit(struct connection *connection);
/* Its completion; the connection decides again when it advances. */
void relay_wait_done(struct connection *connection, int result);
/* Drops a signal still held (the response is released). */
void relay_wait_release(struct connection *connection);

/* ---- HTTP (relay_http.c) --------------------------------------------- */

/* GET|HEAD /pieces/NAME and /-/relay; true when the request was one of them
 * (and is answered). */
bool relay_route(struct connection *connection, const struct http_request *request);

#endif
