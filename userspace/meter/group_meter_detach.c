/* The group egress meter's detach (under the pin directory's exclusive
 * lock: take away exactly what this meter put there, the pins on request),
 * the ports it forgets, and the pins of the layout before the cascade_
 * names, which attach refuses and detach --unpin removes. */
#include "meter/group_meter_internal.h"
#include "meter/meter_objects.h"
#include "meter/tc_hook.h"
#include "meter/tc_netlink.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Pins of the layout before the "cascade_" names: refused on attach, removed
 * by detach --unpin. Their filter ran a program named group_egress. */
static const char *const legacy_pins[] = {
	"group_stats", "prefix_v4", "prefix_v6", "group_caps", "group_pacing", "meter_config", "meter_events",
	"cpu_busy", "cpu_meter",
};
#define LEGACY_PROGRAM_NAME "group_egress"

bool group_meter_legacy_present(const char *pin_dir)
{
	char path[512];

	for (size_t index = 0; index < sizeof(legacy_pins) / sizeof(legacy_pins[0]); index++) {
		if (meter_pin_path(pin_dir, legacy_pins[index], path, sizeof(path)) == 0 && access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/* An older build's meter: its filter (handle and pref 0xca5, program
 * group_egress) goes with its pins; nothing else of it is touched. */
static void remove_legacy(const char *pin_dir)
{
	char path[512];
	int fd;

	if (meter_pin_path(pin_dir, "meter_config", path, sizeof(path)) == 0 && (fd = bpf_obj_get(path)) >= 0) {
		struct bpf_map_info info;
		__u32 length = sizeof(info), zero = 0, words[64];

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0 && info.value_size <= sizeof(words) &&
		    bpf_map_lookup_elem(fd, &zero, words) == 0 && group_meter_interface_present(words[0])) {
			uint32_t program_id = 0;
			char name[16] = "";
			uint32_t ids[8], count = 0;

			struct tc_root_qdisc root;

			if (tc_hook_query(words[0], METER_TC_FIRST_PRIORITY, &program_id) == 0 &&
			    meter_program_maps(program_id, name, ids, 8, &count) == 0 &&
			    strcmp(name, LEGACY_PROGRAM_NAME) == 0)
				tc_hook_detach(words[0], METER_TC_FIRST_PRIORITY, NULL);
			/* Its flags (4th word): 2 made the htb root, 1 made clsact. */
			if ((words[3] & METER_CONFIG_CREATED_ROOT) && tc_inspect_root(words[0], &root, NULL) == 0 &&
			    root.is_ours)
				tc_htb_root_delete(words[0], NULL);
			if (words[3] & METER_CONFIG_CREATED_CLSACT)
				tc_hook_destroy_if_unused(words[0], NULL);
		}
		close(fd);
	}
	for (size_t index = 0; index < sizeof(legacy_pins) / sizeof(legacy_pins[0]); index++)
		meter_unpin(pin_dir, legacy_pins[index]);
}

void group_meter_unpin_all(const char *pin_dir)
{
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++)
		meter_unpin(pin_dir, group_meter_map_names[index]);
	meter_pin_dir_remove_if_empty(pin_dir);   /* the CPU meter may share it */
}

/* Removes the filters of ours on the hook (a filter at our priority that
 * runs someone else's program stays). */
static int remove_filters(struct group_meter *meter, const struct group_meter_config *config,
			  struct meter_error *error)
{
	struct group_meter_filter filters[GROUP_METER_FILTERS_MAX];
	size_t count = 0;
	int result = group_meter_filters(config->ifindex, meter_map_id(meter->map_fds[GROUP_METER_MAP_CONFIG]), filters,
					 GROUP_METER_FILTERS_MAX, &count, error);

	for (size_t index = 0; index < count && result == 0; index++) {
		if (filters[index].ours)
			result = tc_hook_detach(config->ifindex, filters[index].tc_priority, error);
	}
	return result;
}

static int detach_locked(struct group_meter *meter, bool unpin, struct meter_error *error)
{
	struct group_meter_config config;
	int result = group_meter_config_read(meter, &config, error);

	if (result < 0 || (result = group_meter_check_namespace(meter, &config, error)) < 0)
		return result;
	if ((config.netns_inode == 0 || config.netns_inode == meter_netns_inode()) &&
	    group_meter_interface_present(config.ifindex)) {
		if (config.flags & METER_CONFIG_CREATED_ROOT) {
			struct tc_root_qdisc root;

			if (tc_inspect_root(config.ifindex, &root, NULL) == 0 && root.is_ours &&
			    (result = tc_htb_root_delete(config.ifindex, error)) < 0)
				return result;
		}
		if ((result = remove_filters(meter, &config, error)) < 0)
			return result;
		if ((config.flags & METER_CONFIG_CREATED_CLSACT) &&
		    (result = tc_hook_destroy_if_unused(config.ifindex, error)) < 0)
			return result;
	}
	config.flags = 0;
	config.port_count = 0;
	config.program_id = 0;
	memset(config.ports, 0, sizeof(config.ports));
	if (!unpin)
		return group_meter_config_write(meter, &config, error);
	group_meter_unpin_all(meter->pin_dir);
	return 0;
}

int group_meter_detach(struct group_meter *meter, bool unpin, struct meter_error *error)
{
	int lock_fd = -1, result = group_meter_lock(meter, &lock_fd, error);

	if (result < 0)
		return result;
	result = detach_locked(meter, unpin, error);
	if (result == 0 && unpin)
		remove_legacy(meter->pin_dir);
	meter_pin_dir_unlock(lock_fd);
	return result;
}

int group_meter_remove_leftovers(const char *pin_dir, struct meter_error *error)
{
	int lock_fd = -1, result = meter_pin_dir_lock(meter_pin_dir(pin_dir), true, false, &lock_fd, error);

	if (result < 0)
		return result;
	remove_legacy(meter_pin_dir(pin_dir));
	group_meter_unpin_all(meter_pin_dir(pin_dir));
	meter_pin_dir_unlock(lock_fd);
	return 0;
}

int group_meter_remove_port(struct group_meter *meter, uint16_t port, struct meter_error *error)
{
	struct group_meter_config config;
	uint32_t kept = 0;
	bool found = false;
	int lock_fd = -1, result = group_meter_lock(meter, &lock_fd, error);

	if (result < 0)
		return result;
	if ((result = group_meter_config_read(meter, &config, error)) < 0)
		goto out;
	for (uint32_t index = 0; index < config.port_count && index < METER_MAX_PORTS; index++) {
		if (config.ports[index] == port)
			found = true;
		else
			config.ports[kept++] = config.ports[index];
	}
	if (!found) {
		result = meter_error_set(error, -ENOENT, "port %u is not registered under %s", port, meter->pin_dir);
		goto out;
	}
	if (kept == 0) {
		result = meter_error_set(error, -EINVAL,
					 "port %u is the last one: without ports the meter counts every packet; "
					 "detach instead, or register another port first", port);
		goto out;
	}
	config.ports[kept] = 0;
	config.port_count = kept;
	result = group_meter_config_write(meter, &config, error);
out:
	meter_pin_dir_unlock(lock_fd);
	return result;
}
