/* Downloads the ACS asked for and this agent accepted, in
 * DATA_DIR/downloads.json, worked through in order by the download worker.
 * A request is saved before its DownloadResponse is sent and removed only
 * after its TransferComplete record exists, so a restart carries on with
 * it. Also the per-image progress record (how many bytes of the partial
 * file are known to be on disk) that lets a restart resume with Range.
 * Thread-safe. */
#ifndef CASCADE_CPE_DOWNLOAD_QUEUE_H
#define CASCADE_CPE_DOWNLOAD_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpe/config.h"
#include "cpe/transfer_store.h"

#define DOWNLOAD_QUEUE_MAX 4
#define DOWNLOAD_NAME_MAX  255

struct download_request {
	char command_key[COMMAND_KEY_MAX + 1];
	char url[CPE_URL_MAX];
	char username[CPE_NAME_MAX];
	char password[CPE_NAME_MAX];
	uint64_t file_size;                    /* 0: not given */
	char target_name[DOWNLOAD_NAME_MAX + 1]; /* the image's file name */
	char sha256[65];                       /* expected, lowercase; "": not given */
	char pieces_sha256[65];                /* X_CASCADE_ImagePiecesSHA256 when accepted, lowercase; "": none */
	char signature[96];                    /* X_CASCADE_ImageSignature when accepted; "": none */
	uint64_t accepted_at;                  /* seconds since the epoch */
	uint64_t not_before;                   /* accepted_at + DelaySeconds */
	uint64_t started_at;                   /* 0 until the first attempt */
};

struct download_queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char path[CPE_PATH_MAX + 32];
	struct download_request records[DOWNLOAD_QUEUE_MAX];
	size_t count;
	bool stopping;
	/* A Download of the image the first request is fetching arrived (the
	 * ACS re-pointed this device to another source): the running fetch
	 * stops and the newer request resumes from the same partial file. */
	bool first_superseded;
	char superseded_by[COMMAND_KEY_MAX + 1];
};

int download_queue_open(struct download_queue *queue, const char *data_dir);
void download_queue_close(struct download_queue *queue);
/* Appends and saves: -EBUSY when DOWNLOAD_QUEUE_MAX are waiting, or the
 * error of the save (then nothing is queued). A request for the image (the
 * same expected SHA-256) the started first request is fetching supersedes
 * that one (download_queue_superseded). */
int download_queue_push(struct download_queue *queue, const struct download_request *request);
/* Copies the first request out; false when empty. */
bool download_queue_first(struct download_queue *queue, struct download_request *request);
int download_queue_update(struct download_queue *queue, const struct download_request *request);
/* Removes the request with this command key (the first one that has it). */
int download_queue_remove(struct download_queue *queue, const char *command_key);
size_t download_queue_count(struct download_queue *queue);
/* Copies every waiting request out, in order; returns how many. */
size_t download_queue_list(struct download_queue *queue, struct download_request requests[DOWNLOAD_QUEUE_MAX]);
/* Drops requests whose TransferComplete is already stored (a restart
 * between storing the result and dequeuing). */
void download_queue_reconcile(struct download_queue *queue, struct transfer_store *transfers);
/* Waits up to timeout_ms for a request or a stop; true when one waits. */
bool download_queue_wait(struct download_queue *queue, uint64_t timeout_ms);
void download_queue_stop(struct download_queue *queue);
bool download_queue_stopping(struct download_queue *queue);
/* The first request was superseded: true, with the newer CommandKey in by
 * (COMMAND_KEY_MAX + 1 bytes); clears the mark when clear is set. */
bool download_queue_superseded(struct download_queue *queue, char *by, bool clear);
/* Stopping, or the first request superseded: one lock (the fetch's
 * progress callback asks it many times a second). */
bool download_queue_stopping_or_superseded(struct download_queue *queue);
/* Sleeps up to timeout_ms unless stopped first; false when stopped. */
bool download_queue_sleep(struct download_queue *queue, uint64_t timeout_ms);

/* ---- progress of the partial file (download_progress.c) ----------------- */

struct download_progress {
	uint64_t durable_bytes;   /* bytes fsynced to the partial file */
	uint64_t total_bytes;     /* the size the server announced, 0: unknown */
	uint64_t verified_bytes;  /* of those, the whole pieces checked against the piece list */
	char url[CPE_URL_MAX];    /* where those bytes came from */
};

/* DATA_DIR/downloads/KEY.part and KEY.progress, KEY being the expected
 * SHA-256 (so a re-pointed download of the same image resumes from the
 * bytes already here, whatever server sent them) or, without one, a hash
 * of URL and size. Creates DATA_DIR/downloads. */
int download_partial_paths(const char *data_dir, const struct download_request *request, char *partial,
			   size_t partial_size, char *progress, size_t progress_size);
/* Missing or unreadable: zeroed progress and -ENOENT. */
int download_progress_load(const char *path, struct download_progress *progress);
int download_progress_save(const char *path, const struct download_progress *progress);

#endif
