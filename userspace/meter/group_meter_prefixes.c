/* The group egress meter's destination prefixes: prefix -> group in the
 * cascade_prefix4 / cascade_prefix6 LPM tries (one map update each, so no
 * lock: the kernel makes every update atomic). */
#include "meter/group_meter_internal.h"
#include "meter/meter_objects.h"
#include "meter/meter_values.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

int group_meter_check_group(uint32_t group, struct meter_error *error)
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
	int map;

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
		map = GROUP_METER_MAP_PREFIX4;
	} else {
		struct prefix_v6_key *v6 = key;

		v6->prefixlen = prefix.length;
		memcpy(v6->address, prefix.address, 16);
		map = GROUP_METER_MAP_PREFIX6;
	}
	*fd = meter->map_fds[map];
	*map_name = group_meter_map_names[map];
	return 0;
}

int group_meter_set_prefix(struct group_meter *meter, const char *prefix, uint32_t group,
			   struct meter_error *error)
{
	struct prefix_v6_key key;   /* large enough for either family */
	const char *map_name;
	__u32 value = group;
	int fd, result = group_meter_check_group(group, error);

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
	append_prefixes(meter->map_fds[GROUP_METER_MAP_PREFIX4], 4, entries, capacity, count);
	append_prefixes(meter->map_fds[GROUP_METER_MAP_PREFIX6], 6, entries, capacity, count);
	return 0;
}
