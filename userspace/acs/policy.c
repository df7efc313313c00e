/* Grouping and election policies: the group key from the configured
 * attributes (split into partitions of at most max_group_size devices), and
 * the choice of a master among a group's devices: file server enabled,
 * enough cache, occupancy under the limit, a recent Inform; lowest
 * occupancy wins, ties go to the larger bandwidth. */
#include "acs/model.h"
#include "acs/device_attributes.h"
#include "acs/store.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

void policy_group_key(const struct acs_config *config, const struct device *device, char *key, size_t size)
{
	size_t used = 0;

	key[0] = '\0';
	for (size_t i = 0; i < device_attribute_count; i++) {
		const struct device_attribute *attribute = &device_attributes[i];
		const char *value = device_attribute_value(device, attribute);
		int written;

		if (!(config->group_keys & attribute->group_key_bit))
			continue;
		written = snprintf(key + used, size - used, "%s%s=%s", used ? "|" : "", attribute->name,
				   value ? value : "");
		if (written < 0 || (size_t)written >= size - used)
			break;
		used += (size_t)written;
	}
}

bool policy_assign_group(struct controller *controller, struct device *device)
{
	char base[1024], key[1100];
	unsigned int maximum = controller->config.max_group_size;
	size_t base_length, limit;

	policy_group_key(&controller->config, device, base, sizeof(base));
	base_length = strlen(base);
	if (device->group && strncmp(device->group->key, base, base_length) == 0 &&
	    (device->group->key[base_length] == '\0' || device->group->key[base_length] == '#'))
		return false;
	group_remove_device(device);
	if (maximum == 0) {
		struct group *group = group_find_or_create(controller, base, 0);

		if (group)
			group_add_device(group, device);
		return true;
	}
	limit = controller->device_count / maximum + 2;
	for (size_t partition = 1; partition <= limit; partition++) {
		struct group *group;

		snprintf(key, sizeof(key), "%s#%zu", base, partition);
		group = group_find_or_create(controller, key, 0);
		if (!group)
			break;
		if (group->count < maximum) {
			group_add_device(group, device);
			break;
		}
	}
	return true;
}

void device_regroup(struct controller *controller, struct device *device, struct store_batch *batch)
{
	struct group *before = device->group;

	if (policy_assign_group(controller, device) && device->group && device->group != before)
		store_batch_group(batch, device->group);
}

bool policy_eligible(const struct acs_config *config, const struct device *device, uint64_t image_size,
		     uint64_t now_seconds)
{
	if (config->election_require_file_server && (!device->file_server_enable || !device->file_server_url ||
						     !device->file_server_url[0]))
		return false;
	if (image_size && device->cache_size && device->cache_size < image_size)
		return false;
	if (device->has_occupancy && device->cpu_occupancy > config->election_max_occupancy)
		return false;
	if (config->election_max_inform_age_ms &&
	    device->last_inform + config->election_max_inform_age_ms / 1000 < now_seconds)
		return false;
	return true;
}

int policy_compare(const struct device *a, const struct device *b)
{
	uint32_t occupancy_a = a->has_occupancy ? a->cpu_occupancy : 10000;
	uint32_t occupancy_b = b->has_occupancy ? b->cpu_occupancy : 10000;

	if (occupancy_a != occupancy_b)
		return occupancy_a < occupancy_b ? -1 : 1;
	if (a->bandwidth != b->bandwidth)
		return a->bandwidth > b->bandwidth ? -1 : 1;
	return a->id < b->id ? -1 : (a->id > b->id);
}

struct device *policy_elect(const struct controller *controller, const struct group *group, uint64_t image_size)
{
	uint64_t now = realtime_seconds();
	struct device *best = NULL;

	for (size_t i = 0; i < group->count; i++) {
		struct device *candidate = group->devices[i];

		if (!policy_eligible(&controller->config, candidate, image_size, now))
			continue;
		if (!best || policy_compare(candidate, best) < 0)
			best = candidate;
	}
	return best;
}
