/* The group egress meter's totals: per-group bytes, packets and drops
 * summed over CPUs, with each capped group's cap, htb class and the
 * shaper's drops as the kernel reports them now. */
#include "meter/group_meter_internal.h"
#include "meter/meter_objects.h"
#include "meter/tc_netlink.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int compare_groups(const void *left, const void *right)
{
	uint32_t a = *(const uint32_t *)left, b = *(const uint32_t *)right;

	return a < b ? -1 : a > b;
}

/* The shaper's classes for one read of the meter: the interface is checked
 * and its classes dumped once, on the first capped group. */
struct shaper_classes {
	uint32_t ifindex;
	bool tried;
	struct tc_class_snapshot *classes;
};

/* The meter's interface when this process sees it (same network namespace), else 0. */
static uint32_t visible_ifindex(const struct group_meter_config *config)
{
	return config->netns_inode == 0 || config->netns_inode == meter_netns_inode() ? config->ifindex : 0;
}

static bool shaper_class_drops(struct shaper_classes *shaper, uint32_t class_id, uint64_t *drops)
{
	if (!shaper->tried) {
		shaper->tried = true;
		if (!group_meter_interface_present(shaper->ifindex) ||
		    tc_class_snapshot_take(shaper->ifindex, &shaper->classes) < 0)
			shaper->classes = NULL;
	}
	return shaper->classes != NULL && tc_class_snapshot_drops(shaper->classes, class_id, drops) == 0;
}

static void fill_totals(struct group_meter *meter, struct shaper_classes *shaper, uint32_t group,
			struct group_meter_totals *totals)
{
	unsigned long long sums[4] = { 0, 0, 0, 0 };
	struct group_cap cap;

	memset(totals, 0, sizeof(*totals));
	totals->group = group;
	if (meter_sum_percpu(meter->map_fds[GROUP_METER_MAP_STATS], &group, sums, 4) == 0) {
		totals->bytes = sums[0];
		totals->packets = sums[1];
		totals->dropped_bytes = sums[2];
		totals->dropped_packets = sums[3];
	}
	if (bpf_map_lookup_elem(meter->map_fds[GROUP_METER_MAP_CAPS], &group, &cap) == 0) {
		uint64_t drops = 0;

		totals->cap_bytes_per_second = cap.rate_bytes_per_second;
		memcpy(totals->htb_class, cap.htb_class, sizeof(totals->htb_class));
		totals->htb_class[sizeof(totals->htb_class) - 1] = '\0';
		if (totals->htb_class[0] != '\0' && group <= METER_HTB_GROUP_MAX &&
		    shaper_class_drops(shaper, METER_HTB_CLASS(group), &drops)) {
			totals->class_present = true;
			totals->shaper_dropped_packets = drops;
		}
	}
}

int group_meter_read_group(struct group_meter *meter, uint32_t group, struct group_meter_totals *totals,
			   struct meter_error *error)
{
	struct group_meter_config config;
	struct shaper_classes shaper = { 0 };
	int result = group_meter_config_read(meter, &config, error);

	if (result < 0)
		return result;
	if (group > METER_GROUP_MAX)
		return meter_error_set(error, -ERANGE, "bad group %u", group);
	shaper.ifindex = visible_ifindex(&config);
	fill_totals(meter, &shaper, group, totals);
	tc_class_snapshot_free(shaper.classes);
	return 0;
}

int group_meter_read(struct group_meter *meter, struct group_meter_totals *totals, size_t capacity,
		     size_t *count, struct meter_error *error)
{
	size_t limit = METER_MAX_GROUPS + METER_MAX_CAPS, found, unique = 0;
	uint32_t *groups = calloc(limit, sizeof(*groups));
	struct group_meter_config config;
	struct shaper_classes shaper = { 0 };
	int result;

	if (groups == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	if ((result = group_meter_config_read(meter, &config, error)) < 0)
		goto out;
	shaper.ifindex = visible_ifindex(&config);
	found = group_meter_collect_groups(meter->map_fds[GROUP_METER_MAP_STATS], groups, METER_MAX_GROUPS);
	found += group_meter_collect_groups(meter->map_fds[GROUP_METER_MAP_CAPS], groups + found, METER_MAX_CAPS);
	qsort(groups, found, sizeof(*groups), compare_groups);
	for (size_t index = 0; index < found; index++) {
		if (index > 0 && groups[index] == groups[index - 1])
			continue;
		if (unique < capacity)
			fill_totals(meter, &shaper, groups[index], &totals[unique]);
		unique++;
	}
	*count = unique;
	result = 0;
out:
	tc_class_snapshot_free(shaper.classes);
	free(groups);
	return result;
}
