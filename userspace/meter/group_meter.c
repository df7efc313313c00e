/* The group egress meter's life cycle: attach (load with pinned maps, write
 * the configuration, put the tc filter on clsact egress), open by pins,
 * status, detach (filter, qdiscs we created, pins on request). */
#include "meter/group_meter_internal.h"
#include "meter/tc_hook.h"
#include "meter/tc_netlink.h"
#include "common/log.h"
#include "group_meter.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define EDT_HORIZON_NS 2000000000ull   /* 2 s, like Cilium's bandwidth manager */

const char *const group_meter_map_names[GROUP_METER_MAP_COUNT] = {
	[GROUP_METER_MAP_GROUP_STATS] = "group_stats",
	[GROUP_METER_MAP_PREFIX_V4] = "prefix_v4",
	[GROUP_METER_MAP_PREFIX_V6] = "prefix_v6",
	[GROUP_METER_MAP_GROUP_CAPS] = "group_caps",
	[GROUP_METER_MAP_GROUP_PACING] = "group_pacing",
	[GROUP_METER_MAP_CONFIG] = "meter_config",
	[GROUP_METER_MAP_EVENTS] = "meter_events",
};

int group_meter_config_read(struct group_meter *meter, struct meter_config *config, struct meter_error *error)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(meter->map_fds[GROUP_METER_MAP_CONFIG], &zero, config) < 0)
		return meter_error_set(error, -errno, "cannot read meter_config: %s", strerror(errno));
	return 0;
}

int group_meter_config_write(struct group_meter *meter, const struct meter_config *config, struct meter_error *error)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(meter->map_fds[GROUP_METER_MAP_CONFIG], &zero, config, BPF_ANY) < 0)
		return meter_error_set(error, -errno, "cannot write meter_config: %s", strerror(errno));
	return 0;
}

bool group_meter_interface_present(uint32_t ifindex)
{
	char name[IF_NAMESIZE];

	return ifindex != 0 && if_indextoname(ifindex, name) != NULL;
}

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
	int result;

	if (meter == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++)
		meter->map_fds[index] = -1;
	if (strlen(meter_pin_dir(pin_dir)) >= sizeof(meter->pin_dir)) {
		result = meter_error_set(error, -ENAMETOOLONG, "pin directory name too long");
		goto fail;
	}
	snprintf(meter->pin_dir, sizeof(meter->pin_dir), "%s", meter_pin_dir(pin_dir));
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++) {
		result = meter_open_pinned(meter->pin_dir, group_meter_map_names[index], &meter->map_fds[index], error);
		if (result < 0)
			goto fail;
	}
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

/* Reads the configuration pinned by an earlier attach; -ENOENT when none. */
static int read_pinned_config(const char *pin_dir, struct meter_config *config)
{
	char path[512];
	__u32 zero = 0;
	int fd, result = 0;

	if (meter_pin_path(pin_dir, "meter_config", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, config) < 0)
		result = -errno;
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

static void unpin_all(const char *pin_dir)
{
	char path[512];

	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++) {
		if (meter_pin_path(pin_dir, group_meter_map_names[index], path, sizeof(path)) == 0)
			unlink(path);
	}
	rmdir(pin_dir);   /* only when empty: the CPU meter may share it */
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
	maps[GROUP_METER_MAP_GROUP_STATS] = skeleton->maps.group_stats;
	maps[GROUP_METER_MAP_PREFIX_V4] = skeleton->maps.prefix_v4;
	maps[GROUP_METER_MAP_PREFIX_V6] = skeleton->maps.prefix_v6;
	maps[GROUP_METER_MAP_GROUP_CAPS] = skeleton->maps.group_caps;
	maps[GROUP_METER_MAP_GROUP_PACING] = skeleton->maps.group_pacing;
	maps[GROUP_METER_MAP_CONFIG] = skeleton->maps.meter_config;
	maps[GROUP_METER_MAP_EVENTS] = skeleton->maps.meter_events;
	for (int index = 0; index < GROUP_METER_MAP_COUNT; index++) {
		meter_pin_path(pin_dir, group_meter_map_names[index], path, sizeof(path));
		bpf_map__set_pin_path(maps[index], path);
	}
	for (int index = GROUP_METER_MAP_PREFIX_V4; index <= GROUP_METER_MAP_PREFIX_V6; index++) {
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
					       "build; run 'cascade-meter detach --unpin --pin-dir %s' and attach again",
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

int group_meter_attach(const struct group_meter_options *options, struct group_meter **meter_out,
			struct meter_error *error)
{
	const char *pin_dir = meter_pin_dir(options->pin_dir);
	struct meter_config previous = { 0 }, config = { 0 };
	struct group_meter_bpf *skeleton = NULL;
	struct group_meter *meter = NULL;
	bool had_pins, created_clsact = false;
	uint32_t ifindex = 0;
	int result;

	meter_route_libbpf_logs();
	if ((result = meter_check_privileges(true, error)) < 0 || (result = meter_check_btf(error)) < 0 ||
	    (result = meter_resolve_interface(options->interface, &ifindex, error)) < 0)
		return result;
	if (options->port_count > METER_MAX_PORTS)
		return meter_error_set(error, -EINVAL, "too many server ports: at most %d", METER_MAX_PORTS);
	for (size_t index = 0; index < options->port_count; index++) {
		if (options->ports[index] == 0)
			return meter_error_set(error, -EINVAL, "server port 0 is not a port");
		config.ports[index] = options->ports[index];
	}
	config.port_count = (uint32_t)options->port_count;
	config.ifindex = ifindex;
	config.horizon_ns = EDT_HORIZON_NS;
	if ((result = interface_facts(options->interface, &config.mtu, &config.l2_header_bytes, error)) < 0 ||
	    (result = meter_prepare_pin_dir(pin_dir, error)) < 0)
		return result;

	had_pins = read_pinned_config(pin_dir, &previous) == 0;
	if (had_pins && (previous.flags & METER_CONFIG_ATTACHED) && previous.ifindex != ifindex &&
	    group_meter_interface_present(previous.ifindex)) {
		char name[IF_NAMESIZE] = "?";

		if_indextoname(previous.ifindex, name);
		return meter_error_set(error, -EBUSY,
				       "already attached to %s under %s; run 'cascade-meter detach' first", name, pin_dir);
	}
	if (had_pins && previous.ifindex == ifindex)
		config.flags = previous.flags & (METER_CONFIG_CREATED_CLSACT | METER_CONFIG_CREATED_ROOT);

	result = load_program(pin_dir, options->max_prefixes, &skeleton, error);
	if (result < 0)
		goto fail;
	config.shaper = choose_shaper(ifindex);
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(skeleton->maps.meter_config), &zero, &config, BPF_ANY) < 0) {
		result = meter_error_set(error, -errno, "cannot write meter_config: %s", strerror(errno));
		goto fail;
	}
	result = tc_hook_attach(ifindex, bpf_program__fd(skeleton->progs.group_egress), &created_clsact, error);
	if (result < 0)
		goto fail;
	if (created_clsact)
		config.flags |= METER_CONFIG_CREATED_CLSACT;
	config.flags |= METER_CONFIG_ATTACHED;
	bpf_map_update_elem(bpf_map__fd(skeleton->maps.meter_config), &zero, &config, BPF_ANY);
	group_meter_bpf__destroy(skeleton);   /* the tc filter keeps the program */
	skeleton = NULL;

	result = group_meter_open(pin_dir, &meter, error);
	if (result < 0)
		return result;
	struct meter_error cap_error;

	if (group_meter_caps_reapply(meter, &cap_error) < 0)
		log_warn("meter: caps are not enforced: %s", cap_error.message);
	*meter_out = meter;
	return 0;
fail:
	group_meter_bpf__destroy(skeleton);
	if (!had_pins)
		unpin_all(pin_dir);
	return result;
}

int group_meter_detach(struct group_meter *meter, bool unpin, struct meter_error *error)
{
	struct meter_config config;
	int result = group_meter_config_read(meter, &config, error);

	if (result < 0)
		return result;
	if (group_meter_interface_present(config.ifindex)) {
		if (config.flags & METER_CONFIG_CREATED_ROOT) {
			struct tc_root_qdisc root;

			if (tc_inspect_root(config.ifindex, &root, NULL) == 0 && root.is_ours) {
				result = tc_htb_root_delete(config.ifindex, error);
				if (result < 0)
					return result;
			}
		}
		result = tc_hook_detach(config.ifindex, (config.flags & METER_CONFIG_CREATED_CLSACT) != 0, error);
		if (result < 0)
			return result;
	}
	config.flags = 0;
	if (!unpin)
		return group_meter_config_write(meter, &config, error);
	unpin_all(meter->pin_dir);
	return 0;
}

int group_meter_get_status(struct group_meter *meter, struct group_meter_status *status,
			    struct meter_error *error)
{
	struct meter_config config;
	unsigned long long events[2] = { 0, 0 };
	__u32 zero = 0;
	int result = group_meter_config_read(meter, &config, error);

	if (result < 0)
		return result;
	memset(status, 0, sizeof(*status));
	status->ifindex = config.ifindex;
	if (config.ifindex == 0 || if_indextoname(config.ifindex, status->interface) == NULL)
		status->interface[0] = '\0';
	status->attached = status->interface[0] != '\0' && tc_hook_query(config.ifindex, &status->program_id) == 0;
	status->shaper = config.shaper;
	status->flags = config.flags;
	status->mtu = config.mtu;
	status->port_count = config.port_count;
	for (uint32_t index = 0; index < config.port_count && index < METER_MAX_PORTS; index++)
		status->ports[index] = config.ports[index];
	status->prefix_capacity = meter_map_capacity(meter->map_fds[GROUP_METER_MAP_PREFIX_V4]);
	if (meter_sum_percpu(meter->map_fds[GROUP_METER_MAP_EVENTS], &zero, events, 2) == 0) {
		status->group_table_full = events[0];
		status->pacing_table_full = events[1];
	}
	return 0;
}
