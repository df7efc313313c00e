/* Traffic-control state the meter reads and changes through libnl-route:
 * the interface's root qdisc (is it fq? the default? our htb?), the htb
 * root ca:0 and its leaf classes ca:N that shape capped groups when the
 * kernel has no fq, and the filters on the clsact hook. */
#ifndef CASCADE_METER_TC_NETLINK_H
#define CASCADE_METER_TC_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meter/meter_error.h"

struct tc_root_qdisc {
	bool present;        /* false: no root qdisc dumped (should not happen) */
	bool is_default;     /* the kernel's own (handle 0: noqueue, mq, pfifo_fast...) */
	bool is_ours;        /* htb with handle ca:0 */
	bool is_fq;          /* fq, or mq whose children are all fq: EDT works */
	uint32_t handle;
	char kind[32];
};

int tc_inspect_root(uint32_t ifindex, struct tc_root_qdisc *root, struct meter_error *error);
/* Replaces the default root qdisc by htb ca:0 (default class: none, so
 * unclassified packets go out directly, unshaped). */
int tc_htb_root_create(uint32_t ifindex, struct meter_error *error);
/* Deletes htb ca:0; the kernel puts its default qdisc back. */
int tc_htb_root_delete(uint32_t ifindex, struct meter_error *error);
/* Creates or changes leaf class class_id (ca:N) with rate = ceil. */
int tc_htb_class_set(uint32_t ifindex, uint32_t class_id, uint64_t frame_bytes_per_second,
		     uint32_t frame_bytes, struct meter_error *error);
int tc_htb_class_delete(uint32_t ifindex, uint32_t class_id, struct meter_error *error);
/* The classes of an interface, dumped once so that many drop counters can
 * be read from one netlink dump. */
struct tc_class_snapshot;
int tc_class_snapshot_take(uint32_t ifindex, struct tc_class_snapshot **snapshot);
/* Packets the class's queue dropped; -ENOENT when the class is gone. */
int tc_class_snapshot_drops(struct tc_class_snapshot *snapshot, uint32_t class_id, uint64_t *drops);
void tc_class_snapshot_free(struct tc_class_snapshot *snapshot);
/* Filters on the clsact hook (ingress and egress together). */
int tc_clsact_filter_count(uint32_t ifindex, unsigned int *count, struct meter_error *error);

/* One filter on the clsact egress hook. */
struct tc_filter_slot {
	uint32_t priority;
	uint32_t handle;
	char kind[16];       /* "bpf", "u32", ... */
};
/* The filters on ifindex's clsact egress hook (fills up to capacity; *count
 * is how many there are). No clsact: 0 filters. */
int tc_egress_filters(uint32_t ifindex, struct tc_filter_slot *slots, size_t capacity, size_t *count,
		      struct meter_error *error);

#endif
