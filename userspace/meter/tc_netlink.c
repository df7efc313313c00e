/* Root qdisc inspection, the htb shaper (root ca:0, classes ca:N) and the
 * clsact filter count, through libnl-route-3. Each call opens its own
 * netlink socket: these run at operator speed, not per packet. */
#include "meter/tc_netlink.h"
#include "meter_types.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <string.h>

#define HTB_ROOT_HANDLE TC_HANDLE(METER_HTB_MAJOR, 0)
#define CLSACT_INGRESS_PARENT 0xFFFFFFF2u
#define CLSACT_EGRESS_PARENT  0xFFFFFFF3u
#define CLSACT_HANDLE_MAJOR   0xFFFF0000u

static int errno_of(int netlink_error)
{
	switch (-netlink_error) {
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_INVAL: return -EINVAL;
	case NLE_BUSY: return -EBUSY;
	case NLE_RANGE: return -ERANGE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	default: return -EIO;
	}
}

static int netlink_failure(struct meter_error *error, int netlink_error, const char *what, uint32_t ifindex)
{
	return meter_error_set(error, errno_of(netlink_error), "%s on ifindex %u failed: %s", what,
			       ifindex, nl_geterror(netlink_error));
}

static int netlink_open(struct nl_sock **socket_out, struct meter_error *error)
{
	struct nl_sock *socket = nl_socket_alloc();
	int result;

	if (socket == NULL)
		return meter_error_set(error, -ENOMEM, "out of memory for a netlink socket");
	result = nl_connect(socket, NETLINK_ROUTE);
	if (result < 0) {
		nl_socket_free(socket);
		return meter_error_set(error, errno_of(result), "cannot open rtnetlink: %s", nl_geterror(result));
	}
	*socket_out = socket;
	return 0;
}

/* True when every child qdisc under root handle_major is fq (mq + fq). */
static bool children_all_fq(struct nl_cache *cache, uint32_t ifindex, uint32_t root_handle)
{
	int children = 0, fq_children = 0;

	for (struct nl_object *object = nl_cache_get_first(cache); object != NULL;
	     object = nl_cache_get_next(object)) {
		struct rtnl_tc *tc = TC_CAST(object);
		uint32_t parent = rtnl_tc_get_parent(tc);

		if ((uint32_t)rtnl_tc_get_ifindex(tc) != ifindex || parent == TC_H_ROOT ||
		    (parent & CLSACT_HANDLE_MAJOR) == CLSACT_HANDLE_MAJOR)
			continue;
		if (TC_H_MAJ(parent) != TC_H_MAJ(root_handle))
			continue;
		children++;
		const char *kind = rtnl_tc_get_kind(tc);

		if (kind != NULL && strcmp(kind, "fq") == 0)
			fq_children++;
	}
	return children > 0 && children == fq_children;
}

int tc_inspect_root(uint32_t ifindex, struct tc_root_qdisc *root, struct meter_error *error)
{
	struct nl_sock *socket = NULL;
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *qdisc;
	int result;

	memset(root, 0, sizeof(*root));
	result = netlink_open(&socket, error);
	if (result < 0)
		return result;
	result = rtnl_qdisc_alloc_cache(socket, &cache);
	if (result < 0) {
		result = netlink_failure(error, result, "listing qdiscs", ifindex);
		goto out;
	}
	qdisc = rtnl_qdisc_get_by_parent(cache, (int)ifindex, TC_H_ROOT);
	if (qdisc != NULL) {
		const char *kind = rtnl_tc_get_kind(TC_CAST(qdisc));

		root->present = true;
		root->handle = rtnl_tc_get_handle(TC_CAST(qdisc));
		snprintf(root->kind, sizeof(root->kind), "%s", kind ? kind : "?");
		root->is_default = root->handle == 0;
		root->is_ours = root->handle == HTB_ROOT_HANDLE && strcmp(root->kind, "htb") == 0;
		root->is_fq = strcmp(root->kind, "fq") == 0 ||
			      (strcmp(root->kind, "mq") == 0 && children_all_fq(cache, ifindex, root->handle));
		rtnl_qdisc_put(qdisc);
	}
	result = 0;
out:
	nl_cache_free(cache);
	nl_socket_free(socket);
	return result;
}

static struct rtnl_qdisc *htb_root_object(uint32_t ifindex)
{
	struct rtnl_qdisc *qdisc = rtnl_qdisc_alloc();

	if (qdisc == NULL)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(qdisc), (int)ifindex);
	rtnl_tc_set_parent(TC_CAST(qdisc), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(qdisc), HTB_ROOT_HANDLE);
	if (rtnl_tc_set_kind(TC_CAST(qdisc), "htb") < 0) {
		rtnl_qdisc_put(qdisc);
		return NULL;
	}
	return qdisc;
}

/* Creates (create) or deletes the htb root ca:0. */
static int htb_root_change(uint32_t ifindex, bool create, struct meter_error *error)
{
	struct nl_sock *socket = NULL;
	struct rtnl_qdisc *qdisc;
	int result = netlink_open(&socket, error);

	if (result < 0)
		return result;
	qdisc = htb_root_object(ifindex);
	if (qdisc == NULL) {
		result = meter_error_set(error, -ENOMEM, "cannot build the htb root qdisc");
		goto out;
	}
	if (create) {
		rtnl_htb_set_defcls(qdisc, 0);
		rtnl_htb_set_rate2quantum(qdisc, 10);
		result = rtnl_qdisc_add(socket, qdisc, NLM_F_CREATE | NLM_F_EXCL);
	} else {
		result = rtnl_qdisc_delete(socket, qdisc);
		if (result == -NLE_OBJ_NOTFOUND)
			result = 0;
	}
	if (result < 0)
		result = netlink_failure(error, result, create ? "creating htb root qdisc ca:" : "deleting htb root qdisc ca:",
					 ifindex);
	rtnl_qdisc_put(qdisc);
out:
	nl_socket_free(socket);
	return result;
}

int tc_htb_root_create(uint32_t ifindex, struct meter_error *error)
{
	return htb_root_change(ifindex, true, error);
}

int tc_htb_root_delete(uint32_t ifindex, struct meter_error *error)
{
	return htb_root_change(ifindex, false, error);
}

static struct rtnl_class *htb_class_object(uint32_t ifindex, uint32_t class_id)
{
	struct rtnl_class *class = rtnl_class_alloc();

	if (class == NULL)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(class), (int)ifindex);
	rtnl_tc_set_parent(TC_CAST(class), HTB_ROOT_HANDLE);
	rtnl_tc_set_handle(TC_CAST(class), class_id);
	if (rtnl_tc_set_kind(TC_CAST(class), "htb") < 0) {
		rtnl_class_put(class);
		return NULL;
	}
	return class;
}

/* Sets the rate of htb class class_id, creating it; or deletes it when
 * frame_bytes_per_second is 0. */
static int htb_class_change(uint32_t ifindex, uint32_t class_id, uint64_t frame_bytes_per_second,
			    uint32_t frame_bytes, struct meter_error *error)
{
	struct nl_sock *socket = NULL;
	struct rtnl_class *class;
	int result = netlink_open(&socket, error);

	if (result < 0)
		return result;
	class = htb_class_object(ifindex, class_id);
	if (class == NULL) {
		result = meter_error_set(error, -ENOMEM, "cannot build htb class");
		goto out;
	}
	if (frame_bytes_per_second == 0) {
		result = rtnl_class_delete(socket, class);
		if (result == -NLE_OBJ_NOTFOUND)
			result = 0;
	} else {
		uint64_t burst = frame_bytes_per_second / 100;   /* 10 ms worth */
		uint64_t quantum = frame_bytes_per_second / 10;

		burst = burst < 2ull * frame_bytes ? 2ull * frame_bytes : burst;
		burst = burst > UINT32_MAX / 2 ? UINT32_MAX / 2 : burst;
		quantum = quantum < frame_bytes ? frame_bytes : quantum > 200000 ? 200000 : quantum;
		rtnl_tc_set_mtu(TC_CAST(class), frame_bytes);
		rtnl_htb_set_rate64(class, frame_bytes_per_second);
		rtnl_htb_set_ceil64(class, frame_bytes_per_second);
		rtnl_htb_set_rbuffer(class, (uint32_t)burst);
		rtnl_htb_set_cbuffer(class, (uint32_t)burst);
		rtnl_htb_set_quantum(class, (uint32_t)quantum);
		result = rtnl_class_add(socket, class, NLM_F_CREATE);
	}
	if (result < 0)
		result = netlink_failure(error, result, frame_bytes_per_second ? "setting htb class" : "deleting htb class",
					 ifindex);
	rtnl_class_put(class);
out:
	nl_socket_free(socket);
	return result;
}

int tc_htb_class_set(uint32_t ifindex, uint32_t class_id, uint64_t frame_bytes_per_second,
		     uint32_t frame_bytes, struct meter_error *error)
{
	if (frame_bytes_per_second == 0)
		return meter_error_set(error, -EINVAL, "htb class rate 0");
	return htb_class_change(ifindex, class_id, frame_bytes_per_second, frame_bytes, error);
}

int tc_htb_class_delete(uint32_t ifindex, uint32_t class_id, struct meter_error *error)
{
	return htb_class_change(ifindex, class_id, 0, 0, error);
}

struct tc_class_snapshot {
	struct nl_cache *cache;
	uint32_t ifindex;
};

int tc_class_snapshot_take(uint32_t ifindex, struct tc_class_snapshot **snapshot)
{
	struct tc_class_snapshot *taken = calloc(1, sizeof(*taken));
	struct nl_sock *socket = NULL;
	int result;

	if (taken == NULL)
		return -ENOMEM;
	result = netlink_open(&socket, NULL);
	if (result < 0)
		goto fail;
	result = rtnl_class_alloc_cache(socket, (int)ifindex, &taken->cache);
	nl_socket_free(socket);
	if (result < 0) {
		result = errno_of(result);
		goto fail;
	}
	taken->ifindex = ifindex;
	*snapshot = taken;
	return 0;
fail:
	free(taken);
	return result;
}

int tc_class_snapshot_drops(struct tc_class_snapshot *snapshot, uint32_t class_id, uint64_t *drops)
{
	struct rtnl_class *class = rtnl_class_get(snapshot->cache, (int)snapshot->ifindex, class_id);

	if (class == NULL)
		return -ENOENT;
	*drops = rtnl_tc_get_stat(TC_CAST(class), RTNL_TC_DROPS);
	rtnl_class_put(class);
	return 0;
}

void tc_class_snapshot_free(struct tc_class_snapshot *snapshot)
{
	if (snapshot == NULL)
		return;
	nl_cache_free(snapshot->cache);
	free(snapshot);
}

int tc_clsact_filter_count(uint32_t ifindex, unsigned int *count, struct meter_error *error)
{
	static const uint32_t parents[] = { CLSACT_INGRESS_PARENT, CLSACT_EGRESS_PARENT };
	struct nl_sock *socket = NULL;
	int result = netlink_open(&socket, error);

	if (result < 0)
		return result;
	*count = 0;
	for (size_t index = 0; index < sizeof(parents) / sizeof(parents[0]); index++) {
		struct nl_cache *cache = NULL;

		result = rtnl_cls_alloc_cache(socket, (int)ifindex, parents[index], &cache);
		if (result < 0) {
			result = netlink_failure(error, result, "listing clsact filters", ifindex);
			goto out;
		}
		*count += (unsigned int)nl_cache_nitems(cache);
		nl_cache_free(cache);
	}
	result = 0;
out:
	nl_socket_free(socket);
	return result;
}

int tc_egress_filters(uint32_t ifindex, struct tc_filter_slot *slots, size_t capacity, size_t *count,
		      struct meter_error *error)
{
	struct nl_sock *socket = NULL;
	struct nl_cache *cache = NULL;
	int result = netlink_open(&socket, error);

	if (result < 0)
		return result;
	*count = 0;
	result = rtnl_cls_alloc_cache(socket, (int)ifindex, CLSACT_EGRESS_PARENT, &cache);
	if (result < 0) {
		/* No clsact qdisc: no filters. */
		result = result == -NLE_INVAL || result == -NLE_OBJ_NOTFOUND ? 0
									  : netlink_failure(error, result, "listing egress filters", ifindex);
		goto out;
	}
	for (struct nl_object *object = nl_cache_get_first(cache); object != NULL;
	     object = nl_cache_get_next(object)) {
		struct rtnl_cls *filter = (struct rtnl_cls *)object;
		const char *kind = rtnl_tc_get_kind(TC_CAST(filter));
		uint32_t handle = rtnl_tc_get_handle(TC_CAST(filter));

		if (handle == 0)
			continue;   /* the priority's own entry, not a filter */
		if (*count < capacity) {
			slots[*count].priority = rtnl_cls_get_prio(filter);
			slots[*count].handle = handle;
			snprintf(slots[*count].kind, sizeof(slots[*count].kind), "%s", kind ? kind : "?");
		}
		(*count)++;
	}
	result = 0;
out:
	nl_cache_free(cache);
	nl_socket_free(socket);
	return result;
}
