/* What the group egress meter's files share inside the library: the open
 * meter (one fd per pinned map) and access to its pinned configuration. */
#ifndef CASCADE_METER_EGRESS_METER_INTERNAL_H
#define CASCADE_METER_EGRESS_METER_INTERNAL_H

#include <stdbool.h>

#include "meter/egress_meter.h"
#include "meter_types.h"

enum egress_map {
	EGRESS_MAP_GROUP_STATS,
	EGRESS_MAP_PREFIX_V4,
	EGRESS_MAP_PREFIX_V6,
	EGRESS_MAP_GROUP_CAPS,
	EGRESS_MAP_GROUP_PACING,
	EGRESS_MAP_CONFIG,
	EGRESS_MAP_EVENTS,
	EGRESS_MAP_COUNT,
};

/* Pin names, the same as the map names in bpf/group_meter.bpf.c. */
extern const char *const egress_map_names[EGRESS_MAP_COUNT];

struct egress_meter {
	char pin_dir[256];
	int map_fds[EGRESS_MAP_COUNT];
};

int egress_config_read(struct egress_meter *meter, struct meter_config *config, struct meter_error *error);
int egress_config_write(struct egress_meter *meter, const struct meter_config *config, struct meter_error *error);
/* The configured interface still exists in this network namespace. */
bool egress_interface_present(uint32_t ifindex);
/* Puts the htb root and classes back for the caps in the pins (after a
 * restart or when the interface was recreated). */
int egress_caps_reapply(struct egress_meter *meter, struct meter_error *error);

#endif
