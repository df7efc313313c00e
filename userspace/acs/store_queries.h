/* The operator API's reads of what only SQLite holds (faults, device
 * timelines), on the store's read-only connection: they run beside the
 * writer (WAL) and see what is committed. Each returns 0 or -EIO. */
#ifndef CASCADE_ACS_STORE_QUERIES_H
#define CASCADE_ACS_STORE_QUERIES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "acs/store.h"

/* The device's newest `limit` timeline rows, newest first:
 * [{sequence, at (unix ms), kind, code, detail}]. */
int store_device_events(struct store *store, uint32_t device_id, size_t limit, json_t **events);

/* Faults matching filter, newest first: [{id, device_id, at, code, string,
 * context, campaign, cleared_at}] (campaign and cleared_at null when 0);
 * *total counts every match. */
int store_faults(struct store *store, const struct fault_filter *filter, size_t offset, size_t limit, json_t **faults,
		 size_t *total);

/* The open faults matching filter, per device: visit(device_id, count,
 * context); *highest_id gets the largest id seen (0: none). */
int store_open_fault_counts(struct store *store, const struct fault_filter *filter,
			    void (*visit)(uint32_t device_id, uint32_t count, void *context), void *context,
			    uint64_t *highest_id);

/* The device's newest open fault: 0 with code and text, -ENOENT when none. */
int store_newest_open_fault(struct store *store, uint32_t device_id, uint32_t *code, char *text, size_t size);

#endif
