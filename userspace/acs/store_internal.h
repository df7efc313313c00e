/* Internal to the store: a batch is a list of operations, each a prepared
 * statement and the values to bind, copied when the batch was built. */
#ifndef CASCADE_ACS_STORE_INTERNAL_H
#define CASCADE_ACS_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

enum store_statement {
	SQL_DEVICE = 0,
	SQL_DEVICE_SEEN,
	SQL_GROUP,
	SQL_CAMPAIGN,
	SQL_MEMBER,
	SQL_CAMPAIGN_GROUP,
	SQL_FAULT,
	SQL_TRANSFER,
	SQL_FAULT_CLEAR,
	SQL_EVENT,
	SQL_EVENT_TRIM,
	STORE_STATEMENT_COUNT
};

#define STORE_MAX_VALUES 26

struct store_value {
	bool is_text;
	int64_t integer;
	char *text;
};

struct store_operation {
	enum store_statement statement;
	unsigned int count;
	struct store_value values[STORE_MAX_VALUES];
	struct store_operation *next;
};

struct store_batch {
	struct store_operation *head, *tail;
	int failed; /* -ENOMEM while building */
	unsigned int must_wait; /* operations a reply must wait for (all but timeline events) */
};

struct store;
sqlite3 *store_database(struct store *store);
/* The read-only connection of the API's queries (store_queries.c), locked
 * by the caller with store_reader_lock / store_reader_unlock. */
sqlite3 *store_reader_lock(struct store *store);
void store_reader_unlock(struct store *store);

#endif
