/* Reads for the operator API on the store's read-only connection (see
 * store_queries.h). The filters are bound into fixed statements, "(?N = 0
 * OR column = ?N)", never written into SQL text. */
#include "acs/store_queries.h"
#include "acs/device_events.h"
#include "acs/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log_limit.h"

#define FAULT_FILTER " WHERE (?1 = 0 OR device_id = ?1) AND (?2 = 0 OR code = ?2) AND (?3 = 0 OR campaign_id = ?3)" \
		     " AND (?4 = 0 OR id = ?4) AND (?5 = 2 OR (?5 = 1) = (cleared_at != 0))"

static const char *column_text(sqlite3_stmt *statement, int column)
{
	const unsigned char *text = sqlite3_column_text(statement, column);

	return text ? (const char *)text : "";
}

static json_t *integer_or_null(sqlite3_stmt *statement, int column)
{
	sqlite3_int64 value = sqlite3_column_int64(statement, column);

	return value ? json_integer((json_int_t)value) : json_null();
}

/* Prepares sql on the reader (locked by the caller); logs a failure. */
static sqlite3_stmt *prepare(sqlite3 *reader, const char *sql)
{
	sqlite3_stmt *statement = NULL;

	if (sqlite3_prepare_v2(reader, sql, -1, &statement, NULL) != SQLITE_OK) {
		log_error_limited("database query failed: %s", sqlite3_errmsg(reader));
		return NULL;
	}
	return statement;
}

static void bind_filter(sqlite3_stmt *statement, const struct fault_filter *filter)
{
	sqlite3_bind_int64(statement, 1, filter->device_id);
	sqlite3_bind_int64(statement, 2, filter->code);
	sqlite3_bind_int64(statement, 3, filter->campaign_id);
	sqlite3_bind_int64(statement, 4, (sqlite3_int64)filter->id);
	sqlite3_bind_int64(statement, 5, filter->cleared);
}

int store_device_events(struct store *store, uint32_t device_id, size_t limit, json_t **events)
{
	sqlite3 *reader = store_reader_lock(store);
	sqlite3_stmt *statement = prepare(reader, "SELECT sequence, at, kind, code, detail FROM device_events"
						  " WHERE device_id = ? ORDER BY sequence DESC LIMIT ?");
	int status = SQLITE_ERROR;

	*events = json_array();
	if (statement) {
		sqlite3_bind_int64(statement, 1, device_id);
		sqlite3_bind_int64(statement, 2, (sqlite3_int64)limit);
		while ((status = sqlite3_step(statement)) == SQLITE_ROW)
			json_array_append_new(
				*events, json_pack("{s:I, s:I, s:s, s:I, s:s}", "sequence",
						   (json_int_t)sqlite3_column_int64(statement, 0), "at",
						   (json_int_t)sqlite3_column_int64(statement, 1), "kind",
						   device_event_kind_name(sqlite3_column_int(statement, 2)), "code",
						   (json_int_t)sqlite3_column_int64(statement, 3), "detail",
						   column_text(statement, 4)));
		sqlite3_finalize(statement);
	}
	store_reader_unlock(store);
	return status == SQLITE_DONE ? 0 : -EIO;
}

int store_faults(struct store *store, const struct fault_filter *filter, size_t offset, size_t limit, json_t **faults,
		 size_t *total)
{
	sqlite3 *reader = store_reader_lock(store);
	sqlite3_stmt *count = prepare(reader, "SELECT count(*) FROM faults" FAULT_FILTER);
	sqlite3_stmt *rows = prepare(reader, "SELECT id, device_id, at, code, string, context, campaign_id, cleared_at"
					     " FROM faults" FAULT_FILTER " ORDER BY id DESC LIMIT ?6 OFFSET ?7");
	int status = SQLITE_ERROR;

	*faults = json_array();
	*total = 0;
	if (count && rows) {
		bind_filter(count, filter);
		if (sqlite3_step(count) == SQLITE_ROW)
			*total = (size_t)sqlite3_column_int64(count, 0);
		bind_filter(rows, filter);
		sqlite3_bind_int64(rows, 6, (sqlite3_int64)limit);
		sqlite3_bind_int64(rows, 7, (sqlite3_int64)offset);
		while ((status = sqlite3_step(rows)) == SQLITE_ROW)
			json_array_append_new(*faults,
					      json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:o, s:o}", "id",
							(json_int_t)sqlite3_column_int64(rows, 0), "device_id",
							(json_int_t)sqlite3_column_int64(rows, 1), "at",
							(json_int_t)sqlite3_column_int64(rows, 2), "code",
							(json_int_t)sqlite3_column_int64(rows, 3), "string",
							column_text(rows, 4), "context", column_text(rows, 5), "campaign",
							integer_or_null(rows, 6), "cleared_at", integer_or_null(rows, 7)));
	}
	sqlite3_finalize(count);
	sqlite3_finalize(rows);
	store_reader_unlock(store);
	return status == SQLITE_DONE ? 0 : -EIO;
}

int store_open_fault_counts(struct store *store, const struct fault_filter *filter,
			    void (*visit)(uint32_t device_id, uint32_t count, void *context), void *context,
			    uint64_t *highest_id)
{
	struct fault_filter open = *filter;
	sqlite3 *reader = store_reader_lock(store);
	sqlite3_stmt *statement = prepare(reader, "SELECT device_id, count(*), max(id) FROM faults" FAULT_FILTER
						  " GROUP BY device_id");
	int status = SQLITE_ERROR;

	*highest_id = 0;
	open.cleared = 0;
	if (statement) {
		bind_filter(statement, &open);
		while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
			uint64_t highest = (uint64_t)sqlite3_column_int64(statement, 2);

			if (highest > *highest_id)
				*highest_id = highest;
			visit((uint32_t)sqlite3_column_int64(statement, 0), (uint32_t)sqlite3_column_int64(statement, 1),
			      context);
		}
		sqlite3_finalize(statement);
	}
	store_reader_unlock(store);
	return status == SQLITE_DONE ? 0 : -EIO;
}

int store_newest_open_fault(struct store *store, uint32_t device_id, uint32_t *code, char *text, size_t size)
{
	sqlite3 *reader = store_reader_lock(store);
	sqlite3_stmt *statement = prepare(reader, "SELECT code, string FROM faults WHERE device_id = ? AND cleared_at = 0"
						  " ORDER BY id DESC LIMIT 1");
	int status = SQLITE_ERROR, result;

	if (statement) {
		sqlite3_bind_int64(statement, 1, device_id);
		status = sqlite3_step(statement);
		if (status == SQLITE_ROW) {
			*code = (uint32_t)sqlite3_column_int64(statement, 0);
			snprintf(text, size, "%s", column_text(statement, 1));
		}
		sqlite3_finalize(statement);
	}
	store_reader_unlock(store);
	result = status == SQLITE_ROW ? 0 : status == SQLITE_DONE ? -ENOENT : -EIO;
	return result;
}
