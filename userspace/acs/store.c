/* The SQLite side of the store: schema, prepared statements and the writer
 * thread that commits queued batches together (one transaction, one fsync
 * for many requests) before releasing their callbacks. */
#include "acs/store.h"
#include "acs/store_internal.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_limit.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

/* The WAL's bounds, in frames (a page of 4 KiB each): past the first the
 * checkpointer is woken before its second is up; past the second the
 * writer checkpoints itself. A restarting WAL larger than
 * STORE_WAL_KEEP_BYTES is cut back to that size. */
#define STORE_WAL_CHECKPOINT_FRAMES 512
#define STORE_WAL_FORCE_FRAMES      2048
#define STORE_WAL_KEEP_BYTES        8388608

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS devices(id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL,"
	" manufacturer TEXT, oui TEXT, product_class TEXT, serial_number TEXT, hardware_version TEXT,"
	" software_version TEXT, location TEXT, connection_request_url TEXT, file_server_url TEXT, root TEXT,"
	" last_address TEXT, last_events TEXT, last_fault_string TEXT, file_server_enable INTEGER,"
	" cascade_capable INTEGER, attributes_probed INTEGER, has_occupancy INTEGER, cpu_occupancy INTEGER,"
	" cache_size INTEGER, bandwidth INTEGER, last_inform INTEGER, inform_count INTEGER,"
	" last_fault_code INTEGER, group_id INTEGER);"
	"CREATE TABLE IF NOT EXISTS groups(id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL);"
	"CREATE TABLE IF NOT EXISTS campaigns(id INTEGER PRIMARY KEY, image_name TEXT, origin_url TEXT,"
	" sha256 TEXT, selector TEXT, image_size INTEGER, mode INTEGER, fanout INTEGER, state INTEGER,"
	" created_at INTEGER, masters_queued_ms INTEGER, signature TEXT, pieces_sha256 TEXT, rollout TEXT);"
	"CREATE TABLE IF NOT EXISTS campaign_devices(campaign_id INTEGER, device_id INTEGER, group_id INTEGER,"
	" role INTEGER, state INTEGER, attempts INTEGER, fault_code INTEGER, source_device_id INTEGER,"
	" was_master INTEGER, PRIMARY KEY(campaign_id, device_id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS campaign_groups(campaign_id INTEGER, group_id INTEGER, master_id INTEGER,"
	" failed_masters INTEGER, fallback_origin INTEGER, bad_masters TEXT,"
	" PRIMARY KEY(campaign_id, group_id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS faults(id INTEGER PRIMARY KEY, device_id INTEGER, at INTEGER, code INTEGER,"
	" string TEXT, context TEXT);"
	"CREATE TABLE IF NOT EXISTS transfers(id INTEGER PRIMARY KEY, device_id INTEGER, command_key TEXT,"
	" fault_code INTEGER, fault_string TEXT, start_time TEXT, complete_time TEXT, received_at INTEGER);"
	"CREATE TABLE IF NOT EXISTS device_events(device_id INTEGER, sequence INTEGER, at INTEGER, kind INTEGER,"
	" code INTEGER, detail TEXT, PRIMARY KEY(device_id, sequence)) WITHOUT ROWID;";

/* Columns added since the first schema: databases made before them get
 * them at start (with the default older rows mean). */
static const struct added_column {
	const char *table, *column, *declaration;
} added_columns[] = {
	{ "campaigns", "signature", "TEXT" },
	{ "campaigns", "pieces_sha256", "TEXT" },
	{ "campaigns", "started_ms", "INTEGER NOT NULL DEFAULT 0" },
	{ "campaigns", "finished_ms", "INTEGER NOT NULL DEFAULT 0" },
	{ "campaigns", "rollout", "TEXT" },
	{ "campaign_devices", "origin_downloads", "INTEGER NOT NULL DEFAULT 0" },
	{ "faults", "campaign_id", "INTEGER NOT NULL DEFAULT 0" },
	{ "faults", "cleared_at", "INTEGER NOT NULL DEFAULT 0" },
};

/* Indexes of the API's fault queries (made after the columns exist). */
static const char indexes[] =
	"CREATE INDEX IF NOT EXISTS faults_open ON faults(device_id, id) WHERE cleared_at = 0;"
	"CREATE INDEX IF NOT EXISTS faults_by_device ON faults(device_id, id);"
	"CREATE INDEX IF NOT EXISTS faults_by_campaign ON faults(campaign_id, id);";

static const char *const statements[STORE_STATEMENT_COUNT] = {
	[SQL_DEVICE] = "INSERT INTO devices(id, key, manufacturer, oui, product_class, serial_number,"
		       " hardware_version, software_version, location, connection_request_url, file_server_url, root,"
		       " last_address, last_events, last_fault_string, file_server_enable, cascade_capable,"
		       " attributes_probed, has_occupancy, cpu_occupancy, cache_size, bandwidth, last_inform,"
		       " inform_count, last_fault_code, group_id)"
		       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		       " ON CONFLICT(id) DO UPDATE SET key=excluded.key, manufacturer=excluded.manufacturer,"
		       " oui=excluded.oui, product_class=excluded.product_class, serial_number=excluded.serial_number,"
		       " hardware_version=excluded.hardware_version, software_version=excluded.software_version,"
		       " location=excluded.location, connection_request_url=excluded.connection_request_url,"
		       " file_server_url=excluded.file_server_url, root=excluded.root, last_address=excluded.last_address,"
		       " last_events=excluded.last_events, last_fault_string=excluded.last_fault_string,"
		       " file_server_enable=excluded.file_server_enable, cascade_capable=excluded.cascade_capable,"
		       " attributes_probed=excluded.attributes_probed, has_occupancy=excluded.has_occupancy,"
		       " cpu_occupancy=excluded.cpu_occupancy, cache_size=excluded.cache_size,"
		       " bandwidth=excluded.bandwidth, last_inform=excluded.last_inform,"
		       " inform_count=excluded.inform_count, last_fault_code=excluded.last_fault_code,"
		       " group_id=excluded.group_id",
	[SQL_DEVICE_SEEN] = "UPDATE devices SET last_inform=?, inform_count=?, last_address=?, last_events=? WHERE id=?",
	[SQL_GROUP] = "INSERT OR IGNORE INTO groups(id, key) VALUES(?,?)",
	[SQL_CAMPAIGN] = "INSERT OR REPLACE INTO campaigns(id, image_name, origin_url, sha256, selector, image_size,"
			 " mode, fanout, state, created_at, masters_queued_ms, signature, pieces_sha256, started_ms,"
			 " finished_ms, rollout) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[SQL_MEMBER] = "INSERT OR REPLACE INTO campaign_devices(campaign_id, device_id, group_id, role, state,"
		       " attempts, fault_code, source_device_id, was_master, origin_downloads)"
		       " VALUES(?,?,?,?,?,?,?,?,?,?)",
	[SQL_CAMPAIGN_GROUP] = "INSERT OR REPLACE INTO campaign_groups(campaign_id, group_id, master_id,"
			       " failed_masters, fallback_origin, bad_masters) VALUES(?,?,?,?,?,?)",
	[SQL_FAULT] = "INSERT INTO faults(device_id, at, code, string, context, campaign_id) VALUES(?,?,?,?,?,?)",
	[SQL_TRANSFER] = "INSERT INTO transfers(device_id, command_key, fault_code, fault_string, start_time,"
			 " complete_time, received_at) VALUES(?,?,?,?,?,?,?)",
	/* the open faults up to a given id that match the filters (0: any) */
	[SQL_FAULT_CLEAR] = "UPDATE faults SET cleared_at = ?1 WHERE cleared_at = 0 AND id <= ?2"
			    " AND (?3 = 0 OR device_id = ?3) AND (?4 = 0 OR code = ?4)"
			    " AND (?5 = 0 OR campaign_id = ?5) AND (?6 = 0 OR id = ?6)",
	[SQL_EVENT] = "INSERT OR REPLACE INTO device_events(device_id, sequence, at, kind, code, detail)"
		      " VALUES(?,?,?,?,?,?)",
	[SQL_EVENT_TRIM] = "DELETE FROM device_events WHERE device_id = ? AND sequence <= ?",
};

struct queued_batch {
	struct store_batch *batch;
	store_done_fn done;
	void *argument;
	struct queued_batch *next;
};

struct store {
	sqlite3 *database;
	sqlite3 *reader;              /* the API's read-only queries, under reader_lock */
	pthread_mutex_t reader_lock;
	sqlite3 *checkpoint_database; /* the checkpointer's own connection */
	pthread_t checkpointer;
	bool checkpointer_running;
	/* atomics: frames in the WAL after the last commit (the WAL hook),
	 * complete checkpoints, and those the writer had to force */
	uint64_t wal_frames, wal_checkpoints, wal_forced_checkpoints;
	uint64_t wal_frames_written; /* atomic: appended since start (what the WAL would hold without checkpoints) */
	int wal_frames_seen;         /* the writer's: the WAL's length after its previous commit */
	sqlite3_stmt *prepared[STORE_STATEMENT_COUNT];
	pthread_t writer;
	bool writer_running;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t checkpoint_wake;
	struct queued_batch *head, *tail;
	size_t pending;
	bool stopping;
	/* atomic: commits that failed since open; a device row hashed before a
	 * failure is written in full again (see store_batch_device) */
	uint64_t failed_commits;
};

sqlite3 *store_database(struct store *store)
{
	return store->database;
}

sqlite3 *store_reader_lock(struct store *store)
{
	pthread_mutex_lock(&store->reader_lock);
	return store->reader;
}

void store_reader_unlock(struct store *store)
{
	pthread_mutex_unlock(&store->reader_lock);
}

/* Gives a database made by an older cascade the columns added since. */
static int add_missing_columns(sqlite3 *database, const char *path)
{
	for (size_t i = 0; i < sizeof(added_columns) / sizeof(added_columns[0]); i++) {
		const struct added_column *added = &added_columns[i];
		sqlite3_stmt *probe = NULL;
		char *message = NULL, sql[256];
		int status;

		snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", added->column, added->table);
		status = sqlite3_prepare_v2(database, sql, -1, &probe, NULL);
		sqlite3_finalize(probe);
		if (status == SQLITE_OK)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", added->table, added->column,
			 added->declaration);
		if (sqlite3_exec(database, sql, NULL, NULL, &message) != SQLITE_OK) {
			log_error("database %s: cannot add %s.%s: %s", path, added->table, added->column,
				  message ? message : "?");
			sqlite3_free(message);
			return -EIO;
		}
	}
	return 0;
}

/* SQLite's WAL hook: runs on the writer after every commit. */
static int count_wal_frames(void *argument, sqlite3 *database, const char *name, int frames)
{
	struct store *store = argument;

	(void)database;
	(void)name;
	if (frames < 0)
		frames = 0;
	/* a shorter WAL than after the previous commit: it restarted */
	__atomic_add_fetch(&store->wal_frames_written,
			   (uint64_t)(frames >= store->wal_frames_seen ? frames - store->wal_frames_seen : frames),
			   __ATOMIC_RELAXED);
	store->wal_frames_seen = frames;
	__atomic_store_n(&store->wal_frames, (uint64_t)frames, __ATOMIC_RELAXED);
	if (frames >= STORE_WAL_CHECKPOINT_FRAMES)
		pthread_cond_signal(&store->checkpoint_wake);
	return SQLITE_OK;
}

int store_open(const char *path, bool synchronous_full, struct store **result)
{
	struct store *store = calloc(1, sizeof(*store));
	char *message = NULL;
	int status;

	*result = NULL;
	if (!store)
		return -ENOMEM;
	pthread_mutex_init(&store->lock, NULL);
	pthread_mutex_init(&store->reader_lock, NULL);
	pthread_cond_init(&store->wake, NULL);
	monotonic_condition_init(&store->checkpoint_wake);
	status = sqlite3_open_v2(path, &store->database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (status != SQLITE_OK) {
		log_error("cannot open database %s: %s", path, sqlite3_errstr(status));
		goto fail;
	}
	sqlite3_busy_timeout(store->database, 5000);
	/* Checkpoints run on their own connection and thread, so commits never
	 * wait for one (see checkpointer_main); the page cache holds a large
	 * registry's hot pages. */
	if (sqlite3_exec(store->database, schema, NULL, NULL, &message) != SQLITE_OK ||
	    sqlite3_exec(store->database, synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			 NULL, NULL, &message) != SQLITE_OK ||
	    sqlite3_exec(store->database,
			 "PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=0; "
			 "PRAGMA journal_size_limit=" STRINGIFY(STORE_WAL_KEEP_BYTES),
			 NULL, NULL, &message) != SQLITE_OK) {
		log_error("database %s: %s", path, message ? message : "schema failed");
		sqlite3_free(message);
		goto fail;
	}
	if (add_missing_columns(store->database, path) < 0)
		goto fail;
	if (sqlite3_exec(store->database, indexes, NULL, NULL, &message) != SQLITE_OK) {
		log_error("database %s: %s", path, message ? message : "indexes failed");
		sqlite3_free(message);
		goto fail;
	}
	for (int i = 0; i < STORE_STATEMENT_COUNT; i++) {
		if (sqlite3_prepare_v3(store->database, statements[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &store->prepared[i], NULL) != SQLITE_OK) {
			log_error("database %s: %s", path, sqlite3_errmsg(store->database));
			goto fail;
		}
	}
	if (sqlite3_open_v2(path, &store->checkpoint_database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_error("cannot open database %s for checkpoints", path);
		goto fail;
	}
	sqlite3_busy_timeout(store->checkpoint_database, 1000);
	/* A connection that never read the database has not opened its WAL
	 * and would checkpoint nothing: read the schema once. */
	if (sqlite3_exec(store->checkpoint_database, "SELECT count(*) FROM sqlite_schema", NULL, NULL, &message) !=
	    SQLITE_OK) {
		log_error("database %s: checkpoint connection: %s", path, message ? message : "?");
		sqlite3_free(message);
		goto fail;
	}
	if (sqlite3_open_v2(path, &store->reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("cannot open database %s for reading", path);
		goto fail;
	}
	sqlite3_busy_timeout(store->reader, 1000);
	sqlite3_wal_hook(store->database, count_wal_frames, store);
	*result = store;
	return 0;
fail:
	store_close(store);
	return -EIO;
}

/* One checkpoint on connection; counts it when every frame was copied back
 * (the next commit then starts the WAL from its beginning). */
static int checkpoint(struct store *store, sqlite3 *connection, int mode)
{
	int frames = -1, copied = -1;
	int status = sqlite3_wal_checkpoint_v2(connection, NULL, mode, &frames, &copied);

	if (status != SQLITE_OK && status != SQLITE_BUSY) {
		log_error_limited("database checkpoint failed: %s", sqlite3_errmsg(connection));
		return -EIO;
	}
	if (status == SQLITE_OK && frames >= 0 && copied == frames) {
		uint64_t expected = (uint64_t)frames;

		/* nothing committed since: nothing left to copy back */
		if (__atomic_compare_exchange_n(&store->wal_frames, &expected, 0, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED) &&
		    frames > 0)
			__atomic_add_fetch(&store->wal_checkpoints, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return -EBUSY;
}

/* Copies the WAL back into the database once a second, or sooner once it
 * holds STORE_WAL_CHECKPOINT_FRAMES, on its own connection and without
 * blocking the writer (PASSIVE). Under a steady load that usually
 * completes between two group commits, so the WAL keeps restarting from
 * its beginning; when commits outpace it the writer forces a checkpoint at
 * STORE_WAL_FORCE_FRAMES (see writer_main), so the WAL stays bounded. */
static void *checkpointer_main(void *argument)
{
	struct store *store = argument;

	pthread_mutex_lock(&store->lock);
	while (!store->stopping) {
		struct timespec deadline;

		monotonic_deadline(&deadline, 1000);
		pthread_cond_timedwait(&store->checkpoint_wake, &store->lock, &deadline);
		if (store->stopping)
			break;
		pthread_mutex_unlock(&store->lock);
		if (__atomic_load_n(&store->wal_frames, __ATOMIC_RELAXED) > 0)
			checkpoint(store, store->checkpoint_database, SQLITE_CHECKPOINT_PASSIVE);
		pthread_mutex_lock(&store->lock);
	}
	pthread_mutex_unlock(&store->lock);
	return NULL;
}

void store_wal_figures(struct store *store, struct store_wal_figures *figures)
{
	figures->frames = __atomic_load_n(&store->wal_frames, __ATOMIC_RELAXED);
	figures->checkpoints = __atomic_load_n(&store->wal_checkpoints, __ATOMIC_RELAXED);
	figures->forced_checkpoints = __atomic_load_n(&store->wal_forced_checkpoints, __ATOMIC_RELAXED);
	figures->frames_written = __atomic_load_n(&store->wal_frames_written, __ATOMIC_RELAXED);
	figures->failed_commits = store_failed_commits(store);
}

static void bind_value(sqlite3_stmt *statement, int index, const struct store_value *value)
{
	if (value->is_text)
		sqlite3_bind_text(statement, index, value->text ? value->text : "", -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(statement, index, value->integer);
}

/* Positions, in a device row, of the columns SQL_DEVICE_SEEN updates. */
static const unsigned int seen_columns[] = { 22, 23, 12, 13, 0 };

static int step(struct store *store, sqlite3_stmt *statement)
{
	int status = sqlite3_step(statement);

	sqlite3_reset(statement);
	if (status != SQLITE_DONE) {
		log_error_limited("database write failed: %s", sqlite3_errmsg(store->database));
		return -EIO;
	}
	return 0;
}

static int run_operation(struct store *store, const struct store_operation *operation)
{
	sqlite3_stmt *statement = store->prepared[operation->statement];
	int result;

	sqlite3_reset(statement);
	if (operation->statement == SQL_DEVICE_SEEN) {
		/* only the Inform bookkeeping changed; the full row is the fallback */
		for (unsigned int i = 0; i < sizeof(seen_columns) / sizeof(seen_columns[0]); i++)
			bind_value(statement, (int)i + 1, &operation->values[seen_columns[i]]);
		result = step(store, statement);
		if (result < 0 || sqlite3_changes(store->database) > 0)
			return result;
		statement = store->prepared[SQL_DEVICE];
		sqlite3_reset(statement);
	}
	for (unsigned int i = 0; i < operation->count; i++)
		bind_value(statement, (int)i + 1, &operation->values[i]);
	return step(store, statement);
}

/* Writes every queued batch in one transaction; returns its result. */
static int commit_batches(struct store *store, struct queued_batch *list)
{
	int result = 0;

	if (sqlite3_exec(store->database, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		log_error_limited("database BEGIN failed: %s", sqlite3_errmsg(store->database));
		return -EIO;
	}
	for (struct queued_batch *entry = list; entry && result == 0; entry = entry->next)
		for (struct store_operation *operation = entry->batch->head; operation && result == 0;
		     operation = operation->next)
			result = run_operation(store, operation);
	if (result == 0 && sqlite3_exec(store->database, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_error_limited("database COMMIT failed: %s", sqlite3_errmsg(store->database));
		result = -EIO;
	}
	if (result < 0)
		sqlite3_exec(store->database, "ROLLBACK", NULL, NULL, NULL);
	return result;
}

uint64_t store_failed_commits(struct store *store)
{
	return store ? __atomic_load_n(&store->failed_commits, __ATOMIC_ACQUIRE) : 0;
}

static void *writer_main(void *argument)
{
	struct store *store = argument;

	for (;;) {
		struct queued_batch *list, *next;
		size_t taken = 0;
		int result;

		pthread_mutex_lock(&store->lock);
		while (!store->head && !store->stopping)
			pthread_cond_wait(&store->wake, &store->lock);
		if (!store->head && store->stopping) {
			pthread_mutex_unlock(&store->lock);
			break;
		}
		list = store->head;
		store->head = store->tail = NULL;
		pthread_mutex_unlock(&store->lock);

		result = commit_batches(store, list);
		if (result < 0)
			__atomic_add_fetch(&store->failed_commits, 1, __ATOMIC_RELEASE);
		for (; list; list = next) {
			next = list->next;
			taken++;
			if (list->done)
				list->done(list->argument, result);
			store_batch_free(list->batch);
			free(list);
		}
		pthread_mutex_lock(&store->lock);
		store->pending -= taken;
		pthread_mutex_unlock(&store->lock);
		/* The checkpointer fell behind: copy the WAL back here, between
		 * two commits, waiting for its connection if need be (RESTART),
		 * so the next commit rewinds the WAL. */
		if (__atomic_load_n(&store->wal_frames, __ATOMIC_RELAXED) >= STORE_WAL_FORCE_FRAMES &&
		    checkpoint(store, store->database, SQLITE_CHECKPOINT_RESTART) == 0)
			__atomic_add_fetch(&store->wal_forced_checkpoints, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int store_start(struct store *store)
{
	int status = pthread_create(&store->writer, NULL, writer_main, store);

	if (status != 0)
		return -status;
	store->writer_running = true;
	status = pthread_create(&store->checkpointer, NULL, checkpointer_main, store);
	if (status != 0)
		return -status;
	store->checkpointer_running = true;
	return 0;
}

size_t store_pending(struct store *store)
{
	size_t pending;

	pthread_mutex_lock(&store->lock);
	pending = store->pending;
	pthread_mutex_unlock(&store->lock);
	return pending;
}

void store_submit(struct store *store, struct store_batch *batch, store_done_fn done, void *argument)
{
	struct queued_batch *entry = calloc(1, sizeof(*entry));

	if (!entry) {
		if (done)
			done(argument, -ENOMEM);
		store_batch_free(batch);
		return;
	}
	entry->batch = batch;
	entry->done = done;
	entry->argument = argument;
	pthread_mutex_lock(&store->lock);
	if (store->stopping) { /* the writer may be gone: nothing would commit it */
		pthread_mutex_unlock(&store->lock);
		free(entry);
		if (done)
			done(argument, -ESHUTDOWN);
		store_batch_free(batch);
		return;
	}
	if (store->tail)
		store->tail->next = entry;
	else
		store->head = entry;
	store->tail = entry;
	store->pending++;
	pthread_cond_signal(&store->wake);
	pthread_mutex_unlock(&store->lock);
}

void store_stop(struct store *store)
{
	if (!store)
		return;
	pthread_mutex_lock(&store->lock);
	store->stopping = true;
	pthread_cond_signal(&store->wake);
	pthread_cond_signal(&store->checkpoint_wake);
	pthread_mutex_unlock(&store->lock);
	if (store->writer_running) {
		pthread_join(store->writer, NULL);
		store->writer_running = false;
	}
	if (store->checkpointer_running) {
		pthread_join(store->checkpointer, NULL);
		store->checkpointer_running = false;
	}
}

void store_close(struct store *store)
{
	if (!store)
		return;
	store_stop(store);
	if (store->checkpoint_database) {
		sqlite3_wal_checkpoint_v2(store->checkpoint_database, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		sqlite3_close(store->checkpoint_database);
	}
	for (int i = 0; i < STORE_STATEMENT_COUNT; i++)
		sqlite3_finalize(store->prepared[i]);
	if (store->reader)
		sqlite3_close(store->reader);
	if (store->database)
		sqlite3_close(store->database);
	pthread_mutex_destroy(&store->reader_lock);
	pthread_mutex_destroy(&store->lock);
	pthread_cond_destroy(&store->wake);
	pthread_cond_destroy(&store->checkpoint_wake);
	free(store);
}
