/* The device registry and groups in memory: creation, lookup by key or id,
 * attribute updates from CWMP parameter lists (TR-181 "Device." or TR-098
 * "InternetGatewayDevice." roots) and group membership. */
#include "acs/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acs/campaign.h"
#include "common/log.h"
#include "common/log_limit.h"

int controller_init(struct controller *controller, const struct acs_config *config)
{
	memset(controller, 0, sizeof(*controller));
	controller->config = *config;
	pthread_mutex_init(&controller->lock, NULL);
	if (hashmap_init(&controller->devices_by_key, 1024) < 0 || hashmap_init(&controller->groups_by_key, 64) < 0 ||
	    hashmap_init(&controller->sessions, 1024) < 0)
		return -ENOMEM;
	return 0;
}

static void device_free(struct device *device)
{
	char **fields[] = { &device->key, &device->manufacturer, &device->oui, &device->product_class,
			    &device->serial_number, &device->hardware_version, &device->software_version,
			    &device->location, &device->connection_request_url, &device->file_server_url,
			    &device->root, &device->last_address, &device->last_events, &device->last_fault_string };

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		free(*fields[i]);
	free(device);
}

void controller_destroy(struct controller *controller)
{
	struct session *session;
	size_t cursor = 0;

	while ((session = hashmap_next(&controller->sessions, &cursor, NULL)) != NULL) {
		for (size_t n = 0; n < session->cascade_name_count; n++)
			free(session->cascade_names[n]);
		free(session->cascade_names);
		free(session);
	}
	for (size_t i = 0; i < controller->device_count; i++)
		if (controller->devices[i])
			device_free(controller->devices[i]);
	for (size_t i = 0; i < controller->group_count; i++) {
		if (!controller->groups[i])
			continue;
		free(controller->groups[i]->devices);
		free(controller->groups[i]->key);
		free(controller->groups[i]);
	}
	for (size_t i = 0; i < controller->campaign_count; i++)
		campaign_free(controller->campaigns[i]);
	free(controller->devices);
	free(controller->groups);
	free(controller->campaigns);
	hashmap_destroy(&controller->devices_by_key);
	hashmap_destroy(&controller->groups_by_key);
	hashmap_destroy(&controller->sessions);
	digest_nonces_free(controller->digest_nonces);
	pthread_mutex_destroy(&controller->lock);
}

struct device *device_find(struct controller *controller, const char *key)
{
	return hashmap_get(&controller->devices_by_key, key);
}

struct device *device_by_id(struct controller *controller, uint32_t id)
{
	if (id == 0 || id > controller->device_count)
		return NULL;
	return controller->devices[id - 1];
}

/* Grows an array of pointers indexed by id - 1 so that index fits. */
static int ensure_slot(void ***array, size_t *capacity, size_t index)
{
	size_t wanted = *capacity ? *capacity : 64;
	void **bigger;

	if (index < *capacity)
		return 0;
	while (wanted <= index)
		wanted *= 2;
	bigger = realloc(*array, wanted * sizeof(**array));
	if (!bigger)
		return -ENOMEM;
	memset(bigger + *capacity, 0, (wanted - *capacity) * sizeof(**array));
	*array = bigger;
	*capacity = wanted;
	return 0;
}

bool set_text(char **field, const char *value)
{
	char *copy;

	if (!value)
		return false;
	if (*field && strcmp(*field, value) == 0)
		return false;
	copy = strdup(value);
	if (!copy)
		return false;
	free(*field);
	*field = copy;
	return true;
}

/* Appends field with '%' and '-' written as %25 and %2D. */
static size_t append_key_field(char *key, size_t used, size_t size, const char *field)
{
	for (; field && *field && used < size; field++) {
		if (*field == '%' || *field == '-')
			used += (size_t)snprintf(key + used, size - used, "%%%02X", (unsigned char)*field);
		else
			key[used++] = *field;
	}
	return used;
}

int device_key(const struct cwmp_device_id *identity, char *key, size_t size)
{
	size_t used = append_key_field(key, 0, size, identity->oui);

	if (used < size)
		key[used++] = '-';
	used = append_key_field(key, used, size, identity->product_class);
	if (used < size)
		key[used++] = '-';
	used = append_key_field(key, used, size, identity->serial_number);
	if (used >= size) {
		if (size)
			key[0] = '\0';
		return -ENAMETOOLONG;
	}
	key[used] = '\0';
	return 0;
}

struct device *device_create(struct controller *controller, uint32_t id, const struct cwmp_device_id *identity)
{
	struct device *device = calloc(1, sizeof(*device));
	char key[DEVICE_KEY_SIZE];

	if (!device)
		return NULL;
	if (id == 0)
		id = (uint32_t)controller->device_count + 1;
	if (device_key(identity, key, sizeof(key)) < 0) {
		free(device);
		return NULL;
	}
	device->id = id;
	set_text(&device->key, key);
	set_text(&device->manufacturer, identity->manufacturer ? identity->manufacturer : "");
	set_text(&device->oui, identity->oui);
	set_text(&device->product_class, identity->product_class ? identity->product_class : "");
	set_text(&device->serial_number, identity->serial_number);
	set_text(&device->hardware_version, "");
	set_text(&device->software_version, "");
	set_text(&device->location, "");
	set_text(&device->root, "Device.");
	if (!device->key || !device->serial_number || !device->root || !device->location ||
	    ensure_slot((void ***)&controller->devices, &controller->device_capacity, id - 1) < 0 ||
	    controller->devices[id - 1] ||
	    hashmap_put(&controller->devices_by_key, device->key, device) < 0) {
		device_free(device);
		return NULL;
	}
	controller->devices[id - 1] = device;
	if (id > controller->device_count)
		controller->device_count = id;
	return device;
}

static bool parse_unsigned(const char *text, uint64_t maximum, uint64_t *value)
{
	char *end;
	unsigned long long number;

	if (!text || !*text || *text == '-')
		return false;
	errno = 0;
	number = strtoull(text, &end, 10);
	if (errno || *end || number > maximum)
		return false;
	*value = number;
	return true;
}

enum attribute {
	ATTRIBUTE_HARDWARE_VERSION,
	ATTRIBUTE_SOFTWARE_VERSION,
	ATTRIBUTE_LOCATION,
	ATTRIBUTE_CASCADE_LOCATION,
	ATTRIBUTE_CONNECTION_REQUEST_URL,
	ATTRIBUTE_CPU_USAGE,
	ATTRIBUTE_CASCADE_OCCUPANCY,
	ATTRIBUTE_MEMORY_FREE,
	ATTRIBUTE_CASCADE_CACHE,
	ATTRIBUTE_CASCADE_BANDWIDTH,
	ATTRIBUTE_CASCADE_FILE_SERVER_ENABLE,
	ATTRIBUTE_CASCADE_FILE_SERVER_URL,
	ATTRIBUTE_CASCADE_IMAGE_PIECES,
	ATTRIBUTE_CASCADE_OTHER,
	ATTRIBUTE_NONE,
};

static const struct {
	const char *suffix;
	enum attribute attribute;
} attribute_names[] = {
	{ "DeviceInfo.HardwareVersion", ATTRIBUTE_HARDWARE_VERSION },
	{ "DeviceInfo.SoftwareVersion", ATTRIBUTE_SOFTWARE_VERSION },
	{ "DeviceInfo.Location", ATTRIBUTE_LOCATION },
	{ "X_CASCADE_Location", ATTRIBUTE_CASCADE_LOCATION },
	{ "ManagementServer.ConnectionRequestURL", ATTRIBUTE_CONNECTION_REQUEST_URL },
	{ "DeviceInfo.ProcessStatus.CPUUsage", ATTRIBUTE_CPU_USAGE },
	{ "X_CASCADE_CPUOccupancy", ATTRIBUTE_CASCADE_OCCUPANCY },
	{ "DeviceInfo.MemoryStatus.Free", ATTRIBUTE_MEMORY_FREE },
	{ "X_CASCADE_CacheSize", ATTRIBUTE_CASCADE_CACHE },
	{ "X_CASCADE_Bandwidth", ATTRIBUTE_CASCADE_BANDWIDTH },
	{ "X_CASCADE_FileServer.Enable", ATTRIBUTE_CASCADE_FILE_SERVER_ENABLE },
	{ "X_CASCADE_FileServer.URL", ATTRIBUTE_CASCADE_FILE_SERVER_URL },
	{ "X_CASCADE_ImagePiecesSHA256", ATTRIBUTE_CASCADE_IMAGE_PIECES },
};

/* Splits a parameter name into its root and the attribute it names. */
static enum attribute classify(const char *name, const char **root)
{
	const char *suffix;

	if (strncmp(name, "Device.", 7) == 0) {
		*root = "Device.";
		suffix = name + 7;
	} else if (strncmp(name, "InternetGatewayDevice.", 22) == 0) {
		*root = "InternetGatewayDevice.";
		suffix = name + 22;
	} else {
		return ATTRIBUTE_NONE;
	}
	for (size_t i = 0; i < sizeof(attribute_names) / sizeof(attribute_names[0]); i++)
		if (strcmp(suffix, attribute_names[i].suffix) == 0)
			return attribute_names[i].attribute;
	return strncmp(suffix, "X_CASCADE_", 10) == 0 ? ATTRIBUTE_CASCADE_OTHER : ATTRIBUTE_NONE;
}

bool parameters_have_attributes(const struct cwmp_parameter_value *parameters, size_t count)
{
	bool versions = false, occupancy = false;

	for (size_t i = 0; i < count; i++) {
		const char *root;
		enum attribute attribute = classify(parameters[i].name, &root);

		if (attribute == ATTRIBUTE_SOFTWARE_VERSION)
			versions = true;
		if (attribute == ATTRIBUTE_CASCADE_OCCUPANCY || attribute == ATTRIBUTE_CPU_USAGE)
			occupancy = true;
	}
	return versions && occupancy;
}

bool file_server_url_acceptable(const char *url)
{
	size_t scheme = strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;

	if (!scheme || url[scheme] == '\0' || url[scheme] == '/')
		return false;
	for (const unsigned char *at = (const unsigned char *)url; *at; at++)
		if (*at <= ' ' || *at == 0x7f)
			return false;
	return true;
}

bool device_apply_parameters(struct device *device, const struct cwmp_parameter_value *parameters, size_t count)
{
	bool grouping_changed = false, cascade_occupancy = false, cascade_cache = false, cascade_location = false;
	uint64_t number;

	/* X_CASCADE_ values take precedence over the standard ones. */
	for (size_t i = 0; i < count; i++) {
		const char *root = NULL, *value = parameters[i].value;
		enum attribute attribute = classify(parameters[i].name, &root);

		if (attribute == ATTRIBUTE_NONE)
			continue;
		set_text(&device->root, root);
		switch (attribute) {
		case ATTRIBUTE_HARDWARE_VERSION:
			grouping_changed |= set_text(&device->hardware_version, value);
			break;
		case ATTRIBUTE_SOFTWARE_VERSION:
			grouping_changed |= set_text(&device->software_version, value);
			break;
		case ATTRIBUTE_LOCATION:
			if (!cascade_location)
				grouping_changed |= set_text(&device->location, value);
			break;
		case ATTRIBUTE_CASCADE_LOCATION:
			cascade_location = true;
			device->cascade_capable = true;
			grouping_changed |= set_text(&device->location, value);
			break;
		case ATTRIBUTE_CONNECTION_REQUEST_URL:
			set_text(&device->connection_request_url, value);
			break;
		case ATTRIBUTE_CPU_USAGE:
			if (!cascade_occupancy && parse_unsigned(value, 100, &number)) {
				device->cpu_occupancy = (uint32_t)number * 100;
				device->has_occupancy = true;
			}
			break;
		case ATTRIBUTE_CASCADE_OCCUPANCY:
			device->cascade_capable = true;
			if (parse_unsigned(value, 10000, &number)) {
				device->cpu_occupancy = (uint32_t)number;
				device->has_occupancy = true;
				cascade_occupancy = true;
			}
			break;
		case ATTRIBUTE_MEMORY_FREE:
			if (!cascade_cache && parse_unsigned(value, UINT64_MAX / 1024, &number))
				device->cache_size = number * 1024;
			break;
		case ATTRIBUTE_CASCADE_CACHE:
			device->cascade_capable = true;
			if (parse_unsigned(value, UINT64_MAX, &number)) {
				device->cache_size = number;
				cascade_cache = true;
			}
			break;
		case ATTRIBUTE_CASCADE_BANDWIDTH:
			device->cascade_capable = true;
			if (parse_unsigned(value, UINT32_MAX, &number))
				device->bandwidth = (uint32_t)number;
			break;
		case ATTRIBUTE_CASCADE_FILE_SERVER_ENABLE:
			device->cascade_capable = true;
			device->file_server_enable = strcmp(value, "1") == 0 || strcmp(value, "true") == 0;
			break;
		case ATTRIBUTE_CASCADE_FILE_SERVER_URL:
			device->cascade_capable = true;
			if (!value || !file_server_url_acceptable(value)) {
				if (value && value[0])
					log_warn_limited("%s: X_CASCADE_FileServer.URL \"%.200s\" ignored: "
							 "not an http:// or https:// URL",
							 device->key, value);
				value = "";
			}
			set_text(&device->file_server_url, value);
			break;
		case ATTRIBUTE_CASCADE_IMAGE_PIECES:
			device->cascade_capable = true;
			device->checks_pieces = true;
			break;
		case ATTRIBUTE_CASCADE_OTHER:
			device->cascade_capable = true;
			break;
		default:
			break;
		}
	}
	return grouping_changed;
}

struct group *group_by_id(struct controller *controller, uint32_t id)
{
	if (id == 0 || id > controller->group_count)
		return NULL;
	return controller->groups[id - 1];
}

struct group *group_find_or_create(struct controller *controller, const char *key, uint32_t id)
{
	struct group *group = hashmap_get(&controller->groups_by_key, key);

	if (group)
		return group;
	group = calloc(1, sizeof(*group));
	if (!group)
		return NULL;
	if (id == 0)
		id = (uint32_t)controller->group_count + 1;
	group->id = id;
	group->key = strdup(key);
	if (!group->key || ensure_slot((void ***)&controller->groups, &controller->group_capacity, id - 1) < 0 ||
	    controller->groups[id - 1] || hashmap_put(&controller->groups_by_key, group->key, group) < 0) {
		log_error_limited("cannot create group %s", key);
		free(group->key);
		free(group);
		return NULL;
	}
	controller->groups[id - 1] = group;
	if (id > controller->group_count)
		controller->group_count = id;
	return group;
}

void group_add_device(struct group *group, struct device *device)
{
	if (group->count == group->capacity) {
		size_t wanted = group->capacity ? group->capacity * 2 : 8;
		struct device **bigger = realloc(group->devices, wanted * sizeof(*bigger));

		if (!bigger)
			return;
		group->devices = bigger;
		group->capacity = wanted;
	}
	device->group = group;
	device->group_index = group->count;
	group->devices[group->count++] = device;
}

void group_remove_device(struct device *device)
{
	struct group *group = device->group;
	struct device *last;

	if (!group)
		return;
	last = group->devices[--group->count];
	group->devices[device->group_index] = last;
	last->group_index = device->group_index;
	device->group = NULL;
}
