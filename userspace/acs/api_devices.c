/* The operator API's devices:
 *   GET /api/devices[?q=TEXT&group=N&state=S&fault=F&sort=FIELD&order=asc|desc&offset=N&limit=N]
 *       q: a piece of the key, serial number, manufacturer, product class,
 *       versions, location or address (any case); state: the device's
 *       state in its latest campaign (pending ... cancelled) or "none";
 *       fault: "any", "none" or a code (its newest open fault); sort: id
 *       (default), key, group, software, hardware, occupancy, last_inform,
 *       fault, state.
 *   GET /api/devices/ID[?events=N]   the device, its timeline (newest
 *       first, default 100 rows) and its open faults.
 * The list is filtered and sorted with the controller lock held: operator
 * traffic is light, and a 100,000-device sort takes milliseconds. */
#include "acs/api_http.h"
#include "acs/campaign.h"
#include "acs/store_queries.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum sort_field { SORT_ID = 0, SORT_KEY, SORT_GROUP, SORT_SOFTWARE, SORT_HARDWARE, SORT_OCCUPANCY,
		  SORT_LAST_INFORM, SORT_FAULT, SORT_STATE, SORT_FIELD_COUNT };

static const char *const sort_names[SORT_FIELD_COUNT] = { "id", "key", "group", "software", "hardware", "occupancy",
							   "last_inform", "fault", "state" };

struct device_query {
	const char *text;
	uint32_t group_id;
	int state;        /* -1 any, MEMBER_STATE_COUNT: none, else a member state */
	int fault;        /* -1 any, 0 without, 1 with any, 2 with fault_code */
	uint32_t fault_code;
	enum sort_field sort;
	bool descending;
};

json_t *api_device_json(const struct device *device)
{
	json_t *object = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:b, s:b}", "id",
				   (json_int_t)device->id, "key", device->key, "manufacturer", device->manufacturer,
				   "oui", device->oui, "product_class", device->product_class, "serial_number",
				   device->serial_number, "hardware_version", device->hardware_version,
				   "software_version", device->software_version, "location", device->location, "group",
				   (json_int_t)(device->group ? device->group->id : 0), "connection_request_url",
				   device->connection_request_url, "cascade", device->cascade_capable,
				   "attributes_probed", device->attributes_probed);

	if (!object)
		return NULL;
	json_object_set_new(object, "cpu_occupancy",
			    device->has_occupancy ? json_integer(device->cpu_occupancy) : json_null());
	json_object_set_new(object, "cache_size", json_integer((json_int_t)device->cache_size));
	json_object_set_new(object, "bandwidth", json_integer(device->bandwidth));
	json_object_set_new(object, "file_server",
			    json_pack("{s:b, s:s?}", "enable", device->file_server_enable, "url", device->file_server_url));
	json_object_set_new(object, "last_inform", json_integer((json_int_t)device->last_inform));
	json_object_set_new(object, "last_address", json_string(device->last_address ? device->last_address : ""));
	json_object_set_new(object, "last_events", json_string(device->last_events ? device->last_events : ""));
	json_object_set_new(object, "inform_count", json_integer((json_int_t)device->inform_count));
	json_object_set_new(object, "last_fault",
			    device->last_fault_code ? json_pack("{s:i, s:s}", "code", (json_int_t)device->last_fault_code,
								"string", device->last_fault_string ? device->last_fault_string : "")
						    : json_null());
	json_object_set_new(object, "open_faults", json_integer(device->open_faults));
	if (device->member && device->member->group) {
		const struct campaign_member *member = device->member;

		json_object_set_new(object, "campaign",
				    json_pack("{s:i, s:s, s:s, s:i}", "id", (json_int_t)member->group->campaign->id, "role",
					      member->role == ROLE_MASTER ? "master" : "slave", "state",
					      member_state_name(member->state), "attempts", (json_int_t)member->attempts));
	} else {
		json_object_set_new(object, "campaign", json_null());
	}
	return object;
}

/* The device's state in its latest campaign, MEMBER_STATE_COUNT for none. */
static int campaign_state_of(const struct device *device)
{
	return device->member && device->member->group ? (int)device->member->state : MEMBER_STATE_COUNT;
}

static bool contains(const char *haystack, const char *needle)
{
	return haystack && strcasestr(haystack, needle) != NULL;
}

static bool matches(const struct device *device, const struct device_query *query)
{
	if (query->group_id && (!device->group || device->group->id != query->group_id))
		return false;
	if (query->state >= 0 && campaign_state_of(device) != query->state)
		return false;
	if (query->fault == 0 && device->open_faults)
		return false;
	if (query->fault == 1 && !device->open_faults)
		return false;
	if (query->fault == 2 && (!device->open_faults || device->last_fault_code != query->fault_code))
		return false;
	if (query->text) {
		const char *fields[] = { device->key, device->serial_number, device->manufacturer, device->product_class,
					 device->software_version, device->hardware_version, device->location,
					 device->last_address };

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (contains(fields[i], query->text))
				return true;
		return false;
	}
	return true;
}

static int compare_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int compare_numbers(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* qsort has no context argument: the field and order of the sort in progress. */
static __thread const struct device_query *sorting;

static int compare_devices(const void *left, const void *right)
{
	const struct device *a = *(struct device *const *)left, *b = *(struct device *const *)right;
	int order = 0;

	switch (sorting->sort) {
	case SORT_KEY: order = compare_text(a->key, b->key); break;
	case SORT_GROUP: order = compare_numbers(a->group ? a->group->id : 0, b->group ? b->group->id : 0); break;
	case SORT_SOFTWARE: order = compare_text(a->software_version, b->software_version); break;
	case SORT_HARDWARE: order = compare_text(a->hardware_version, b->hardware_version); break;
	case SORT_OCCUPANCY:
		order = compare_numbers(a->has_occupancy ? a->cpu_occupancy : 100000,
					b->has_occupancy ? b->cpu_occupancy : 100000);
		break;
	case SORT_LAST_INFORM: order = compare_numbers(a->last_inform, b->last_inform); break;
	case SORT_FAULT:
		order = compare_numbers(a->open_faults ? a->last_fault_code : 0, b->open_faults ? b->last_fault_code : 0);
		if (!order)
			order = compare_numbers(a->open_faults, b->open_faults);
		break;
	case SORT_STATE: order = compare_numbers((uint64_t)campaign_state_of(a), (uint64_t)campaign_state_of(b)); break;
	default: break;
	}
	if (!order)
		order = compare_numbers(a->id, b->id);
	return sorting->descending ? -order : order;
}

/* Reads the query string; false with why when a value is not understood. */
static bool read_query(struct MHD_Connection *connection, struct device_query *query, const char **why)
{
	const char *state = api_query_text(connection, "state"), *fault = api_query_text(connection, "fault");
	const char *sort = api_query_text(connection, "sort"), *order = api_query_text(connection, "order");

	memset(query, 0, sizeof(*query));
	query->text = api_query_text(connection, "q");
	query->group_id = (uint32_t)api_query_number(connection, "group", 0);
	query->state = -1;
	query->fault = -1;
	if (state) {
		query->state = strcmp(state, "none") == 0 ? MEMBER_STATE_COUNT : -2;
		for (int i = 0; i < MEMBER_STATE_COUNT && query->state == -2; i++)
			if (strcmp(state, member_state_name((enum member_state)i)) == 0)
				query->state = i;
		if (query->state == -2) {
			*why = "state must be pending, queued, downloading, done, failed, cancelled or none";
			return false;
		}
	}
	if (fault) {
		char *end;
		unsigned long code = strtoul(fault, &end, 10);

		if (strcmp(fault, "any") == 0)
			query->fault = 1;
		else if (strcmp(fault, "none") == 0)
			query->fault = 0;
		else if (*end == '\0' && end != fault && code > 0 && code <= UINT32_MAX)
			query->fault = 2, query->fault_code = (uint32_t)code;
		else {
			*why = "fault must be any, none or a fault code";
			return false;
		}
	}
	if (sort) {
		query->sort = SORT_FIELD_COUNT;
		for (int i = 0; i < SORT_FIELD_COUNT; i++)
			if (strcmp(sort, sort_names[i]) == 0)
				query->sort = (enum sort_field)i;
		if (query->sort == SORT_FIELD_COUNT) {
			*why = "sort must be id, key, group, software, hardware, occupancy, last_inform, fault or state";
			return false;
		}
	}
	if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
		*why = "order must be asc or desc";
		return false;
	}
	query->descending = order && strcmp(order, "desc") == 0;
	return true;
}

static json_t *device_list(struct controller *controller, const struct device_query *query, size_t offset,
			   size_t limit)
{
	struct device **chosen = malloc((controller->device_count ? controller->device_count : 1) * sizeof(*chosen));
	json_t *list = json_array();
	size_t matched = 0;

	if (!chosen || !list) {
		free(chosen);
		json_decref(list);
		return NULL;
	}
	for (size_t i = 0; i < controller->device_count; i++)
		if (controller->devices[i] && matches(controller->devices[i], query))
			chosen[matched++] = controller->devices[i];
	if (query->sort != SORT_ID || query->descending) {
		sorting = query;
		qsort(chosen, matched, sizeof(*chosen), compare_devices);
	}
	for (size_t i = offset; i < matched && json_array_size(list) < limit; i++)
		json_array_append_new(list, api_device_json(chosen[i]));
	free(chosen);
	return json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)matched, "offset", (json_int_t)offset, "limit",
			 (json_int_t)limit, "devices", list);
}

static enum MHD_Result device_detail(struct api_server *server, struct MHD_Connection *connection, uint32_t id)
{
	struct controller *controller = server->controller;
	struct fault_filter open = { .device_id = id };
	json_t *document, *events = NULL, *faults = NULL;
	size_t total = 0;

	pthread_mutex_lock(&controller->lock);
	document = device_by_id(controller, id) ? api_device_json(device_by_id(controller, id)) : NULL;
	pthread_mutex_unlock(&controller->lock);
	if (!document)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such device");
	if (store_device_events(controller->store, id, api_query_number(connection, "events", 100), &events) < 0 ||
	    store_faults(controller->store, &open, 0, 100, &faults, &total) < 0) {
		json_decref(document);
		json_decref(events);
		json_decref(faults);
		return api_reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "the database could not be read");
	}
	json_object_set_new(document, "events", events);
	json_object_set_new(document, "faults", faults);
	return api_reply_json(connection, MHD_HTTP_OK, document);
}

enum MHD_Result api_devices_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				  const char *path)
{
	struct controller *controller = server->controller;
	struct device_query query;
	const char *why = NULL, *rest;
	json_t *document;
	uint32_t id;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return api_reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
	if (*path == '/') {
		if (!api_parse_id(path + 1, &id, &rest) || *rest)
			return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "device id must be a positive number");
		return device_detail(server, connection, id);
	}
	if (*path)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such resource");
	if (!read_query(connection, &query, &why))
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, why);
	pthread_mutex_lock(&controller->lock);
	document = device_list(controller, &query, api_query_number(connection, "offset", 0),
			       api_query_number(connection, "limit", 1000));
	pthread_mutex_unlock(&controller->lock);
	return api_reply_json(connection, MHD_HTTP_OK, document);
}
