/* TransferComplete records waiting for the ACS's acknowledgement, in
 * DATA_DIR/transfers.json. A record is written (atomically) before the
 * TransferComplete is first sent and removed only when a
 * TransferCompleteResponse arrives, so it is re-sent in later sessions and
 * after any restart until the ACS has it. Thread-safe. */
#ifndef CASCADE_CPE_TRANSFER_STORE_H
#define CASCADE_CPE_TRANSFER_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpe/config.h"

#define TRANSFER_STORE_MAX 16
#define COMMAND_KEY_MAX    64

struct transfer_record {
	char command_key[COMMAND_KEY_MAX + 1];
	unsigned int fault_code;      /* 0: success */
	char fault_string[256];
	uint64_t start_time;          /* seconds since the epoch */
	uint64_t complete_time;
};

struct transfer_store {
	pthread_mutex_t lock;
	char path[CPE_PATH_MAX + 32];
	struct transfer_record records[TRANSFER_STORE_MAX];
	size_t count;
};

int transfer_store_open(struct transfer_store *store, const char *data_dir);
void transfer_store_close(struct transfer_store *store);
/* Adds (or replaces the record with the same command key) and saves
 * before returning. When full, the oldest record is dropped (logged). */
int transfer_store_add(struct transfer_store *store, const struct transfer_record *record);
/* Removes the record for command_key and saves; -ENOENT when absent. */
int transfer_store_remove(struct transfer_store *store, const char *command_key);
/* Copies up to max records out, oldest first; returns how many. */
size_t transfer_store_snapshot(struct transfer_store *store, struct transfer_record *records, size_t max);
bool transfer_store_contains(struct transfer_store *store, const char *command_key);

#endif
