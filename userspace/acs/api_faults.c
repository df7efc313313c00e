/* The operator API's faults:
 *   GET  /api/faults[?device=ID|KEY&code=N&campaign=N&id=N&cleared=open|cleared|all&offset=N&limit=N]
 *        newest first; open ones by default; limit default 100, at most 1000
 *   POST /api/faults/clear  {"device"?, "code"?, "campaign"?, "id"?, "all"?: true}
 *        marks the matching open faults cleared -> {"cleared": N}
 *   POST /api/faults/retry  {"device"?: ID|KEY, "campaign"?: N}
 *        the device's failed membership (of its latest campaign, or of
 *        campaign N), or every failed member of campaign N, goes back to
 *        pending (campaign_retry.h); their open faults in that campaign are
 *        cleared -> {"retried": N, "devices": [keys], "faults_cleared": N}
 * Changes are committed with the controller lock held and undone when the
 * commit fails (500, nothing changed), like the campaign API's. */
#include "acs/api_http.h"
#include "acs/api_undo.h"
#include "acs/campaign.h"
#include "acs/campaign_retry.h"
#include "acs/store_queries.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULTS_LIMIT_MAX 1000

/* A device's fault figures before a clear, to put back when the commit fails. */
struct fault_undo_entry {
	struct device *device;
	uint32_t open_faults, last_fault_code;
	char *last_fault_string;
};

struct fault_clear {
	struct controller *controller;
	struct fault_undo_entry *entries;
	size_t count, capacity;
	uint64_t cleared;
	int failed;
};

static void note_device(uint32_t device_id, uint32_t count, void *context)
{
	struct fault_clear *clear = context;
	struct device *device = device_by_id(clear->controller, device_id);
	struct fault_undo_entry *entry;

	if (!device)
		return;
	if (clear->count == clear->capacity) {
		size_t wanted = clear->capacity ? clear->capacity * 2 : 16;
		struct fault_undo_entry *bigger = realloc(clear->entries, wanted * sizeof(*bigger));

		if (!bigger) {
			clear->failed = -ENOMEM;
			return;
		}
		clear->entries = bigger;
		clear->capacity = wanted;
	}
	entry = &clear->entries[clear->count++];
	entry->device = device;
	entry->open_faults = device->open_faults;
	entry->last_fault_code = device->last_fault_code;
	entry->last_fault_string = device->last_fault_string ? strdup(device->last_fault_string) : NULL;
	device->open_faults -= count < device->open_faults ? count : device->open_faults;
	if (device->open_faults == 0) {
		device->last_fault_code = 0;
		set_text(&device->last_fault_string, "");
	}
	clear->cleared += count;
}

/* Clears the open faults matching filter in memory and adds the change to
 * batch; clear keeps what fault_clear_undo needs. Returns 0 or -errno. */
static int fault_clear_start(struct controller *controller, struct fault_filter *filter, struct store_batch *batch,
			     struct fault_clear *clear)
{
	uint64_t highest = 0;
	int result;

	memset(clear, 0, sizeof(*clear));
	clear->controller = controller;
	result = store_open_fault_counts(controller->store, filter, note_device, clear, &highest);
	if (result == 0)
		result = clear->failed;
	if (result < 0 || highest == 0)
		return result;
	filter->up_to_id = highest; /* faults arriving meanwhile stay open, in the table and in memory */
	store_batch_fault_clear(batch, filter);
	for (size_t i = 0; i < clear->count; i++)
		store_batch_device(controller->store, batch, clear->entries[i].device);
	return 0;
}

static void fault_clear_undo(struct fault_clear *clear)
{
	for (size_t i = 0; i < clear->count; i++) {
		struct fault_undo_entry *entry = &clear->entries[i];

		entry->device->open_faults = entry->open_faults;
		entry->device->last_fault_code = entry->last_fault_code;
		set_text(&entry->device->last_fault_string, entry->last_fault_string ? entry->last_fault_string : "");
	}
}

/* Frees what fault_clear_start kept. After a commit (committed), a device
 * with faults left shows its newest open one. */
static void fault_clear_finish(struct controller *controller, struct fault_clear *clear, bool committed)
{
	struct store_batch *batch = committed ? store_batch_new() : NULL;

	for (size_t i = 0; i < clear->count; i++) {
		struct device *device = clear->entries[i].device;
		char text[256];
		uint32_t code;

		if (committed && device->open_faults &&
		    store_newest_open_fault(controller->store, device->id, &code, text, sizeof(text)) == 0) {
			device->last_fault_code = code;
			set_text(&device->last_fault_string, text);
			if (batch)
				store_batch_device(controller->store, batch, device);
		}
		free(clear->entries[i].last_fault_string);
	}
	free(clear->entries);
	clear->entries = NULL;
	if (batch && !store_batch_empty(batch))
		store_submit(controller->store, batch, NULL, NULL);
	else
		store_batch_free(batch);
}

/* device, code, campaign, id from a JSON body; -ENOENT when the device
 * named does not exist, -EINVAL for a value of the wrong kind. Lock held. */
static int filter_from_body(struct controller *controller, json_t *body, struct fault_filter *filter)
{
	const char *numbers[] = { "code", "campaign", "id" };
	json_t *device = json_object_get(body, "device");

	memset(filter, 0, sizeof(*filter));
	if (device) {
		struct device *found = api_device_named(controller, device);

		if (!found)
			return -ENOENT;
		filter->device_id = found->id;
	}
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		json_t *value = json_object_get(body, numbers[i]);
		json_int_t number;

		if (!value)
			continue;
		number = json_integer_value(value);
		if (!json_is_integer(value) || number <= 0 || number > UINT32_MAX)
			return -EINVAL;
		if (i == 0)
			filter->code = (uint32_t)number;
		else if (i == 1)
			filter->campaign_id = (uint32_t)number;
		else
			filter->id = (uint64_t)number;
	}
	return 0;
}

static enum MHD_Result list_faults(struct controller *controller, struct MHD_Connection *connection)
{
	const char *device_text = api_query_text(connection, "device"), *cleared = api_query_text(connection, "cleared");
	struct fault_filter filter = { 0 };
	size_t limit = api_query_number(connection, "limit", 100), total = 0, index;
	json_t *faults, *fault;

	if (device_text) {
		struct device *device;

		pthread_mutex_lock(&controller->lock);
		device = api_device_from_text(controller, device_text);
		filter.device_id = device ? device->id : 0;
		pthread_mutex_unlock(&controller->lock);
		if (!device)
			return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such device");
	}
	filter.code = (uint32_t)api_query_number(connection, "code", 0);
	filter.campaign_id = (uint32_t)api_query_number(connection, "campaign", 0);
	filter.id = api_query_number(connection, "id", 0);
	if (!cleared || strcmp(cleared, "open") == 0)
		filter.cleared = 0;
	else if (strcmp(cleared, "cleared") == 0)
		filter.cleared = 1;
	else if (strcmp(cleared, "all") == 0)
		filter.cleared = 2;
	else
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, "cleared must be open, cleared or all");
	if (limit > FAULTS_LIMIT_MAX)
		limit = FAULTS_LIMIT_MAX;
	if (store_faults(controller->store, &filter, api_query_number(connection, "offset", 0), limit, &faults, &total) <
	    0) {
		json_decref(faults);
		return api_reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "the database could not be read");
	}
	pthread_mutex_lock(&controller->lock);
	json_array_foreach(faults, index, fault) {
		struct device *device = device_by_id(controller, (uint32_t)json_integer_value(json_object_get(fault, "device_id")));

		json_object_set_new(fault, "device", device ? json_string(device->key) : json_null());
	}
	pthread_mutex_unlock(&controller->lock);
	return api_reply_json(connection, MHD_HTTP_OK,
			      json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "offset",
					(json_int_t)api_query_number(connection, "offset", 0), "limit", (json_int_t)limit,
					"faults", faults));
}

static enum MHD_Result clear_faults(struct controller *controller, struct MHD_Connection *connection, json_t *body)
{
	struct store_batch *batch;
	struct fault_filter filter;
	struct fault_clear clear = { 0 };
	uint64_t cleared;
	int result;

	pthread_mutex_lock(&controller->lock);
	result = filter_from_body(controller, body, &filter);
	if (result == 0 && !filter.device_id && !filter.code && !filter.campaign_id && !filter.id &&
	    !json_is_true(json_object_get(body, "all")))
		result = -EDOM;
	if (result < 0) {
		pthread_mutex_unlock(&controller->lock);
		return api_reply_error(connection, result == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST,
				       result == -ENOENT ? "no such device"
				       : result == -EDOM ? "say which faults: device, code, campaign, id, or \"all\": true"
							 : "code, campaign and id are positive numbers");
	}
	batch = store_batch_new();
	result = batch ? fault_clear_start(controller, &filter, batch, &clear) : -ENOMEM;
	if (result == 0 && !store_batch_empty(batch)) {
		result = api_commit_and_wait(controller, batch);
		batch = NULL;
		if (result < 0)
			fault_clear_undo(&clear);
	}
	store_batch_free(batch);
	cleared = clear.cleared;
	fault_clear_finish(controller, &clear, result == 0);
	pthread_mutex_unlock(&controller->lock);
	if (result < 0)
		return api_reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "the faults could not be cleared: nothing was changed");
	return api_reply_json(connection, MHD_HTTP_OK, json_pack("{s:I}", "cleared", (json_int_t)cleared));
}

/* The members a retry is about, into *members (malloc'd); lock held. */
static int retry_targets(struct controller *controller, json_t *body, struct campaign **campaign,
			 struct campaign_member ***members, size_t *count, char *why, size_t why_size)
{
	json_t *device_value = json_object_get(body, "device"), *campaign_value = json_object_get(body, "campaign");
	json_int_t campaign_id = json_integer_value(campaign_value);

	*count = 0;
	*members = NULL;
	if (campaign_value && (!json_is_integer(campaign_value) || campaign_id <= 0 || campaign_id > UINT32_MAX)) {
		snprintf(why, why_size, "campaign must be a campaign id");
		return -EINVAL;
	}
	if (device_value) {
		struct device *device = api_device_named(controller, device_value);

		if (!device) {
			snprintf(why, why_size, "no such device");
			return -ENOENT;
		}
		if (!device->member || !device->member->group ||
		    (campaign_id && device->member->group->campaign->id != (uint32_t)campaign_id)) {
			snprintf(why, why_size, "device %s is in no campaign%s", device->key,
				 campaign_id ? " of that id now" : "");
			return -EALREADY;
		}
		*campaign = device->member->group->campaign;
		*members = malloc(sizeof(**members));
		if (!*members)
			return -ENOMEM;
		(*members)[(*count)++] = device->member;
		return 0;
	}
	if (!campaign_id) {
		snprintf(why, why_size, "say which: device (id or key) and/or campaign (id)");
		return -EINVAL;
	}
	*campaign = campaign_by_id(controller, (uint32_t)campaign_id);
	if (!*campaign) {
		snprintf(why, why_size, "no such campaign");
		return -ENOENT;
	}
	*members = malloc(((*campaign)->member_count ? (*campaign)->member_count : 1) * sizeof(**members));
	if (!*members)
		return -ENOMEM;
	for (size_t i = 0; i < (*campaign)->member_count; i++)
		if ((*campaign)->members[i].state == MEMBER_FAILED)
			(*members)[(*count)++] = &(*campaign)->members[i];
	return 0;
}

static unsigned int retry_status(int result)
{
	switch (result) {
	case -ENOENT: return MHD_HTTP_NOT_FOUND;
	case -EINVAL: return MHD_HTTP_BAD_REQUEST;
	case -EALREADY:
	case -EPERM: return MHD_HTTP_CONFLICT;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

static enum MHD_Result retry_faults(struct controller *controller, struct MHD_Connection *connection, json_t *body)
{
	struct campaign_member **members = NULL;
	struct campaign *campaign = NULL;
	struct campaign_snapshot before;
	struct fault_clear clear = { 0 };
	struct fault_filter filter = { 0 };
	struct store_batch *batch = store_batch_new();
	json_t *keys = json_array();
	size_t count = 0, retried = 0;
	char why[200] = "out of memory";
	int result;

	if (!batch || !keys) {
		store_batch_free(batch);
		json_decref(keys);
		return MHD_NO;
	}
	pthread_mutex_lock(&controller->lock);
	result = retry_targets(controller, body, &campaign, &members, &count, why, sizeof(why));
	if (result == 0)
		result = campaign_snapshot_take(campaign, &before);
	if (result == 0) {
		for (size_t i = 0; i < count && result == 0; i++) {
			int retry = campaign_retry_member(controller, members[i], batch);

			if (retry == 0) {
				retried++;
				json_array_append_new(keys, json_string(members[i]->device->key));
			} else if (retry == -EPERM) {
				snprintf(why, sizeof(why), "campaign %u is %s: nobody is retried", campaign->id,
					 campaign_state_name(campaign->state));
				result = retry;
			} else if (count == 1) {
				snprintf(why, sizeof(why), "device %s has not failed in campaign %u (it is %s)",
					 members[i]->device->key, campaign->id, member_state_name(members[i]->state));
				result = retry;
			}
		}
		filter.campaign_id = campaign->id;
		filter.device_id = count == 1 ? members[0]->device->id : 0;
		if (result == 0 && retried)
			result = fault_clear_start(controller, &filter, batch, &clear);
		if (result == 0 && !store_batch_empty(batch)) {
			result = api_commit_and_wait(controller, batch);
			batch = NULL;
			if (result < 0) {
				snprintf(why, sizeof(why), "the retry could not be saved: nothing was changed");
				fault_clear_undo(&clear);
			}
		}
		if (result < 0) {
			campaign_snapshot_restore(campaign, &before);
			clear.cleared = 0;
		}
		campaign_snapshot_free(&before);
		fault_clear_finish(controller, &clear, result == 0);
	}
	pthread_mutex_unlock(&controller->lock);
	store_batch_free(batch);
	free(members);
	if (result < 0) {
		json_decref(keys);
		return api_reply_error(connection, retry_status(result), why);
	}
	return api_reply_json(connection, MHD_HTTP_OK,
			      json_pack("{s:I, s:o, s:I}", "retried", (json_int_t)retried, "devices", keys,
					"faults_cleared", (json_int_t)clear.cleared));
}

enum MHD_Result api_faults_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				 const char *path, const struct api_request *request)
{
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	enum MHD_Result result;
	char error[160];
	json_t *body;

	if (*path == '\0')
		return strcmp(method, MHD_HTTP_METHOD_GET) == 0
			       ? list_faults(server->controller, connection)
			       : api_reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
	if (strcmp(path, "/clear") != 0 && strcmp(path, "/retry") != 0)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such resource");
	if (!post)
		return api_reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST");
	body = api_body_object(request, error, sizeof(error));
	if (!body)
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, error);
	result = strcmp(path, "/clear") == 0 ? clear_faults(server->controller, connection, body)
					     : retry_faults(server->controller, connection, body);
	json_decref(body);
	return result;
}
