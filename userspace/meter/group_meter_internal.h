/* What the group egress meter's files share inside the library: the open
 * meter (one fd per pinned map), its pinned configuration, the pin
 * directory's lock as the files take it, and the other filters on the hook. */
#ifndef CASCADE_METER_GROUP_METER_INTERNAL_H
#define CASCADE_METER_GROUP_METER_INTERNAL_H

#include <stdbool.h>

#include "meter/group_meter.h"
#include "meter_types.h"

enum group_meter_map {
	GROUP_METER_MAP_STATS,
	GROUP_METER_MAP_PREFIX4,
	GROUP_METER_MAP_PREFIX6,
	GROUP_METER_MAP_CAPS,
	GROUP_METER_MAP_PACING,
	GROUP_METER_MAP_CONFIG,
	GROUP_METER_MAP_EVENTS,
	GROUP_METER_MAP_COUNT,
};

#define GROUP_METER_PROGRAM_NAME "cascade_egress"

/* Pin names, the same as the map names in bpf/group_meter.bpf.c. */
extern const char *const group_meter_map_names[GROUP_METER_MAP_COUNT];

struct group_meter {
	char pin_dir[METER_PIN_DIR_SIZE];
	int map_fds[GROUP_METER_MAP_COUNT];
};

int group_meter_config_read(struct group_meter *meter, struct group_meter_config *config,
			    struct meter_error *error);
int group_meter_config_write(struct group_meter *meter, const struct group_meter_config *config,
			     struct meter_error *error);
/* The configured interface still exists in this network namespace. */
bool group_meter_interface_present(uint32_t ifindex);
/* The program config names is loaded and runs on this meter's maps. */
bool group_meter_program_alive(struct group_meter *meter, const struct group_meter_config *config);
/* -EXDEV with a message naming both namespaces when the meter's filter
 * lives in another network namespace than this process. */
int group_meter_check_namespace(struct group_meter *meter, const struct group_meter_config *config,
				struct meter_error *error);
/* Takes the pin directory's lock exclusively for a change. */
int group_meter_lock(struct group_meter *meter, int *lock_fd, struct meter_error *error);

/* -ERANGE with a message unless 1 <= group <= METER_GROUP_MAX. */
int group_meter_check_group(uint32_t group, struct meter_error *error);
/* With the lock held: caps (group_meter_caps.c). */
int group_meter_set_cap_locked(struct group_meter *meter, uint32_t group, uint64_t rate_bytes_per_second,
			       struct meter_error *error);
/* Puts the htb root and classes back for the caps in the pins (after a
 * restart or when the interface was recreated). */
int group_meter_caps_reapply(struct group_meter *meter, struct meter_error *error);
/* Group ids in a hash map keyed by group; returns how many (at most capacity). */
size_t group_meter_collect_groups(int fd, uint32_t *groups, size_t capacity);
/* Entries in a hash map keyed by __u32 (bounded by its capacity). */
uint32_t group_meter_count_groups(int fd);
/* -ESTALE with a message when the maps pinned under pin_dir have another
 * layout than this build's (value sizes differ). */
int group_meter_check_layout(const struct group_meter *meter, struct meter_error *error);

/* Pins of an older build's layout are in pin_dir (group_meter_detach.c). */
bool group_meter_legacy_present(const char *pin_dir);
/* Removes every pin of the group meter, the exporter folder and, when
 * empty, the pin directory. */
void group_meter_unpin_all(const char *pin_dir);

/* A filter on the interface's clsact egress hook (group_meter_others.c). */
struct group_meter_filter {
	uint32_t tc_priority;
	uint32_t tc_handle;
	uint32_t program_id;
	char program_name[16];
	bool ours;                         /* runs on this meter's cascade_config */
	bool cascade;                      /* a cascade_egress program */
	bool has_config;                   /* its cascade_config could be read */
	struct group_meter_config config;
	uint32_t cap_count;                /* entries in its cascade_caps */
};
#define GROUP_METER_FILTERS_MAX 32
/* The bpf filters on ifindex's clsact egress hook (fills up to capacity). */
int group_meter_filters(uint32_t ifindex, uint32_t own_config_map_id, struct group_meter_filter *filters,
			size_t capacity, size_t *count, struct meter_error *error);
/* Another cascade meter on ifindex that holds caps; fills *owner. */
bool group_meter_other_caps_owner(uint32_t ifindex, uint32_t own_config_map_id, struct group_meter_filter *owner);

#endif
