/* The group egress meter's caps: a group's total rate, enforced by an htb
 * class ca:N (N = the group) that the program steers the group's packets
 * to, or by EDT pacing where fq is the root qdisc. Each change holds the pin
 * directory's lock, is refused when another meter on the interface holds
 * caps, and is undone as a whole when a step fails. */
#include "meter/group_meter_internal.h"
#include "meter/meter_objects.h"
#include "meter/meter_values.h"
#include "meter/tc_netlink.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The attached interface of the meter, checked for a change: attached,
 * seen from this network namespace, and ours alone to cap. */
static int cap_interface(struct group_meter *meter, struct group_meter_config *config, char *interface,
			 struct meter_error *error)
{
	struct group_meter_filter owner;
	int result = group_meter_config_read(meter, config, error);

	if (result < 0 || (result = group_meter_check_namespace(meter, config, error)) < 0)
		return result;
	if (!(config->flags & METER_CONFIG_ATTACHED))
		return meter_error_set(error, -ENOENT,
				       "not attached: run 'cascade-meter --bpf-pin-dir %s attach --interface IF' first",
				       meter->pin_dir);
	if (if_indextoname(config->ifindex, interface) == NULL)
		return meter_error_set(error, -ENODEV,
				       "interface missing: the meter's interface %s (ifindex %u) is gone; attach again",
				       config->interface, config->ifindex);
	if (group_meter_other_caps_owner(config->ifindex, meter_map_id(meter->map_fds[GROUP_METER_MAP_CONFIG]), &owner))
		return meter_error_set(error, -EBUSY,
				       "cap unavailable: the meter pinned at %s holds the caps on %s (one meter per "
				       "interface caps); set caps there, or clear them there first",
				       owner.has_config ? owner.config.pin_dir : "?", interface);
	return 0;
}

/* Builds the cap entry and makes the kernel enforce it: the htb class
 * ca:N (and the root when missing) or, under fq, nothing but the map. */
static int enforce_cap(const struct group_meter_config *config, const char *interface,
		       uint32_t group, struct group_cap *cap, struct group_meter_config *updated,
		       bool *root_created, struct meter_error *error)
{
	struct tc_root_qdisc root;
	int result = tc_inspect_root(config->ifindex, &root, error);

	if (result < 0)
		return result;
	if (root.is_fq) {
		updated->shaper = METER_SHAPER_EDT;
		return 0;
	}
	if (group > METER_HTB_GROUP_MAX)
		return meter_error_set(error, -ERANGE,
				       "cap unavailable for group %u: htb shapes group N in class ca:N, so caps are for "
				       "groups 1..%u here (an fq root, with EDT pacing, has no such limit)",
				       group, METER_HTB_GROUP_MAX);
	updated->shaper = METER_SHAPER_HTB;
	if ((result = ensure_htb_root(config->ifindex, interface, root_created, error)) < 0)
		return result;
	updated->flags |= METER_CONFIG_CREATED_ROOT;   /* ours, made now or found stale */
	meter_format_htb_class(group, cap->htb_class, sizeof(cap->htb_class));
	return tc_htb_class_set(config->ifindex, METER_HTB_CLASS(group), cap->shaper_bytes_per_second,
				config->mtu + config->l2_header_bytes, error);
}

int group_meter_set_cap_locked(struct group_meter *meter, uint32_t group, uint64_t rate_bytes_per_second,
			       struct meter_error *error)
{
	int caps_fd = meter->map_fds[GROUP_METER_MAP_CAPS];
	struct group_meter_config config, updated;
	struct group_cap existing, cap;
	char interface[IF_NAMESIZE];
	bool had_cap, root_created = false;
	int result = group_meter_check_group(group, error);

	if (result < 0)
		return result;
	if (rate_bytes_per_second < METER_RATE_MINIMUM || rate_bytes_per_second > METER_RATE_MAXIMUM)
		return meter_error_set(error, -ERANGE, "bad rate: caps are 8kbit..100gbit");
	if ((result = cap_interface(meter, &config, interface, error)) < 0)
		return result;
	had_cap = bpf_map_lookup_elem(caps_fd, &group, &existing) == 0;
	if (!had_cap) {
		if (group_meter_count_groups(caps_fd) >= METER_MAX_CAPS)
			return meter_error_set(error, -ENOSPC,
					       "map full: cascade_caps holds its maximum of %d caps; clear unused ones with "
					       "'cascade-meter cap clear GROUP'",
					       METER_MAX_CAPS);
	}
	memset(&cap, 0, sizeof(cap));
	cap.rate_bytes_per_second = rate_bytes_per_second;
	cap.shaper_bytes_per_second = meter_shaper_rate(rate_bytes_per_second, config.mtu, config.l2_header_bytes);
	updated = config;
	result = enforce_cap(&config, interface, group, &cap, &updated, &root_created, error);
	if (result < 0)
		goto rollback;
	if ((result = group_meter_config_write(meter, &updated, error)) < 0)
		goto rollback;
	if (bpf_map_update_elem(caps_fd, &group, &cap, BPF_ANY) < 0) {
		result = meter_error_set(error, -errno, "cannot write cascade_caps: %s", strerror(errno));
		group_meter_config_write(meter, &config, NULL);
		goto rollback;
	}
	return 0;
rollback:
	if (cap.htb_class[0] != '\0') {
		if (had_cap && existing.htb_class[0] != '\0')
			tc_htb_class_set(config.ifindex, METER_HTB_CLASS(group), existing.shaper_bytes_per_second,
					 config.mtu + config.l2_header_bytes, NULL);
		else
			tc_htb_class_delete(config.ifindex, METER_HTB_CLASS(group), NULL);
	}
	if (root_created)
		tc_htb_root_delete(config.ifindex, NULL);
	return result;
}

int group_meter_set_cap(struct group_meter *meter, uint32_t group, uint64_t rate_bytes_per_second,
			struct meter_error *error)
{
	int lock_fd = -1, result = group_meter_check_group(group, error);

	if (result < 0 || (result = group_meter_lock(meter, &lock_fd, error)) < 0)
		return result;
	result = group_meter_set_cap_locked(meter, group, rate_bytes_per_second, error);
	meter_pin_dir_unlock(lock_fd);
	return result;
}

static int clear_cap_locked(struct group_meter *meter, uint32_t group, struct meter_error *error)
{
	int caps_fd = meter->map_fds[GROUP_METER_MAP_CAPS];
	struct group_cap existing;
	struct group_meter_config config;
	int result = group_meter_config_read(meter, &config, error);

	if (result < 0 || (result = group_meter_check_namespace(meter, &config, error)) < 0)
		return result;
	if (bpf_map_lookup_elem(caps_fd, &group, &existing) < 0)
		return meter_error_set(error, -ENOENT, "group %u has no cap", group);
	/* The program stops steering first, then the class goes. */
	if (bpf_map_delete_elem(caps_fd, &group) < 0)
		return meter_error_set(error, -errno, "cannot remove the cap of group %u: %s", group, strerror(errno));
	bpf_map_delete_elem(meter->map_fds[GROUP_METER_MAP_PACING], &group);
	if (!group_meter_interface_present(config.ifindex) || !(config.flags & METER_CONFIG_CREATED_ROOT))
		return 0;
	if (existing.htb_class[0] != '\0' && group <= METER_HTB_GROUP_MAX &&
	    (result = tc_htb_class_delete(config.ifindex, METER_HTB_CLASS(group), error)) < 0)
		return result;
	if (group_meter_count_groups(caps_fd) == 0) {
		struct tc_root_qdisc root;

		if (tc_inspect_root(config.ifindex, &root, NULL) == 0 && root.is_ours &&
		    (result = tc_htb_root_delete(config.ifindex, error)) < 0)
			return result;
		config.flags &= ~METER_CONFIG_CREATED_ROOT;
		return group_meter_config_write(meter, &config, error);
	}
	return 0;
}

int group_meter_clear_cap(struct group_meter *meter, uint32_t group, struct meter_error *error)
{
	int lock_fd = -1, result = group_meter_check_group(group, error);

	if (result < 0 || (result = group_meter_lock(meter, &lock_fd, error)) < 0)
		return result;
	result = clear_cap_locked(meter, group, error);
	meter_pin_dir_unlock(lock_fd);
	return result;
}

int group_meter_caps_reapply(struct group_meter *meter, struct meter_error *error)
{
	uint32_t *groups = calloc(METER_MAX_CAPS, sizeof(*groups));
	size_t count;
	int result = 0;

	if (groups == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory");
	count = group_meter_collect_groups(meter->map_fds[GROUP_METER_MAP_CAPS], groups, METER_MAX_CAPS);
	for (size_t index = 0; index < count && result == 0; index++) {
		struct group_cap cap;

		if (bpf_map_lookup_elem(meter->map_fds[GROUP_METER_MAP_CAPS], &groups[index], &cap) == 0)
			result = group_meter_set_cap_locked(meter, groups[index], cap.rate_bytes_per_second, error);
	}
	free(groups);
	return result;
}
