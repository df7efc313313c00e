/* cascade-acs's durable store: SQLite in WAL mode, written by one thread in
 * group commits. A request handler snapshots the rows it changed into a
 * batch and submits it; the batch's callback runs after the transaction
 * holding it committed (or failed), so a reply is released only once what it
 * acknowledges is on disk. */
#ifndef CASCADE_ACS_STORE_H
#define CASCADE_ACS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acs/model.h"

struct store;
struct store_batch;

typedef void (*store_done_fn)(void *argument, int result);

/* Opens (creating) the database and its schema; synchronous_full selects
 * PRAGMA synchronous=FULL (fsync per commit) over NORMAL. */
int store_open(const char *path, bool synchronous_full, struct store **store);
/* Loads devices, groups and campaigns into the controller (lock held by caller). */
int store_load(struct store *store, struct controller *controller);
/* Starts the writer thread. */
int store_start(struct store *store);
/* Commits what is queued (running its callbacks) and stops the writer;
 * batches submitted afterwards are refused with -ESHUTDOWN. The store
 * stays readable (store_pending) until store_close. */
void store_stop(struct store *store);
/* Stops the store if running, closes the database and frees the store. */
void store_close(struct store *store);
/* Batches submitted but not yet committed. */
size_t store_pending(struct store *store);

/* The write-ahead log: what /metrics shows of it. */
struct store_wal_figures {
	uint64_t frames;             /* in the WAL after the last commit, not yet copied back */
	uint64_t checkpoints;        /* complete checkpoints (the WAL then restarts) */
	uint64_t forced_checkpoints; /* of those, run by the writer because the WAL passed its bound */
	uint64_t frames_written;     /* appended since start: what the WAL would hold without checkpoints */
	uint64_t failed_commits;
};
void store_wal_figures(struct store *store, struct store_wal_figures *figures);

struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *batch);
bool store_batch_empty(const struct store_batch *batch);
/* Row snapshots (copied now, written at commit). Return 0 or -ENOMEM. */
/* Writes the whole row when any column but the Inform bookkeeping changed
 * since the last full write or a commit to store failed since then, else
 * only last_inform, inform_count, last_address and last_events (cheap for
 * periodic Informs). store is where the batch goes (NULL: none yet). */
int store_batch_device(struct store *store, struct store_batch *batch, struct device *device);
/* The hash store_batch_device compares (also set after loading). */
uint64_t store_device_hash(const struct device *device);
/* How many commits to store have failed since it was opened (0 for NULL): a
 * row hashed before a failure may never have reached the database, so it is
 * written in full. */
uint64_t store_failed_commits(struct store *store);
int store_batch_group(struct store_batch *batch, const struct group *group);
int store_batch_campaign(struct store_batch *batch, const struct campaign *campaign);
int store_batch_member(struct store_batch *batch, const struct campaign *campaign,
		       const struct campaign_member *member);
int store_batch_campaign_group(struct store_batch *batch, const struct campaign_group *group);
/* A fault a device reported; campaign_id 0 when it belongs to none. */
int store_batch_fault(struct store_batch *batch, uint32_t device_id, uint32_t campaign_id, uint32_t code,
		      const char *string, const char *context);

/* Which faults a query or a clear is about; 0 in a field: any. */
struct fault_filter {
	uint32_t device_id;
	uint32_t code;
	uint32_t campaign_id;
	uint64_t id;
	uint64_t up_to_id;  /* clear: only faults up to this id (those the caller counted) */
	int cleared;        /* queries: 0 open ones, 1 cleared ones, 2 both */
};
/* Marks the open faults matching filter (up to filter->up_to_id) cleared now. */
int store_batch_fault_clear(struct store_batch *batch, const struct fault_filter *filter);

/* One row of a device's timeline (device_events.h). */
struct device_event_row {
	uint32_t device_id;
	uint64_t sequence;  /* the device's, from 1 */
	uint64_t at_ms;     /* unix milliseconds */
	int kind;           /* enum device_event_kind */
	uint32_t code;      /* fault code, 0 none */
	const char *detail;
};
/* Writes the event and drops the device's event `keep` places older. A
 * batch holding only events need not be waited for (store_batch_must_wait). */
int store_batch_event(struct store_batch *batch, const struct device_event_row *event, unsigned int keep);
/* Whether the batch holds a change a reply must wait for (anything but
 * timeline events, which may be lost with the last instant before a crash). */
bool store_batch_must_wait(const struct store_batch *batch);
int store_batch_transfer(struct store_batch *batch, uint32_t device_id, const struct cwmp_transfer_complete *transfer);
/* Queues the batch (taking ownership); done runs on the writer thread
 * after the commit with 0 or a negative errno. done may be NULL. After
 * store_stop done runs at once, on the caller's thread, with -ESHUTDOWN. */
void store_submit(struct store *store, struct store_batch *batch, store_done_fn done, void *argument);

#endif
