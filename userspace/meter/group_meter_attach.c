/* The group egress meter's attach, under the pin directory's exclusive
 * lock: load the program on the pinned maps (libbpf reuses them, creates the
 * missing ones), register the server ports, and put the filter on clsact
 * egress at this meter's own priority (replacing our earlier filter in
 * place, never another meter's). Detach: group_meter_detach.c. */
#include "meter/group_meter_internal.h"
#include "meter/meter_objects.h"
#include "meter/meter_values.h"
#include "meter/tc_hook.h"
#include "meter/tc_netlink.h"
#include "common/log.h"
#include "group_meter.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define EDT_HORIZON_NS 2000000000ull   /* 2 s, like Cilium's bandwidth manager */

/* MTU and L2 header length of the interface (14 on Ethernet and loopback,
 * 0 on raw-IP devices such as tun or wireguard). */
static int interface_facts(const char *interface, uint32_t *mtu, uint32_t *l2_header_bytes,
			   struct meter_error *error)
{
	struct ifreq request;
	int result = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return meter_error_set(error, -errno, "cannot open a socket: %s", strerror(errno));
	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", interface);
	if (ioctl(fd, SIOCGIFMTU, &request) < 0) {
		result = meter_error_set(error, -errno, "cannot read the MTU of %s: %s", interface, strerror(errno));
		goto out;
	}
	*mtu = (uint32_t)request.ifr_mtu;
	if (ioctl(fd, SIOCGIFHWADDR, &request) < 0) {
		result = meter_error_set(error, -errno, "cannot read the link type of %s: %s", interface,
					 strerror(errno));
		goto out;
	}
	switch (request.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
	case ARPHRD_IEEE802:
		*l2_header_bytes = 14;
		break;
	default:
		*l2_header_bytes = 0;
	}
out:
	close(fd);
	return result;
}

/* Reads the configuration pinned by an earlier attach; -ENOENT when none,
 * -ESTALE when it has another layout (then loading will say so). */
static int read_pinned_config(const char *pin_dir, struct group_meter_config *config, uint32_t *map_id)
{
	struct bpf_map_info info;
	__u32 zero = 0, length = sizeof(info);
	char path[512];
	int fd, result = 0;

	if (meter_pin_path(pin_dir, group_meter_map_names[GROUP_METER_MAP_CONFIG], path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	memset(config, 0, sizeof(*config));
	if (bpf_obj_get_info_by_fd(fd, &info, &length) < 0 || info.value_size != sizeof(*config))
		result = -ESTALE;
	else if (bpf_map_lookup_elem(fd, &zero, config) < 0)
		result = -errno;
	*map_id = meter_map_id(fd);
	close(fd);
	return result;
}

/* max_entries of a pinned map, 0 when it is not pinned. */
static uint32_t pinned_max_entries(const char *pin_dir, const char *name)
{
	char path[512];
	uint32_t entries;
	int fd;

	if (meter_pin_path(pin_dir, name, path, sizeof(path)) < 0)
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	entries = meter_map_capacity(fd);
	close(fd);
	return entries;
}

/* Opens the skeleton with every map pinned under pin_dir and loads it. */
static int load_program(const char *pin_dir, uint32_t max_prefixes, struct group_meter_bpf **skeleton_out,
			struct meter_error *error)
{
	struct group_meter_bpf *skeleton = group_meter_bpf__open();
	struct bpf_map *maps[GROUP_METER_MAP_COUNT];
	char path[512];
	int result;

	if (skeleton == NULL)
		return meter_error_set(error, -errno ? -errno : -ENOMEM, "cannot open the group meter program: %s",
				       strerror(errno));
	maps[GROUP_METER_MAP_STATS] = skeleton->maps.cascade_stats;
	maps[GROUP_METER_MAP_PREFIX4] = skeleton->maps.cascade_prefix4;
	maps[GROUP_METER_MAP_PREFIX6] = skeleton->maps.cascade_prefix6;
	maps[GROUP_METER_MAP_CAPS] = skeleton->maps.cascade_caps;
	maps[GROUP_METER_MAP_PACING] = skeleton->maps.cascade_pacing;
	maps[GROUP_METER_MAP_CONFIG] = skeleton->maps.cascade_config;
	maps[GROUP_METER_MAP_EVENTS] = skeleton->maps.cascade_events;
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++) {
		meter_pin_path(pin_dir, group_meter_map_names[index], path, sizeof(path));
		bpf_map__set_pin_path(maps[index], path);
	}
	for (int index = GROUP_METER_MAP_PREFIX4; index <= GROUP_METER_MAP_PREFIX6; index++) {
		uint32_t entries = pinned_max_entries(pin_dir, group_meter_map_names[index]);

		if (entries == 0)
			entries = max_prefixes;
		if (entries != 0)
			bpf_map__set_max_entries(maps[index], entries);
	}
	result = group_meter_bpf__load(skeleton);
	if (result < 0) {
		group_meter_bpf__destroy(skeleton);
		if (result == -EPERM)
			return meter_error_set(error, result, "not root: the kernel refused to load the group meter; run as root");
		if (result == -EINVAL)
			return meter_error_set(error, result,
					       "cannot load the group meter: the maps pinned under %s do not match this "
					       "build; run 'cascade-meter --bpf-pin-dir %s detach --unpin' and attach again",
					       pin_dir, pin_dir);
		return meter_error_set(error, result, "cannot load the group meter: %s", strerror(-result));
	}
	*skeleton_out = skeleton;
	return 0;
}

/* Chooses how caps are enforced on this interface now. */
static uint32_t choose_shaper(uint32_t ifindex)
{
	struct tc_root_qdisc root;

	if (tc_inspect_root(ifindex, &root, NULL) < 0)
		return METER_SHAPER_HTB;
	if (root.is_fq)
		return METER_SHAPER_EDT;
	if (root.is_ours || root.is_default || !root.present)
		return METER_SHAPER_HTB;
	return METER_SHAPER_NONE;
}

/* True when a filter of any kind sits at priority. */
static bool priority_used(const struct tc_filter_slot *slots, size_t count, uint32_t priority)
{
	for (size_t index = 0; index < count && index < GROUP_METER_FILTERS_MAX; index++) {
		if (slots[index].priority == priority)
			return true;
	}
	return false;
}

/* A new filter at the priority we had if it is free, else at the first
 * free one from METER_TC_FIRST_PRIORITY. Created exclusively: a meter of
 * another pin directory placing its filter at the same moment gets -EEXIST
 * and moves on. *chosen is where it went. */
static int place_new_filter(uint32_t ifindex, int program_fd, uint32_t wanted, uint32_t *chosen,
			    struct meter_error *error)
{
	struct tc_filter_slot slots[GROUP_METER_FILTERS_MAX];
	size_t count = 0;
	int result = tc_egress_filters(ifindex, slots, GROUP_METER_FILTERS_MAX, &count, error);

	if (result < 0)
		return result;
	if (wanted >= METER_TC_FIRST_PRIORITY && wanted < METER_TC_FIRST_PRIORITY + METER_TC_PRIORITY_COUNT &&
	    !priority_used(slots, count, wanted)) {
		result = tc_hook_attach(ifindex, wanted, program_fd, false, error);
		if (result != -EEXIST) {
			*chosen = wanted;
			return result;
		}
	}
	for (uint32_t priority = METER_TC_FIRST_PRIORITY; priority < METER_TC_FIRST_PRIORITY + METER_TC_PRIORITY_COUNT;
	     priority++) {
		if (priority_used(slots, count, priority))
			continue;
		result = tc_hook_attach(ifindex, priority, program_fd, false, error);
		if (result != -EEXIST) {
			*chosen = priority;
			return result;
		}
	}
	return meter_error_set(error, -ENOSPC, "no free tc priority on ifindex %u (%u..%u are taken)", ifindex,
			       METER_TC_FIRST_PRIORITY, METER_TC_FIRST_PRIORITY + METER_TC_PRIORITY_COUNT - 1);
}

/* Puts program_fd on the hook at our own priority: where our filter is
 * (replacing it in place), else as a new filter (place_new_filter).
 * Filters of ours found elsewhere go. Sets config->tc_priority and
 * tc_handle. */
static int place_filter(uint32_t ifindex, int program_fd, uint32_t own_config_map_id,
			struct group_meter_config *config, struct meter_error *error)
{
	struct group_meter_filter filters[GROUP_METER_FILTERS_MAX];
	uint32_t wanted = config->tc_priority, chosen = 0;
	size_t count = 0;
	int result = group_meter_filters(ifindex, own_config_map_id, filters, GROUP_METER_FILTERS_MAX, &count, error);

	if (result < 0)
		return result;
	for (size_t index = 0; index < count; index++) {
		if (filters[index].ours && (chosen == 0 || filters[index].tc_priority == wanted))
			chosen = filters[index].tc_priority;
	}
	if (chosen != 0)
		result = tc_hook_attach(ifindex, chosen, program_fd, true, error);
	else
		result = place_new_filter(ifindex, program_fd, wanted, &chosen, error);
	if (result < 0)
		return result;
	for (size_t index = 0; index < count; index++) {
		if (filters[index].ours && filters[index].tc_priority != chosen)
			tc_hook_detach(ifindex, filters[index].tc_priority, NULL);
	}
	config->tc_priority = chosen;
	config->tc_handle = chosen;
	return 0;
}

/* The configuration of this attach: where, how, and which ports, added to
 * those registered by an attach to the same place still in effect. */
static void build_config(const struct group_meter_options *options, const char *pin_dir, uint32_t ifindex,
			 bool keep_previous, const struct group_meter_config *previous, struct group_meter_config *config)
{
	bool overflow = false;

	memset(config, 0, sizeof(*config));
	config->ifindex = ifindex;
	config->horizon_ns = EDT_HORIZON_NS;
	config->netns_inode = meter_netns_inode();
	snprintf(config->interface, sizeof(config->interface), "%s", options->interface);
	snprintf(config->pin_dir, sizeof(config->pin_dir), "%s", pin_dir);
	if (previous->ifindex == ifindex && previous->netns_inode == config->netns_inode)
		config->tc_priority = previous->tc_priority;
	if (keep_previous)
		config->flags = previous->flags & (METER_CONFIG_CREATED_CLSACT | METER_CONFIG_CREATED_ROOT);
	config->port_count = meter_merge_ports(previous->ports, keep_previous ? previous->port_count : 0,
					       keep_previous && previous->port_count == 0, options->ports,
					       options->port_count, config->ports, &overflow);
	if (overflow)
		log_warn("meter: more than %d server ports registered under %s: counting every packet on %s; "
			 "remove unused ones with 'cascade-meter port remove PORT'",
			 METER_MAX_PORTS, pin_dir, options->interface);
}

static int check_options(const struct group_meter_options *options, const char *pin_dir, uint32_t *ifindex,
			 struct meter_error *error)
{
	int result;

	meter_route_libbpf_logs();
	if ((result = meter_check_privileges(true, error)) < 0 || (result = meter_check_btf(error)) < 0 ||
	    (result = meter_resolve_interface(options->interface, ifindex, error)) < 0)
		return result;
	if (strlen(pin_dir) >= METER_PIN_DIR_SIZE)
		return meter_error_set(error, -ENAMETOOLONG, "pin directory name too long (at most %d characters)",
				       METER_PIN_DIR_SIZE - 1);
	if (options->port_count > METER_MAX_PORTS)
		return meter_error_set(error, -EINVAL, "too many server ports: at most %d", METER_MAX_PORTS);
	for (size_t index = 0; index < options->port_count; index++) {
		if (options->ports[index] == 0)
			return meter_error_set(error, -EINVAL, "server port 0 is not a port");
	}
	if (group_meter_legacy_present(pin_dir))
		return meter_error_set(error, -EEXIST,
				       "%s holds the pins of an older cascade build (group_stats, meter_config...); "
				       "run 'cascade-meter --bpf-pin-dir %s detach --unpin' to remove them and their "
				       "filter (their counters are lost), then attach",
				       pin_dir, pin_dir);
	return 0;
}

/* The handle of a freshly attached meter, on the maps its program uses. */
static int handle_from(struct group_meter_bpf *skeleton, const char *pin_dir, struct group_meter **meter_out,
		       struct meter_error *error)
{
	struct group_meter *meter = calloc(1, sizeof(*meter));
	const struct bpf_map *maps[GROUP_METER_MAP_COUNT] = {
		skeleton->maps.cascade_stats, skeleton->maps.cascade_prefix4, skeleton->maps.cascade_prefix6,
		skeleton->maps.cascade_caps, skeleton->maps.cascade_pacing, skeleton->maps.cascade_config,
		skeleton->maps.cascade_events,
	};

	if (meter == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	snprintf(meter->pin_dir, sizeof(meter->pin_dir), "%s", pin_dir);
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++)
		meter->map_fds[index] = fcntl(bpf_map__fd(maps[index]), F_DUPFD_CLOEXEC, 3);
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++) {
		if (meter->map_fds[index] < 0) {
			int result = meter_error_set(error, -errno, "cannot keep the map descriptors: %s", strerror(errno));

			group_meter_close(meter);
			return result;
		}
	}
	*meter_out = meter;
	return 0;
}

/* After a successful attach: the caps in the pins shape again, unless
 * another meter on the interface holds caps now. */
static void reapply_caps(struct group_meter *meter, const struct group_meter_config *config)
{
	struct group_meter_filter owner;
	struct meter_error cap_error;

	if (group_meter_count_groups(meter->map_fds[GROUP_METER_MAP_CAPS]) == 0)
		return;
	if (group_meter_other_caps_owner(config->ifindex, meter_map_id(meter->map_fds[GROUP_METER_MAP_CONFIG]), &owner))
		log_warn("meter: caps under %s are not enforced: the meter pinned at %s holds the caps on %s",
			 meter->pin_dir, owner.has_config ? owner.config.pin_dir : "?", config->interface);
	else if (group_meter_caps_reapply(meter, &cap_error) < 0)
		log_warn("meter: caps are not enforced: %s", cap_error.message);
}

static int attach_locked(const struct group_meter_options *options, const char *pin_dir, uint32_t ifindex,
			 struct group_meter **meter_out, struct meter_error *error)
{
	struct group_meter_config previous = { 0 }, config;
	struct group_meter_bpf *skeleton = NULL;
	uint32_t previous_map_id = 0;
	bool had_pins, previous_alive = false, created_clsact = false;
	__u32 zero = 0;
	int config_fd, result;

	result = read_pinned_config(pin_dir, &previous, &previous_map_id);
	had_pins = result == 0 || result == -ESTALE;   /* never unpin another build's maps */
	if (result == 0 && (previous.flags & METER_CONFIG_ATTACHED))
		previous_alive = meter_program_uses_map(previous.program_id, previous_map_id);
	if (previous_alive && (previous.ifindex != ifindex || previous.netns_inode != meter_netns_inode()))
		return meter_error_set(error, -EBUSY,
				       "already attached to %s%s under %s; run 'cascade-meter --bpf-pin-dir %s detach' "
				       "first (one interface per pin directory)",
				       previous.interface,
				       previous.netns_inode != meter_netns_inode() ? " in another network namespace" : "",
				       pin_dir, pin_dir);
	if ((result = load_program(pin_dir, options->max_prefixes, &skeleton, error)) < 0)
		goto fail;
	build_config(options, pin_dir, ifindex, previous_alive, &previous, &config);
	if ((result = interface_facts(options->interface, &config.mtu, &config.l2_header_bytes, error)) < 0)
		goto fail;
	config.shaper = choose_shaper(ifindex);
	config.program_id = meter_program_id(bpf_program__fd(skeleton->progs.cascade_egress));
	config.flags |= METER_CONFIG_ATTACHED;
	config_fd = bpf_map__fd(skeleton->maps.cascade_config);
	/* The program reads ports and shaper from the first packet on. */
	if (bpf_map_update_elem(config_fd, &zero, &config, BPF_ANY) < 0) {
		result = meter_error_set(error, -errno, "cannot write cascade_config: %s", strerror(errno));
		goto fail;
	}
	if ((result = tc_hook_create(ifindex, &created_clsact, error)) < 0)
		goto restore;
	if (created_clsact)
		config.flags |= METER_CONFIG_CREATED_CLSACT;
	result = place_filter(ifindex, bpf_program__fd(skeleton->progs.cascade_egress), meter_map_id(config_fd), &config,
			      error);
	if (result < 0)
		goto restore;
	bpf_map_update_elem(config_fd, &zero, &config, BPF_ANY);
	result = handle_from(skeleton, pin_dir, meter_out, error);
	group_meter_bpf__destroy(skeleton);   /* the tc filter keeps the program */
	if (result == 0)
		reapply_caps(*meter_out, &config);
	return result;
restore:
	if (created_clsact)
		tc_hook_destroy_if_unused(ifindex, NULL);
	if (had_pins)
		bpf_map_update_elem(config_fd, &zero, &previous, BPF_ANY);
fail:
	group_meter_bpf__destroy(skeleton);
	if (!had_pins)
		group_meter_unpin_all(pin_dir);
	return result;
}

int group_meter_attach(const struct group_meter_options *options, struct group_meter **meter_out,
		       struct meter_error *error)
{
	const char *pin_dir = meter_pin_dir(options->pin_dir);
	uint32_t ifindex = 0;
	int lock_fd = -1, result;

	if ((result = check_options(options, pin_dir, &ifindex, error)) < 0 ||
	    (result = meter_pin_dir_lock(pin_dir, true, true, &lock_fd, error)) < 0)
		return result;
	result = attach_locked(options, pin_dir, ifindex, meter_out, error);
	meter_pin_dir_unlock(lock_fd);
	return result;
}
