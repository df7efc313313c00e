/* Attaches, queries and detaches the meters' tc egress filters with libbpf
 * (netlink cls_bpf in direct-action mode), one priority per meter. */
#include "meter/tc_hook.h"
#include "meter/tc_netlink.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

static void egress_hook(struct bpf_tc_hook *hook, uint32_t ifindex)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = (int)ifindex;
	hook->attach_point = BPF_TC_EGRESS;
}

int tc_hook_create(uint32_t ifindex, bool *created, struct meter_error *error)
{
	struct bpf_tc_hook hook;
	int result;

	egress_hook(&hook, ifindex);
	*created = false;
	result = bpf_tc_hook_create(&hook);
	if (result == 0)
		*created = true;
	else if (result != -EEXIST)
		return meter_error_set(error, result, "cannot create the clsact qdisc on ifindex %u: %s", ifindex,
				       strerror(-result));
	return 0;
}

int tc_hook_destroy_if_unused(uint32_t ifindex, struct meter_error *error)
{
	struct bpf_tc_hook hook;
	unsigned int others = 0;
	int result = tc_clsact_filter_count(ifindex, &others, error);

	if (result < 0)
		return result;
	if (others > 0)
		return 0;   /* someone else uses the hook: leave clsact */
	egress_hook(&hook, ifindex);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	result = bpf_tc_hook_destroy(&hook);
	if (result < 0 && result != -ENOENT && result != -EINVAL)
		return meter_error_set(error, result, "cannot remove the clsact qdisc on ifindex %u: %s", ifindex,
				       strerror(-result));
	return 0;
}

int tc_hook_attach(uint32_t ifindex, uint32_t priority, int program_fd, bool replace, struct meter_error *error)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = priority, .priority = priority, .prog_fd = program_fd,
		    .flags = replace ? BPF_TC_F_REPLACE : 0);
	int result;

	egress_hook(&hook, ifindex);
	result = bpf_tc_attach(&hook, &options);
	if (result == -EEXIST && !replace)
		return result;
	if (result < 0)
		return meter_error_set(error, result, "cannot attach the tc egress filter (pref %u) on ifindex %u: %s",
				       priority, ifindex, strerror(-result));
	return 0;
}

int tc_hook_query(uint32_t ifindex, uint32_t priority, uint32_t *program_id)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = priority, .priority = priority);
	int result;

	egress_hook(&hook, ifindex);
	result = bpf_tc_query(&hook, &options);
	if (result < 0)
		return result == -EINVAL ? -ENOENT : result;
	*program_id = options.prog_id;
	return 0;
}

int tc_hook_detach(uint32_t ifindex, uint32_t priority, struct meter_error *error)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = priority, .priority = priority);
	int result;

	egress_hook(&hook, ifindex);
	result = bpf_tc_detach(&hook, &options);
	if (result < 0 && result != -ENOENT && result != -EINVAL)
		return meter_error_set(error, result, "cannot remove the tc egress filter (pref %u) on ifindex %u: %s",
				       priority, ifindex, strerror(-result));
	return 0;
}
