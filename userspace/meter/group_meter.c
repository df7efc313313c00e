/* The group egress meter as any process opens it: its pinned maps, its
 * configuration, the checks every change makes (lock, network namespace,
 * is our program still the one running), and the status `show` reports,
 * read from the kernel as it is now. Attach and detach: group_meter_attach.c. */
#include "meter/group_meter_internal.h"
#include "meter/meter_objects.h"
#include "meter/tc_hook.h"
#include "meter/tc_netlink.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const group_meter_map_names[GROUP_METER_MAP_COUNT] = {
	[GROUP_METER_MAP_STATS] = "cascade_stats",
	[GROUP_METER_MAP_PREFIX4] = "cascade_prefix4",
	[GROUP_METER_MAP_PREFIX6] = "cascade_prefix6",
	[GROUP_METER_MAP_CAPS] = "cascade_caps",
	[GROUP_METER_MAP_PACING] = "cascade_pacing",
	[GROUP_METER_MAP_CONFIG] = "cascade_config",
	[GROUP_METER_MAP_EVENTS] = "cascade_events",
};

const char *group_meter_map_name(unsigned int index)
{
	return index < GROUP_METER_MAP_COUNT ? group_meter_map_names[index] : "?";
}

const char *group_meter_shaper_state_name(enum group_meter_shaper_state state)
{
	switch (state) {
	case GROUP_METER_SHAPER_ENFORCING: return "enforcing";
	case GROUP_METER_SHAPER_ROOT_MISSING: return "root_missing";
	case GROUP_METER_SHAPER_UNAVAILABLE: return "unavailable";
	default: return "idle";
	}
}

const char *group_meter_pin_dir(const struct group_meter *meter)
{
	return meter->pin_dir;
}

int group_meter_config_read(struct group_meter *meter, struct group_meter_config *config,
			    struct meter_error *error)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(meter->map_fds[GROUP_METER_MAP_CONFIG], &zero, config) < 0)
		return meter_error_set(error, -errno, "cannot read cascade_config: %s", strerror(errno));
	return 0;
}

int group_meter_config_write(struct group_meter *meter, const struct group_meter_config *config,
			     struct meter_error *error)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(meter->map_fds[GROUP_METER_MAP_CONFIG], &zero, config, BPF_ANY) < 0)
		return meter_error_set(error, -errno, "cannot write cascade_config: %s", strerror(errno));
	return 0;
}

bool group_meter_interface_present(uint32_t ifindex)
{
	char name[IF_NAMESIZE];

	return ifindex != 0 && if_indextoname(ifindex, name) != NULL;
}

bool group_meter_program_alive(struct group_meter *meter, const struct group_meter_config *config)
{
	return (config->flags & METER_CONFIG_ATTACHED) &&
	       meter_program_uses_map(config->program_id, meter_map_id(meter->map_fds[GROUP_METER_MAP_CONFIG]));
}

int group_meter_check_namespace(struct group_meter *meter, const struct group_meter_config *config,
				struct meter_error *error)
{
	uint64_t here = meter_netns_inode();

	if (config->netns_inode == 0 || here == 0 || config->netns_inode == here ||
	    !group_meter_program_alive(meter, config))
		return 0;
	return meter_error_set(error, -EXDEV,
			       "wrong network namespace: the meter pinned at %s counts on %s in network namespace "
			       "net:[%llu], this process runs in net:[%llu]; run it there (nsenter --net=/run/netns/NAME, "
			       "not 'ip netns exec', which hides bpffs)",
			       meter->pin_dir, config->interface, (unsigned long long)config->netns_inode,
			       (unsigned long long)here);
}

int group_meter_lock(struct group_meter *meter, int *lock_fd, struct meter_error *error)
{
	return meter_pin_dir_lock(meter->pin_dir, true, false, lock_fd, error);
}

static void close_maps(struct group_meter *meter)
{
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++) {
		if (meter->map_fds[index] >= 0)
			close(meter->map_fds[index]);
		meter->map_fds[index] = -1;
	}
}

int group_meter_open(const char *pin_dir, struct group_meter **meter_out, struct meter_error *error)
{
	struct group_meter *meter = calloc(1, sizeof(*meter));
	int lock_fd = -1, result;

	if (meter == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	meter_route_libbpf_logs();
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++)
		meter->map_fds[index] = -1;
	if (strlen(meter_pin_dir(pin_dir)) >= sizeof(meter->pin_dir)) {
		result = meter_error_set(error, -ENAMETOOLONG, "pin directory name too long (at most %d characters)",
					 METER_PIN_DIR_SIZE - 1);
		goto fail;
	}
	snprintf(meter->pin_dir, sizeof(meter->pin_dir), "%s", meter_pin_dir(pin_dir));
	/* Shared: an attach in progress finishes before we look. */
	if ((result = meter_pin_dir_lock(meter->pin_dir, false, false, &lock_fd, error)) < 0)
		goto fail;
	for (int index = 0; index < GROUP_METER_MAP_COUNT && result == 0; index++)
		result = meter_open_pinned(meter->pin_dir, group_meter_map_names[index], &meter->map_fds[index], error);
	meter_pin_dir_unlock(lock_fd);
	if (result == 0)
		result = group_meter_check_layout(meter, error);
	if (result < 0)
		goto fail;
	*meter_out = meter;
	return 0;
fail:
	close_maps(meter);
	free(meter);
	return result;
}

void group_meter_close(struct group_meter *meter)
{
	if (meter == NULL)
		return;
	close_maps(meter);
	free(meter);
}

/* Entries of a hash map keyed by group, bounded by its capacity. */
size_t group_meter_collect_groups(int fd, uint32_t *groups, size_t capacity)
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

uint32_t group_meter_count_groups(int fd)
{
	uint32_t limit = meter_map_capacity(fd), count = 0;
	__u32 key, next, *previous = NULL;

	while (count < limit && bpf_map_get_next_key(fd, previous, &next) == 0) {
		count++;
		key = next;
		previous = &key;
	}
	return count;
}

int group_meter_check_layout(const struct group_meter *meter, struct meter_error *error)
{
	static const uint32_t value_sizes[GROUP_METER_MAP_COUNT] = {
		[GROUP_METER_MAP_STATS] = sizeof(struct group_meter_counters),
		[GROUP_METER_MAP_PREFIX4] = sizeof(__u32),
		[GROUP_METER_MAP_PREFIX6] = sizeof(__u32),
		[GROUP_METER_MAP_CAPS] = sizeof(struct group_cap),
		[GROUP_METER_MAP_PACING] = sizeof(struct group_pacing),
		[GROUP_METER_MAP_CONFIG] = sizeof(struct group_meter_config),
		[GROUP_METER_MAP_EVENTS] = sizeof(struct group_meter_events),
	};

	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++) {
		struct bpf_map_info info;
		__u32 length = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(meter->map_fds[index], &info, &length) < 0 ||
		    info.value_size != value_sizes[index])
			return meter_error_set(error, -ESTALE,
					       "the maps pinned under %s do not match this build (%s); run "
					       "'cascade-meter --bpf-pin-dir %s detach --unpin' and attach again",
					       meter->pin_dir, group_meter_map_names[index], meter->pin_dir);
	}
	return 0;
}

/* Is our filter on the hook, running a program that uses our maps? */
static void check_filter(struct group_meter *meter, const struct group_meter_config *config,
			 struct group_meter_status *status)
{
	uint32_t program_id = 0;

	if (!(config->flags & METER_CONFIG_ATTACHED)) {
		snprintf(status->problem, sizeof(status->problem),
			 "detached: attach again (or restart the server) to count");
		return;
	}
	if (!status->same_namespace) {
		status->attached = group_meter_program_alive(meter, config);
		snprintf(status->problem, sizeof(status->problem),
			 "attached in another network namespace (net:[%llu]); run cascade-meter there",
			 (unsigned long long)config->netns_inode);
		return;
	}
	if (status->interface[0] == '\0') {
		snprintf(status->problem, sizeof(status->problem), "interface %s (ifindex %u) is gone", config->interface,
			 config->ifindex);
		return;
	}
	if (tc_hook_query(config->ifindex, config->tc_priority, &program_id) < 0) {
		snprintf(status->problem, sizeof(status->problem),
			 "our tc filter (pref %u) is gone from %s; attach again", config->tc_priority,
			 status->interface);
		return;
	}
	status->program_id = program_id;
	if (!meter_program_uses_map(program_id, status->map_ids[GROUP_METER_MAP_CONFIG])) {
		snprintf(status->problem, sizeof(status->problem),
			 "pref %u on %s runs program %u, not ours; attach again", config->tc_priority,
			 status->interface, program_id);
		return;
	}
	status->attached = true;
}

static void check_shaper(const struct group_meter_config *config, struct group_meter_status *status)
{
	struct tc_root_qdisc root;

	status->shaper = METER_SHAPER_NONE;
	if (status->interface[0] == '\0' || !status->same_namespace ||
	    tc_inspect_root(config->ifindex, &root, NULL) < 0) {
		status->shaper_state = status->cap_count ? GROUP_METER_SHAPER_ROOT_MISSING : GROUP_METER_SHAPER_IDLE;
		return;
	}
	if (root.is_ours)
		snprintf(status->root_qdisc, sizeof(status->root_qdisc), "htb ca:");
	else if (root.present && !root.is_default)
		snprintf(status->root_qdisc, sizeof(status->root_qdisc), "%s %x:", root.kind, root.handle >> 16);
	else
		snprintf(status->root_qdisc, sizeof(status->root_qdisc), "%s", root.present ? root.kind : "none");
	if (root.is_fq)
		status->shaper = METER_SHAPER_EDT;
	else if (root.is_ours)
		status->shaper = METER_SHAPER_HTB;
	if (status->cap_count == 0)
		status->shaper_state = root.is_fq || root.is_ours || root.is_default || !root.present
					       ? GROUP_METER_SHAPER_IDLE
					       : GROUP_METER_SHAPER_UNAVAILABLE;
	else if (status->shaper != METER_SHAPER_NONE)
		status->shaper_state = GROUP_METER_SHAPER_ENFORCING;
	else if (root.present && !root.is_default)
		status->shaper_state = GROUP_METER_SHAPER_UNAVAILABLE;
	else
		status->shaper_state = GROUP_METER_SHAPER_ROOT_MISSING;
}

static void list_others(const struct group_meter_config *config, struct group_meter_status *status)
{
	struct group_meter_filter filters[GROUP_METER_FILTERS_MAX];
	size_t count = 0;

	if (status->interface[0] == '\0' || !status->same_namespace ||
	    group_meter_filters(config->ifindex, status->map_ids[GROUP_METER_MAP_CONFIG], filters,
				GROUP_METER_FILTERS_MAX, &count, NULL) < 0)
		return;
	for (size_t index = 0; index < count && status->other_count < GROUP_METER_OTHERS_MAX; index++) {
		struct group_meter_other *other = &status->others[status->other_count];

		if (filters[index].ours || (!filters[index].cascade && strcmp(filters[index].program_name, "group_egress") != 0))
			continue;
		snprintf(other->pin_dir, sizeof(other->pin_dir), "%s",
			 filters[index].has_config ? filters[index].config.pin_dir : "(an older cascade build)");
		other->tc_priority = filters[index].tc_priority;
		other->program_id = filters[index].program_id;
		other->cap_count = filters[index].cap_count;
		status->other_count++;
	}
}

int group_meter_get_status(struct group_meter *meter, struct group_meter_status *status,
			   struct meter_error *error)
{
	struct group_meter_config config;
	unsigned long long events[2] = { 0, 0 };
	__u32 zero = 0;
	int result = group_meter_config_read(meter, &config, error);

	if (result < 0)
		return result;
	memset(status, 0, sizeof(*status));
	snprintf(status->pin_dir, sizeof(status->pin_dir), "%s", meter->pin_dir);
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++)
		status->map_ids[index] = meter_map_id(meter->map_fds[index]);
	status->ifindex = config.ifindex;
	snprintf(status->attached_interface, sizeof(status->attached_interface), "%s", config.interface);
	status->netns_inode = config.netns_inode;
	status->same_namespace = config.netns_inode == 0 || config.netns_inode == meter_netns_inode();
	if (!status->same_namespace || config.ifindex == 0 || if_indextoname(config.ifindex, status->interface) == NULL)
		status->interface[0] = '\0';
	status->tc_priority = config.tc_priority;
	status->tc_handle = config.tc_handle;
	status->flags = config.flags;
	status->mtu = config.mtu;
	status->port_count = config.port_count;
	for (uint32_t index = 0; index < config.port_count && index < METER_MAX_PORTS; index++)
		status->ports[index] = config.ports[index];
	status->prefix_capacity = meter_map_capacity(meter->map_fds[GROUP_METER_MAP_PREFIX4]);
	if (meter_sum_percpu(meter->map_fds[GROUP_METER_MAP_EVENTS], &zero, events, 2) == 0) {
		status->group_table_full = events[0];
		status->pacing_table_full = events[1];
	}
	status->cap_count = group_meter_count_groups(meter->map_fds[GROUP_METER_MAP_CAPS]);
	check_filter(meter, &config, status);
	check_shaper(&config, status);
	list_others(&config, status);
	return 0;
}
