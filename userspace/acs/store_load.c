/* Rebuilding the in-memory model from SQLite at start: groups, devices
 * (with their group; keys written before device_key escaped '-' and '%'
 * are rewritten), campaigns, their groups (master, failed masters, bad
 * masters) and members with per-state counts. */
#include "acs/campaign.h"
#include "acs/store.h"
#include "acs/store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

static const char *column_text(sqlite3_stmt *statement, int column)
{
	const unsigned char *text = sqlite3_column_text(statement, column);

	return text ? (const char *)text : "";
}

static int load_groups(sqlite3 *database, struct controller *controller)
{
	sqlite3_stmt *statement;
	int status;

	if (sqlite3_prepare_v2(database, "SELECT id, key FROM groups ORDER BY id", -1, &statement, NULL) != SQLITE_OK)
		return -EIO;
	while ((status = sqlite3_step(statement)) == SQLITE_ROW)
		group_find_or_create(controller, column_text(statement, 1), (uint32_t)sqlite3_column_int64(statement, 0));
	sqlite3_finalize(statement);
	return status == SQLITE_DONE ? 0 : -EIO;
}

/* Rewrites the key column of the rows listed (devices' keys from before
 * device_key escaped '-' and '%' inside a field), in two steps so that no
 * intermediate state breaks the column's uniqueness. */
static int migrate_device_keys(sqlite3 *database, struct controller *controller, const uint32_t *ids, size_t count)
{
	static const char *const updates[2] = { "UPDATE devices SET key = '#' || id WHERE id = ?",
						"UPDATE devices SET key = ? WHERE id = ?" };
	sqlite3_stmt *statement = NULL;
	int result = 0;

	if (sqlite3_exec(database, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	for (int pass = 0; pass < 2 && result == 0; pass++) {
		if (sqlite3_prepare_v2(database, updates[pass], -1, &statement, NULL) != SQLITE_OK) {
			result = -EIO;
			break;
		}
		for (size_t i = 0; i < count && result == 0; i++) {
			struct device *device = device_by_id(controller, ids[i]);

			if (pass == 1)
				sqlite3_bind_text(statement, 1, device->key, -1, SQLITE_STATIC);
			sqlite3_bind_int64(statement, pass == 1 ? 2 : 1, ids[i]);
			if (sqlite3_step(statement) != SQLITE_DONE)
				result = -EIO;
			sqlite3_reset(statement);
		}
		sqlite3_finalize(statement);
	}
	if (result == 0 && sqlite3_exec(database, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		result = -EIO;
	if (result < 0) {
		log_error("cannot rewrite device keys: %s", sqlite3_errmsg(database));
		sqlite3_exec(database, "ROLLBACK", NULL, NULL, NULL);
	} else {
		log_info("rewrote %zu device keys: a '-' or '%%' inside a DeviceId field is now written %%2D or %%25",
			 count);
	}
	return result;
}

static int load_devices(struct store *store, struct controller *controller)
{
	sqlite3 *database = store_database(store);
	static const char query[] =
		"SELECT id, key, manufacturer, oui, product_class, serial_number, hardware_version, software_version,"
		" location, connection_request_url, file_server_url, root, last_address, last_events, last_fault_string,"
		" file_server_enable, cascade_capable, attributes_probed, has_occupancy, cpu_occupancy, cache_size,"
		" bandwidth, last_inform, inform_count, last_fault_code, group_id FROM devices ORDER BY id";
	sqlite3_stmt *statement;
	uint32_t *stale_keys = NULL;
	size_t stale_count = 0;
	int status, result;

	if (sqlite3_prepare_v2(database, query, -1, &statement, NULL) != SQLITE_OK)
		return -EIO;
	while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
		struct cwmp_device_id identity = {
			column_text(statement, 2), column_text(statement, 3), column_text(statement, 4),
			column_text(statement, 5),
		};
		struct device *device = device_create(controller, (uint32_t)sqlite3_column_int64(statement, 0), &identity);
		struct group *group;

		if (!device) {
			log_error("cannot load device %s", column_text(statement, 1));
			continue;
		}
		if (strcmp(device->key, column_text(statement, 1)) != 0) {
			uint32_t *bigger = realloc(stale_keys, (stale_count + 1) * sizeof(*bigger));

			if (!bigger) {
				status = SQLITE_NOMEM;
				break;
			}
			stale_keys = bigger;
			stale_keys[stale_count++] = device->id;
		}
		set_text(&device->hardware_version, column_text(statement, 6));
		set_text(&device->software_version, column_text(statement, 7));
		set_text(&device->location, column_text(statement, 8));
		set_text(&device->connection_request_url, column_text(statement, 9));
		set_text(&device->file_server_url,
			 file_server_url_acceptable(column_text(statement, 10)) ? column_text(statement, 10) : "");
		set_text(&device->root, column_text(statement, 11));
		set_text(&device->last_address, column_text(statement, 12));
		set_text(&device->last_events, column_text(statement, 13));
		set_text(&device->last_fault_string, column_text(statement, 14));
		device->file_server_enable = sqlite3_column_int(statement, 15);
		device->cascade_capable = sqlite3_column_int(statement, 16);
		device->attributes_probed = sqlite3_column_int(statement, 17);
		device->has_occupancy = sqlite3_column_int(statement, 18);
		device->cpu_occupancy = (uint32_t)sqlite3_column_int64(statement, 19);
		device->cache_size = (uint64_t)sqlite3_column_int64(statement, 20);
		device->bandwidth = (uint32_t)sqlite3_column_int64(statement, 21);
		device->last_inform = (uint64_t)sqlite3_column_int64(statement, 22);
		device->inform_count = (uint64_t)sqlite3_column_int64(statement, 23);
		device->last_fault_code = (uint32_t)sqlite3_column_int64(statement, 24);
		group = group_by_id(controller, (uint32_t)sqlite3_column_int64(statement, 25));
		if (group)
			group_add_device(group, device);
		else
			policy_assign_group(controller, device);
		device->row_hash = group ? store_device_hash(device) : 0;
		device->row_failed_commits = store_failed_commits(store);
	}
	sqlite3_finalize(statement);
	result = status == SQLITE_DONE ? 0 : -EIO;
	if (result == 0 && stale_count)
		result = migrate_device_keys(database, controller, stale_keys, stale_count);
	free(stale_keys);
	return result;
}

static struct campaign_group *find_campaign_group(struct campaign *campaign, uint32_t group_id)
{
	for (size_t i = 0; i < campaign->group_count; i++)
		if (campaign->groups[i].group && campaign->groups[i].group->id == group_id)
			return &campaign->groups[i];
	return NULL;
}

/* Members of one campaign, grouped; returns 0 or -errno. */
static int load_members(sqlite3 *database, struct controller *controller, struct campaign *campaign)
{
	sqlite3_stmt *statement;
	size_t rows = 0;
	int status;

	if (sqlite3_prepare_v2(database,
			       "SELECT device_id, group_id, role, state, attempts, fault_code, source_device_id, was_master,"
			       " origin_downloads FROM campaign_devices WHERE campaign_id = ? ORDER BY group_id, device_id",
			       -1, &statement, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(statement, 1, campaign->id);
	while (sqlite3_step(statement) == SQLITE_ROW)
		rows++;
	sqlite3_reset(statement);
	campaign->members = calloc(rows ? rows : 1, sizeof(*campaign->members));
	campaign->groups = calloc(rows ? rows : 1, sizeof(*campaign->groups));
	if (!campaign->members || !campaign->groups) {
		sqlite3_finalize(statement);
		return -ENOMEM;
	}
	while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
		struct device *device = device_by_id(controller, (uint32_t)sqlite3_column_int64(statement, 0));
		struct group *group = group_by_id(controller, (uint32_t)sqlite3_column_int64(statement, 1));
		struct campaign_group *campaign_group;
		struct campaign_member *member;
		struct campaign_member **bigger;

		if (!device || !group)
			continue;
		campaign_group = find_campaign_group(campaign, group->id);
		if (!campaign_group) {
			campaign_group = &campaign->groups[campaign->group_count++];
			campaign_group->campaign = campaign;
			campaign_group->group = group;
		}
		bigger = realloc(campaign_group->members, (campaign_group->member_count + 1) * sizeof(*bigger));
		if (!bigger)
			break;
		campaign_group->members = bigger;
		member = &campaign->members[campaign->member_count++];
		member->device = device;
		member->group = campaign_group;
		member->role = (enum member_role)sqlite3_column_int(statement, 2);
		member->state = (enum member_state)sqlite3_column_int(statement, 3);
		if ((unsigned int)member->state >= MEMBER_STATE_COUNT)
			member->state = MEMBER_PENDING;
		member->attempts = (unsigned int)sqlite3_column_int(statement, 4);
		member->fault_code = (uint32_t)sqlite3_column_int64(statement, 5);
		member->source_device_id = (uint32_t)sqlite3_column_int64(statement, 6);
		member->was_master = sqlite3_column_int(statement, 7);
		member->origin_downloads = (unsigned int)sqlite3_column_int(statement, 8);
		member->step = device->cascade_capable ? STEP_SET_PARAMETERS : STEP_DOWNLOAD;
		member->since_ms = monotonic_ms();
		member->group_index = campaign_group->member_count;
		campaign_group->members[campaign_group->member_count++] = member;
		campaign->counts[member->state]++;
		if (member->role == ROLE_SLAVE && (member->state == MEMBER_QUEUED || member->state == MEMBER_DOWNLOADING))
			campaign_group->in_flight++;
		if (!device->member || campaign->state <= CAMPAIGN_PAUSED)
			device->member = member;
	}
	sqlite3_finalize(statement);
	return 0;
}

static int load_campaign_groups(sqlite3 *database, struct controller *controller, struct campaign *campaign)
{
	sqlite3_stmt *statement;

	(void)controller;
	if (sqlite3_prepare_v2(database,
			       "SELECT group_id, master_id, failed_masters, fallback_origin, bad_masters"
			       " FROM campaign_groups WHERE campaign_id = ?",
			       -1, &statement, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(statement, 1, campaign->id);
	while (sqlite3_step(statement) == SQLITE_ROW) {
		struct campaign_group *group = find_campaign_group(campaign, (uint32_t)sqlite3_column_int64(statement, 0));
		uint32_t master_id = (uint32_t)sqlite3_column_int64(statement, 1);
		char *bad = strdup(column_text(statement, 4)), *word, *save = NULL;

		if (!group) {
			free(bad);
			continue;
		}
		group->failed_masters = (unsigned int)sqlite3_column_int(statement, 2);
		group->fallback_origin = sqlite3_column_int(statement, 3);
		for (size_t i = 0; i < group->member_count; i++)
			if (group->members[i]->device->id == master_id)
				group->master = group->members[i];
		for (word = bad ? strtok_r(bad, ",", &save) : NULL; word; word = strtok_r(NULL, ",", &save)) {
			uint32_t *bigger = realloc(group->bad_masters, (group->bad_master_count + 1) * sizeof(*bigger));

			if (!bigger)
				break;
			group->bad_masters = bigger;
			group->bad_masters[group->bad_master_count++] = (uint32_t)strtoul(word, NULL, 10);
		}
		free(bad);
	}
	sqlite3_finalize(statement);
	return 0;
}

static int load_campaigns(sqlite3 *database, struct controller *controller)
{
	sqlite3_stmt *statement;
	int status, result = 0;

	if (sqlite3_prepare_v2(database,
			       "SELECT id, image_name, origin_url, sha256, selector, image_size, mode, fanout, state,"
			       " created_at, masters_queued_ms, signature, pieces_sha256, started_ms, finished_ms, rollout"
			       " FROM campaigns ORDER BY id",
			       -1, &statement, NULL) != SQLITE_OK)
		return -EIO;
	while ((status = sqlite3_step(statement)) == SQLITE_ROW && result == 0) {
		struct campaign *campaign = calloc(1, sizeof(*campaign));
		struct campaign **bigger;

		if (!campaign) {
			result = -ENOMEM;
			break;
		}
		campaign->id = (uint32_t)sqlite3_column_int64(statement, 0);
		campaign->image_name = strdup(column_text(statement, 1));
		campaign->origin_url = strdup(column_text(statement, 2));
		campaign->sha256 = strdup(column_text(statement, 3));
		campaign->selector = strdup(column_text(statement, 4));
		campaign->image_size = (uint64_t)sqlite3_column_int64(statement, 5);
		campaign->mode = sqlite3_column_int(statement, 6) ? CAMPAIGN_MODE_SPV : CAMPAIGN_MODE_URL;
		campaign->fanout = (unsigned int)sqlite3_column_int(statement, 7);
		campaign->state = (enum campaign_state)sqlite3_column_int(statement, 8);
		campaign->created_at = (uint64_t)sqlite3_column_int64(statement, 9);
		campaign->masters_queued_ms = (uint64_t)sqlite3_column_int64(statement, 10);
		campaign->signature = strdup(column_text(statement, 11));
		campaign->pieces_sha256 = strdup(column_text(statement, 12));
		campaign->started_ms = (uint64_t)sqlite3_column_int64(statement, 13);
		if (!campaign->started_ms) /* saved before the column existed */
			campaign->started_ms = campaign->created_at * 1000;
		campaign->finished_ms = (uint64_t)sqlite3_column_int64(statement, 14);
		campaign_rollout_parse(campaign, column_text(statement, 15));
		campaign->started_monotonic_ms = monotonic_ms();
		bigger = realloc(controller->campaigns, (controller->campaign_count + 1) * sizeof(*bigger));
		if (!bigger || campaign->id != controller->campaign_count + 1) {
			log_error("campaign %u out of sequence in the database", campaign->id);
			if (bigger)
				controller->campaigns = bigger;
			campaign_free(campaign);
			result = -EIO;
			break;
		}
		controller->campaigns = bigger;
		controller->campaign_capacity = controller->campaign_count + 1;
		controller->campaigns[controller->campaign_count++] = campaign;
		result = load_members(database, controller, campaign);
		if (result == 0)
			result = load_campaign_groups(database, controller, campaign);
	}
	sqlite3_finalize(statement);
	return result;
}

/* Each device's open fault count and newest timeline row (one index seek
 * per device for the latter). */
static int load_fault_counts_and_events(sqlite3 *database, struct controller *controller)
{
	static const char *const queries[2] = {
		"SELECT device_id, count(*) FROM faults WHERE cleared_at = 0 GROUP BY device_id",
		"SELECT id, (SELECT max(sequence) FROM device_events WHERE device_id = devices.id) FROM devices",
	};

	for (int query = 0; query < 2; query++) {
		sqlite3_stmt *statement;
		int status;

		if (sqlite3_prepare_v2(database, queries[query], -1, &statement, NULL) != SQLITE_OK)
			return -EIO;
		while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
			struct device *device = device_by_id(controller, (uint32_t)sqlite3_column_int64(statement, 0));

			if (!device)
				continue;
			if (query == 0)
				device->open_faults = (uint32_t)sqlite3_column_int64(statement, 1);
			else
				device->event_sequence = (uint64_t)sqlite3_column_int64(statement, 1);
		}
		sqlite3_finalize(statement);
		if (status != SQLITE_DONE)
			return -EIO;
	}
	return 0;
}

int store_load(struct store *store, struct controller *controller)
{
	sqlite3 *database = store_database(store);
	int result = load_groups(database, controller);

	if (result == 0)
		result = load_devices(store, controller);
	if (result == 0)
		result = load_fault_counts_and_events(database, controller);
	if (result == 0)
		result = load_campaigns(database, controller);
	if (result < 0)
		log_error("cannot load the database: %s", sqlite3_errmsg(database));
	else
		log_info("loaded %zu devices, %zu groups, %zu campaigns", controller->device_count, controller->group_count,
			 controller->campaign_count);
	return result;
}
