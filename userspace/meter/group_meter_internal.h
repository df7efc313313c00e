/* What the group egress meter's files share inside the library: the open
 * meter (one fd per pinned map) and access to its pinned configuration. */
#ifndef CASCADE_METER_GROUP_METER_INTERNAL_H
#define CASCADE_METER_GROUP_METER_INTERNAL_H

#include <stdbool.h>

#include "meter/group_meter.h"
#include "meter_types.h"

enum group_meter_map {
	GROUP_METER_MAP_GROUP_STATS,
	GROUP_METER_MAP_PREFIX_V4,
	GROUP_METER_MAP_PREFIX_V6,
	GROUP_METER_MAP_GROUP_CAPS,
	GROUP_METER_MAP_GROUP_PACING,
	GROUP_METER_MAP_CONFIG,
	GROUP_METER_MAP_EVENTS,
	GROUP_METER_MAP_COUNT,
};

/* Pin names, the same as the map names in bpf/group_meter.bpf.c. */
extern const char *const group_meter_map_names[GROUP_METER_MAP_COUNT];

struct group_meter {
	char pin_dir[256];
	int map_fds[GROUP_METER_MAP_COUNT];
};

int group_meter_config_read(struct group_meter *meter, struct meter_config *config, struct meter_error *error);
int group_meter_config_write(struct group_meter *meter, const struct meter_config *config, struct meter_error *error);
/* The configured interface still exists in this network namespace. */
bool group_meter_interface_present(uint32_t ifindex);
/* Puts the htb root and classes back for the caps in the pins (after a
 * restart or when the interface was recreated). */
int group_meter_caps_reapply(struct group_meter *meter, struct meter_error *error);

#endif
