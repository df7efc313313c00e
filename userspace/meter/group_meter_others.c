/* Whose filters sit on an interface's clsact egress hook: for each bpf
 * filter, the program it runs and, for a cascade meter, that meter's pinned
 * configuration (read through the program's own cascade_config map), so a
 * meter can tell its own filter from another pin directory's, name that
 * other meter's owner, and keep caps to one meter per interface. */
#include "meter/group_meter_internal.h"
#include "meter/meter_objects.h"
#include "meter/tc_hook.h"
#include "meter/tc_netlink.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM_MAPS_MAX 64

/* Reads the cascade_config and counts the cascade_caps of a program. */
static void describe_program(struct group_meter_filter *filter, uint32_t own_config_map_id)
{
	uint32_t map_ids[PROGRAM_MAPS_MAX], count = 0;

	if (meter_program_maps(filter->program_id, filter->program_name, map_ids, PROGRAM_MAPS_MAX, &count) < 0)
		return;
	filter->cascade = strcmp(filter->program_name, GROUP_METER_PROGRAM_NAME) == 0;
	for (uint32_t index = 0; index < count && index < PROGRAM_MAPS_MAX; index++) {
		struct bpf_map_info info;
		__u32 length = sizeof(info);
		int fd = bpf_map_get_fd_by_id(map_ids[index]);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0) {
			__u32 zero = 0;

			if (strcmp(info.name, group_meter_map_names[GROUP_METER_MAP_CONFIG]) == 0) {
				filter->ours = info.id == own_config_map_id;
				filter->has_config = info.value_size == sizeof(filter->config) &&
						     bpf_map_lookup_elem(fd, &zero, &filter->config) == 0;
			} else if (strcmp(info.name, group_meter_map_names[GROUP_METER_MAP_CAPS]) == 0) {
				filter->cap_count = group_meter_count_groups(fd);
			}
		}
		close(fd);
	}
}

int group_meter_filters(uint32_t ifindex, uint32_t own_config_map_id, struct group_meter_filter *filters,
			size_t capacity, size_t *count, struct meter_error *error)
{
	struct tc_filter_slot slots[GROUP_METER_FILTERS_MAX];
	size_t found = 0;
	int result = tc_egress_filters(ifindex, slots, GROUP_METER_FILTERS_MAX, &found, error);

	*count = 0;
	if (result < 0)
		return result;
	for (size_t index = 0; index < found && index < GROUP_METER_FILTERS_MAX && *count < capacity; index++) {
		struct group_meter_filter *filter = &filters[*count];

		if (strcmp(slots[index].kind, "bpf") != 0 || slots[index].handle != slots[index].priority)
			continue;   /* not a filter a meter makes */
		memset(filter, 0, sizeof(*filter));
		filter->tc_priority = slots[index].priority;
		filter->tc_handle = slots[index].handle;
		if (tc_hook_query(ifindex, filter->tc_priority, &filter->program_id) < 0)
			continue;
		describe_program(filter, own_config_map_id);
		(*count)++;
	}
	return 0;
}

bool group_meter_other_caps_owner(uint32_t ifindex, uint32_t own_config_map_id, struct group_meter_filter *owner)
{
	struct group_meter_filter filters[GROUP_METER_FILTERS_MAX];
	size_t count = 0;

	if (group_meter_filters(ifindex, own_config_map_id, filters, GROUP_METER_FILTERS_MAX, &count, NULL) < 0)
		return false;
	for (size_t index = 0; index < count; index++) {
		if (filters[index].cascade && !filters[index].ours && filters[index].cap_count > 0) {
			*owner = filters[index];
			return true;
		}
	}
	return false;
}
