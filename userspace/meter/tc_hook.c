/* Attaches, queries and detaches the group meter's tc egress filter with
 * libbpf (netlink cls_bpf in direct-action mode). */
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

int tc_hook_attach(uint32_t ifindex, int program_fd, bool *created_clsact, struct meter_error *error)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = METER_TC_HANDLE, .priority = METER_TC_PRIORITY,
		    .prog_fd = program_fd, .flags = BPF_TC_F_REPLACE);
	int result;

	egress_hook(&hook, ifindex);
	*created_clsact = false;
	result = bpf_tc_hook_create(&hook);
	if (result == 0)
		*created_clsact = true;
	else if (result != -EEXIST)
		return meter_error_set(error, result, "cannot create the clsact qdisc on ifindex %u: %s",
				       ifindex, strerror(-result));
	result = bpf_tc_attach(&hook, &options);
	if (result < 0) {
		if (*created_clsact) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			*created_clsact = false;
		}
		return meter_error_set(error, result, "cannot attach the tc egress filter on ifindex %u: %s",
				       ifindex, strerror(-result));
	}
	return 0;
}

int tc_hook_query(uint32_t ifindex, uint32_t *program_id)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = METER_TC_HANDLE, .priority = METER_TC_PRIORITY);
	int result;

	egress_hook(&hook, ifindex);
	result = bpf_tc_query(&hook, &options);
	if (result < 0)
		return result == -EINVAL ? -ENOENT : result;
	*program_id = options.prog_id;
	return 0;
}

int tc_hook_detach(uint32_t ifindex, bool remove_clsact, struct meter_error *error)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = METER_TC_HANDLE, .priority = METER_TC_PRIORITY);
	unsigned int others = 0;
	int result;

	egress_hook(&hook, ifindex);
	result = bpf_tc_detach(&hook, &options);
	if (result < 0 && result != -ENOENT && result != -EINVAL)
		return meter_error_set(error, result, "cannot remove the tc egress filter on ifindex %u: %s",
				       ifindex, strerror(-result));
	if (!remove_clsact)
		return 0;
	result = tc_clsact_filter_count(ifindex, &others, error);
	if (result < 0)
		return result;
	if (others > 0)
		return 0;   /* someone else uses the hook now: leave clsact */
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	result = bpf_tc_hook_destroy(&hook);
	if (result < 0 && result != -ENOENT && result != -EINVAL)
		return meter_error_set(error, result, "cannot remove the clsact qdisc on ifindex %u: %s",
				       ifindex, strerror(-result));
	return 0;
}
