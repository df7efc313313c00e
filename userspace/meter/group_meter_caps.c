/* The group egress meter's tables: destination prefixes -> group, per-group
 * caps (with the htb classes that enforce them where fq is missing) and the
 * per-group totals, summed over CPUs. */
#include "meter/group_meter_internal.h"
#include "meter/meter_values.h"
#include "meter/tc_netlink.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>

#define HTB_CLASS_ID(minor) (((uint32_t)METER_HTB_MAJOR << 16) | (minor))
#define HTB_MINOR_LAST 0xFFFEu

static int check_group(uint32_t group, struct meter_error *error)
{
	if (group < 1 || group > METER_GROUP_MAX)
		return meter_error_set(error, -ERANGE, "bad group %u: groups are 1..%u", group, METER_GROUP_MAX);
	return 0;
}

/* Builds the trie key of a prefix and picks the trie's fd. */
static int prefix_key(struct group_meter *meter, const char *text, void *key, size_t key_size, int *fd,
		      const char **map_name, struct meter_error *error)
{
	struct meter_prefix prefix;

	if (meter_parse_prefix(text, &prefix) < 0)
		return meter_error_set(error, -EINVAL,
				       "bad prefix '%s': give ADDRESS[/LENGTH] with zero host bits, "
				       "e.g. 10.1.0.0/16 or fd00::/64",
				       text ? text : "");
	memset(key, 0, key_size);
	if (prefix.family == 4) {
		struct prefix_v4_key *v4 = key;

		v4->prefixlen = prefix.length;
		memcpy(v4->address, prefix.address, 4);
		*fd = meter->map_fds[GROUP_METER_MAP_PREFIX_V4];
		*map_name = "prefix_v4";
	} else {
		struct prefix_v6_key *v6 = key;

		v6->prefixlen = prefix.length;
		memcpy(v6->address, prefix.address, 16);
		*fd = meter->map_fds[GROUP_METER_MAP_PREFIX_V6];
		*map_name = "prefix_v6";
	}
	return 0;
}

int group_meter_set_prefix(struct group_meter *meter, const char *prefix, uint32_t group,
			    struct meter_error *error)
{
	struct prefix_v6_key key;   /* large enough for either family */
	const char *map_name;
	__u32 value = group;
	int fd, result = check_group(group, error);

	if (result < 0 || (result = prefix_key(meter, prefix, &key, sizeof(key), &fd, &map_name, error)) < 0)
		return result;
	if (bpf_map_update_elem(fd, &key, &value, BPF_ANY) < 0) {
		result = -errno;
		if (result == -ENOSPC || result == -E2BIG || result == -ENOMEM)
			return meter_error_set(error, -ENOSPC,
					       "map full: %s holds its maximum of %u prefixes; remove unused ones with "
					       "'cascade-meter group remove PREFIX' (or attach with a larger --max-prefixes "
					       "after 'detach --unpin')",
					       map_name, meter_map_capacity(fd));
		return meter_error_set(error, result, "cannot set prefix %s: %s", prefix, strerror(-result));
	}
	return 0;
}

int group_meter_remove_prefix(struct group_meter *meter, const char *prefix, struct meter_error *error)
{
	struct prefix_v6_key key;
	const char *map_name;
	int fd, result = prefix_key(meter, prefix, &key, sizeof(key), &fd, &map_name, error);

	if (result < 0)
		return result;
	if (bpf_map_delete_elem(fd, &key) < 0) {
		result = -errno;
		if (result == -ENOENT)
			return meter_error_set(error, result, "no prefix %s in %s", prefix, map_name);
		return meter_error_set(error, result, "cannot remove prefix %s: %s", prefix, strerror(-result));
	}
	return 0;
}

static void append_prefixes(int fd, int family, struct group_meter_prefix *entries, size_t capacity,
			    size_t *count)
{
	struct prefix_v6_key key, next;
	size_t key_size = family == 4 ? sizeof(struct prefix_v4_key) : sizeof(struct prefix_v6_key);
	uint32_t limit = meter_map_capacity(fd) + 1;
	void *previous = NULL;

	for (uint32_t step = 0; step < limit; step++) {
		__u32 group;

		if (bpf_map_get_next_key(fd, previous, &next) < 0)
			break;
		memcpy(&key, &next, key_size);
		previous = &key;
		if (bpf_map_lookup_elem(fd, &key, &group) < 0)
			continue;
		if (*count < capacity) {
			struct meter_prefix prefix = { .family = family, .length = key.prefixlen };

			memcpy(prefix.address, key.address, family == 4 ? 4 : 16);
			meter_format_prefix(&prefix, entries[*count].prefix, sizeof(entries[*count].prefix));
			entries[*count].group = group;
		}
		(*count)++;
	}
}

int group_meter_list_prefixes(struct group_meter *meter, struct group_meter_prefix *entries,
			       size_t capacity, size_t *count, struct meter_error *error)
{
	(void)error;
	*count = 0;
	append_prefixes(meter->map_fds[GROUP_METER_MAP_PREFIX_V4], 4, entries, capacity, count);
	append_prefixes(meter->map_fds[GROUP_METER_MAP_PREFIX_V6], 6, entries, capacity, count);
	return 0;
}

/* Collects the keys of a hash map keyed by group id; returns how many. */
static size_t collect_groups(int fd, uint32_t *groups, size_t capacity)
{
	__u32 key, next, *previous = NULL;
	size_t count = 0;

	while (count < capacity && bpf_map_get_next_key(fd, previous, &next) == 0) {
		groups[count++] = next;
		key = next;
		previous = &key;
	}
	return count;
}

static int compare_groups(const void *left, const void *right)
{
	uint32_t a = *(const uint32_t *)left, b = *(const uint32_t *)right;

	return a < b ? -1 : a > b;
}

/* The minor of the lowest htb class no cap uses yet; 0 when none is left. */
static uint32_t free_class_minor(struct group_meter *meter)
{
	uint32_t groups[METER_MAX_CAPS];
	size_t count = collect_groups(meter->map_fds[GROUP_METER_MAP_GROUP_CAPS], groups, METER_MAX_CAPS);
	unsigned char *used = calloc(HTB_MINOR_LAST + 1, 1);
	uint32_t minor = 0;

	if (used == NULL)
		return 0;
	for (size_t index = 0; index < count; index++) {
		struct group_cap cap;

		if (bpf_map_lookup_elem(meter->map_fds[GROUP_METER_MAP_GROUP_CAPS], &groups[index], &cap) == 0 &&
		    (cap.class_id >> 16) == METER_HTB_MAJOR)
			used[cap.class_id & 0xFFFF] = 1;
	}
	for (uint32_t candidate = 1; candidate <= HTB_MINOR_LAST; candidate++) {
		if (!used[candidate]) {
			minor = candidate;
			break;
		}
	}
	free(used);
	return minor;
}

/* Makes sure htb ca:0 is the root; *created_now tells whether we made it. */
static int ensure_htb_root(uint32_t ifindex, const char *interface, bool *created_now, struct meter_error *error)
{
	struct tc_root_qdisc root;
	int result = tc_inspect_root(ifindex, &root, error);

	*created_now = false;
	if (result < 0 || root.is_ours)
		return result;
	if (root.present && !root.is_default)
		return meter_error_set(error, -EBUSY,
				       "cap unavailable: %s has root qdisc %s (handle %x:) that cascade did not create; "
				       "remove it ('tc qdisc del dev %s root') or use fq",
				       interface, root.kind, root.handle >> 16, interface);
	result = tc_htb_root_create(ifindex, error);
	if (result == 0)
		*created_now = true;
	return result;
}

static int attached_interface(struct group_meter *meter, struct meter_config *config, char *interface,
			      struct meter_error *error)
{
	int result = group_meter_config_read(meter, config, error);

	if (result < 0)
		return result;
	if (!(config->flags & METER_CONFIG_ATTACHED))
		return meter_error_set(error, -ENOENT, "not attached: run 'cascade-meter attach --interface IF' first");
	if (if_indextoname(config->ifindex, interface) == NULL)
		return meter_error_set(error, -ENODEV,
				       "interface missing: the meter's interface (ifindex %u) is gone; attach again",
				       config->ifindex);
	return 0;
}

int group_meter_set_cap(struct group_meter *meter, uint32_t group, uint64_t rate_bytes_per_second,
			 struct meter_error *error)
{
	int caps_fd = meter->map_fds[GROUP_METER_MAP_GROUP_CAPS];
	struct meter_config config, updated;
	struct group_cap existing, cap = { 0 };
	char interface[IF_NAMESIZE];
	bool had_cap, root_created = false, class_created = false;
	int result = check_group(group, error);

	if (result < 0)
		return result;
	if (rate_bytes_per_second < METER_RATE_MINIMUM || rate_bytes_per_second > METER_RATE_MAXIMUM)
		return meter_error_set(error, -ERANGE, "bad rate: caps are 8kbit..100gbit");
	if ((result = attached_interface(meter, &config, interface, error)) < 0)
		return result;
	had_cap = bpf_map_lookup_elem(caps_fd, &group, &existing) == 0;
	if (!had_cap) {
		uint32_t groups[METER_MAX_CAPS];

		if (collect_groups(caps_fd, groups, METER_MAX_CAPS) >= METER_MAX_CAPS)
			return meter_error_set(error, -ENOSPC,
					       "map full: group_caps holds its maximum of %d caps; clear unused ones with "
					       "'cascade-meter cap clear GROUP'",
					       METER_MAX_CAPS);
	}
	cap.rate_bytes_per_second = rate_bytes_per_second;
	cap.shaper_bytes_per_second = meter_shaper_rate(rate_bytes_per_second, config.mtu, config.l2_header_bytes);
	updated = config;

	struct tc_root_qdisc root;

	if ((result = tc_inspect_root(config.ifindex, &root, error)) < 0)
		return result;
	if (root.is_fq) {
		updated.shaper = METER_SHAPER_EDT;
	} else {
		updated.shaper = METER_SHAPER_HTB;
		if ((result = ensure_htb_root(config.ifindex, interface, &root_created, error)) < 0)
			return result;
		if (root_created)
			updated.flags |= METER_CONFIG_CREATED_ROOT;
		if (had_cap && (existing.class_id >> 16) == METER_HTB_MAJOR) {
			cap.class_id = existing.class_id;
		} else {
			uint32_t minor = free_class_minor(meter);

			if (minor == 0) {
				result = meter_error_set(error, -ENOSPC, "map full: no free htb class left");
				goto rollback;
			}
			cap.class_id = HTB_CLASS_ID(minor);
			class_created = true;
		}
		result = tc_htb_class_set(config.ifindex, cap.class_id, cap.shaper_bytes_per_second,
					  config.mtu + config.l2_header_bytes, error);
		if (result < 0) {
			class_created = false;
			goto rollback;
		}
	}
	if ((result = group_meter_config_write(meter, &updated, error)) < 0)
		goto rollback;
	if (bpf_map_update_elem(caps_fd, &group, &cap, BPF_ANY) < 0) {
		result = meter_error_set(error, -errno, "cannot write group_caps: %s", strerror(errno));
		group_meter_config_write(meter, &config, NULL);
		goto rollback;
	}
	return 0;
rollback:
	if (class_created)
		tc_htb_class_delete(config.ifindex, cap.class_id, NULL);
	else if (had_cap && cap.class_id != 0 && existing.class_id == cap.class_id)
		tc_htb_class_set(config.ifindex, existing.class_id, existing.shaper_bytes_per_second,
				 config.mtu + config.l2_header_bytes, NULL);
	if (root_created)
		tc_htb_root_delete(config.ifindex, NULL);
	return result;
}

int group_meter_clear_cap(struct group_meter *meter, uint32_t group, struct meter_error *error)
{
	int caps_fd = meter->map_fds[GROUP_METER_MAP_GROUP_CAPS];
	struct group_cap existing;
	struct meter_config config;
	uint32_t remaining[1];
	int result = check_group(group, error);

	if (result < 0 || (result = group_meter_config_read(meter, &config, error)) < 0)
		return result;
	if (bpf_map_lookup_elem(caps_fd, &group, &existing) < 0)
		return meter_error_set(error, -ENOENT, "group %u has no cap", group);
	/* The program stops steering first, then the class goes. */
	if (bpf_map_delete_elem(caps_fd, &group) < 0)
		return meter_error_set(error, -errno, "cannot remove the cap of group %u: %s", group, strerror(errno));
	bpf_map_delete_elem(meter->map_fds[GROUP_METER_MAP_GROUP_PACING], &group);
	if (!group_meter_interface_present(config.ifindex))
		return 0;
	if ((existing.class_id >> 16) == METER_HTB_MAJOR &&
	    (result = tc_htb_class_delete(config.ifindex, existing.class_id, error)) < 0)
		return result;
	if (collect_groups(caps_fd, remaining, 1) == 0 && (config.flags & METER_CONFIG_CREATED_ROOT)) {
		struct tc_root_qdisc root;

		if (tc_inspect_root(config.ifindex, &root, NULL) == 0 && root.is_ours &&
		    (result = tc_htb_root_delete(config.ifindex, error)) < 0)
			return result;
		config.flags &= ~METER_CONFIG_CREATED_ROOT;
		return group_meter_config_write(meter, &config, error);
	}
	return 0;
}

int group_meter_caps_reapply(struct group_meter *meter, struct meter_error *error)
{
	uint32_t *groups = calloc(METER_MAX_CAPS, sizeof(*groups));
	size_t count;
	int result = 0;

	if (groups == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	count = collect_groups(meter->map_fds[GROUP_METER_MAP_GROUP_CAPS], groups, METER_MAX_CAPS);
	for (size_t index = 0; index < count && result == 0; index++) {
		struct group_cap cap;

		if (bpf_map_lookup_elem(meter->map_fds[GROUP_METER_MAP_GROUP_CAPS], &groups[index], &cap) == 0)
			result = group_meter_set_cap(meter, groups[index], cap.rate_bytes_per_second, error);
	}
	free(groups);
	return result;
}

/* The shaper's drop counters for one read of the meter: the interface is
 * checked and its classes dumped once, on the first capped group. */
struct shaper_drops {
	uint32_t ifindex;
	bool tried;
	struct tc_class_snapshot *classes;
};

static bool shaper_class_drops(struct shaper_drops *shaper, uint32_t class_id, uint64_t *drops)
{
	if (!shaper->tried) {
		shaper->tried = true;
		if (!group_meter_interface_present(shaper->ifindex) ||
		    tc_class_snapshot_take(shaper->ifindex, &shaper->classes) < 0)
			shaper->classes = NULL;
	}
	return shaper->classes != NULL && tc_class_snapshot_drops(shaper->classes, class_id, drops) == 0;
}

static void fill_totals(struct group_meter *meter, struct shaper_drops *shaper, uint32_t group,
			struct group_meter_totals *totals)
{
	unsigned long long sums[4] = { 0, 0, 0, 0 };
	struct group_cap cap;

	memset(totals, 0, sizeof(*totals));
	totals->group = group;
	if (meter_sum_percpu(meter->map_fds[GROUP_METER_MAP_GROUP_STATS], &group, sums, 4) == 0) {
		totals->bytes = sums[0];
		totals->packets = sums[1];
		totals->dropped_bytes = sums[2];
		totals->dropped_packets = sums[3];
	}
	if (bpf_map_lookup_elem(meter->map_fds[GROUP_METER_MAP_GROUP_CAPS], &group, &cap) == 0) {
		uint64_t drops = 0;

		totals->cap_bytes_per_second = cap.rate_bytes_per_second;
		if ((cap.class_id >> 16) == METER_HTB_MAJOR && shaper_class_drops(shaper, cap.class_id, &drops))
			totals->shaper_dropped_packets = drops;
	}
}

int group_meter_read_group(struct group_meter *meter, uint32_t group, struct group_meter_totals *totals,
			    struct meter_error *error)
{
	struct meter_config config;
	struct shaper_drops shaper = { 0 };
	int result = group_meter_config_read(meter, &config, error);

	if (result < 0)
		return result;
	if (group > METER_GROUP_MAX)
		return meter_error_set(error, -ERANGE, "bad group %u", group);
	shaper.ifindex = config.ifindex;
	fill_totals(meter, &shaper, group, totals);
	tc_class_snapshot_free(shaper.classes);
	return 0;
}

int group_meter_read(struct group_meter *meter, struct group_meter_totals *totals, size_t capacity,
		      size_t *count, struct meter_error *error)
{
	size_t limit = METER_MAX_GROUPS + METER_MAX_CAPS, found, unique = 0;
	uint32_t *groups = calloc(limit, sizeof(*groups));
	struct meter_config config;
	struct shaper_drops shaper = { 0 };
	int result;

	if (groups == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	if ((result = group_meter_config_read(meter, &config, error)) < 0)
		goto out;
	shaper.ifindex = config.ifindex;
	found = collect_groups(meter->map_fds[GROUP_METER_MAP_GROUP_STATS], groups, METER_MAX_GROUPS);
	found += collect_groups(meter->map_fds[GROUP_METER_MAP_GROUP_CAPS], groups + found, METER_MAX_CAPS);
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
