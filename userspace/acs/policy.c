/* Grouping and election policies: the group key from the configured
 * attributes (split into partitions of at most max_group_size devices), and
 * the choice of a master among a group's devices: file server enabled,
 * enough cache, occupancy under the limit, a recent Inform; lowest
 * occupancy wins, ties go to the larger bandwidth; a sitting master stays
 * until a challenger is less busy by [election] hysteresis. Every choice
 * can be explained in words (policy_check_eligible, policy_explain). */
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

/* "12.34%" for an occupancy in percent x100. */
static void format_occupancy(const struct device *device, char *text, size_t size)
{
	if (device->has_occupancy)
		snprintf(text, size, "%u.%02u%%", device->cpu_occupancy / 100, device->cpu_occupancy % 100);
	else
		snprintf(text, size, "unknown (counts as 100%%)");
}

bool policy_check_eligible(const struct acs_config *config, const struct device *device, uint64_t image_size,
			   uint64_t now_seconds, char *why, size_t why_size)
{
	char figure[32], limit[32];

	if (config->election_require_file_server && !device->file_server_enable) {
		if (why)
			snprintf(why, why_size, "its file server is not enabled");
		return false;
	}
	if (config->election_require_file_server && (!device->file_server_url || !device->file_server_url[0])) {
		if (why)
			snprintf(why, why_size, "it reported no file server URL");
		return false;
	}
	if (image_size && device->cache_size && device->cache_size < image_size) {
		if (why)
			snprintf(why, why_size, "its cache (%llu bytes) is smaller than the image (%llu bytes)",
				 (unsigned long long)device->cache_size, (unsigned long long)image_size);
		return false;
	}
	if (device->has_occupancy && device->cpu_occupancy > config->election_max_occupancy) {
		if (why) {
			format_occupancy(device, figure, sizeof(figure));
			snprintf(limit, sizeof(limit), "%u.%02u%%", config->election_max_occupancy / 100,
				 config->election_max_occupancy % 100);
			snprintf(why, why_size, "its CPU occupancy %s is over the limit %s", figure, limit);
		}
		return false;
	}
	if (config->election_max_inform_age_ms &&
	    device->last_inform + config->election_max_inform_age_ms / 1000 < now_seconds) {
		if (why)
			snprintf(why, why_size, "its last Inform is %llu s old (limit %llu s)",
				 (unsigned long long)(now_seconds - device->last_inform),
				 (unsigned long long)(config->election_max_inform_age_ms / 1000));
		return false;
	}
	if (why)
		snprintf(why, why_size, "eligible");
	return true;
}

bool policy_eligible(const struct acs_config *config, const struct device *device, uint64_t image_size,
		     uint64_t now_seconds)
{
	return policy_check_eligible(config, device, image_size, now_seconds, NULL, 0);
}

static uint32_t occupancy_of(const struct device *device)
{
	return device->has_occupancy ? device->cpu_occupancy : 10000;
}

int policy_compare(const struct device *a, const struct device *b)
{
	uint32_t occupancy_a = occupancy_of(a), occupancy_b = occupancy_of(b);

	if (occupancy_a != occupancy_b)
		return occupancy_a < occupancy_b ? -1 : 1;
	if (a->bandwidth != b->bandwidth)
		return a->bandwidth > b->bandwidth ? -1 : 1;
	return a->id < b->id ? -1 : (a->id > b->id);
}

bool policy_displaces(const struct acs_config *config, const struct device *challenger, const struct device *sitting)
{
	if (policy_compare(challenger, sitting) >= 0)
		return false;
	if (!config->election_hysteresis)
		return true;
	/* a tie on occupancy won by bandwidth or id is no reason to move */
	return occupancy_of(challenger) + config->election_hysteresis <= occupancy_of(sitting);
}

struct device *policy_choose(const struct acs_config *config, struct device *const *devices, size_t count,
			     const struct device *sitting, uint64_t image_size, uint64_t now_seconds)
{
	struct device *best = NULL, *kept = NULL;

	for (size_t i = 0; i < count; i++) {
		struct device *candidate = devices[i];

		if (!policy_eligible(config, candidate, image_size, now_seconds))
			continue;
		if (candidate == sitting)
			kept = candidate;
		if (!best || policy_compare(candidate, best) < 0)
			best = candidate;
	}
	if (kept && best != kept && !policy_displaces(config, best, kept))
		return kept;
	return best;
}

struct device *policy_elect(struct controller *controller, struct group *group, uint64_t image_size)
{
	struct device *sitting = group->master && group->master->group == group ? group->master : NULL;

	group->master = policy_choose(&controller->config, group->devices, group->count, sitting, image_size,
				      realtime_seconds());
	return group->master;
}

void policy_explain(const struct acs_config *config, const struct device *candidate, const struct device *master,
		    const struct device *runner_up, bool sitting_kept, char *why, size_t why_size)
{
	char mine[32], theirs[32];

	format_occupancy(candidate, mine, sizeof(mine));
	if (candidate == master) {
		if (runner_up && policy_compare(runner_up, candidate) < 0) {
			format_occupancy(runner_up, theirs, sizeof(theirs));
			snprintf(why, why_size,
				 "elected: the sitting master (%s) stays; %s ranks before it (%s) but is not less busy "
				 "by the %u.%02u-point margin",
				 mine, runner_up->key, theirs, config->election_hysteresis / 100,
				 config->election_hysteresis % 100);
		} else if (runner_up && occupancy_of(runner_up) == occupancy_of(candidate)) {
			snprintf(why, why_size, "elected: lowest CPU occupancy (%s), tied with %s; %s", mine, runner_up->key,
				 runner_up->bandwidth != candidate->bandwidth ? "more bandwidth" : "lower id");
		} else {
			snprintf(why, why_size, "elected: lowest CPU occupancy (%s)%s", mine,
				 sitting_kept ? "; the sitting master" : "");
		}
		return;
	}
	format_occupancy(master, theirs, sizeof(theirs));
	if (policy_compare(candidate, master) < 0)
		snprintf(why, why_size,
			 "passed over: ranks before the sitting master (%s against %s) but a new master must be less "
			 "busy by the %u.%02u-point margin",
			 mine, theirs, config->election_hysteresis / 100, config->election_hysteresis % 100);
	else if (occupancy_of(candidate) > occupancy_of(master))
		snprintf(why, why_size, "passed over: busier (%s) than the master (%s)", mine, theirs);
	else if (candidate->bandwidth != master->bandwidth)
		snprintf(why, why_size, "passed over: as busy as the master (%s), less bandwidth (%u against %u kbit/s)",
			 mine, candidate->bandwidth, master->bandwidth);
	else
		snprintf(why, why_size, "passed over: as busy as the master, as much bandwidth; the lower id wins");
}
