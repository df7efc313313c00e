/* Types, names and constants shared by the eBPF meters (bpf/group_meter.bpf.c,
 * bpf/cpu_meter.bpf.c) and their userspace loader (userspace/meter/). The
 * BPF side gets the __u32-style types from vmlinux.h, userspace from
 * <linux/types.h>. Every map value is a named struct so that
 * `bpftool map dump pinned /sys/fs/bpf/cascade/<map>` prints named fields.
 * Changing a struct here changes the pinned maps' layout: a loader built from
 * a different layout refuses the old pins (detach with --unpin first).
 *
 * Every kernel object of the meters carries the prefix "cascade_" and fits
 * the kernel's 15 characters, so `bpftool map show | grep cascade_` finds
 * them all; a map's pin has the map's name. */
#ifndef CASCADE_BPF_METER_TYPES_H
#define CASCADE_BPF_METER_TYPES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "meter_mark.h"

/* Map sizes (entries). Prefix tries may be made smaller at attach time. */
#define METER_MAX_GROUPS        65536  /* cascade_stats */
#define METER_MAX_PREFIXES      16384  /* cascade_prefix4, cascade_prefix6 (each) */
#define METER_MAX_CAPS          4096   /* cascade_caps, cascade_pacing */
#define METER_MAX_PORTS         8      /* group_meter_config.ports */
#define METER_PIN_DIR_SIZE      256    /* group_meter_config.pin_dir, with its NUL */

/* The htb root qdisc the rate cap creates when fq is missing: handle ca:0,
 * one leaf class ca:N per capped group N (so caps under htb are for groups
 * 1..METER_HTB_GROUP_MAX; EDT has no such limit). */
#define METER_HTB_MAJOR         0xCAu
#define METER_HTB_GROUP_MAX     0xFFFEu
#define METER_HTB_CLASS(group)  ((METER_HTB_MAJOR << 16) | (group))

/* cascade_stats: key = group id (__u32), value per CPU; userspace sums CPUs.
 * bytes and packets count what left through tc egress, as the shaper and
 * the wire see it: bytes = the frame lengths (L2+L3+L4 headers and payload)
 * with a GSO packet counted as its segments (skb->wire_len), packets = the
 * segments. dropped_* count packets the EDT pacer dropped past its horizon. */
struct group_meter_counters {
	__u64 bytes;
	__u64 packets;
	__u64 dropped_bytes;
	__u64 dropped_packets;
};

/* cascade_prefix4 / cascade_prefix6: LPM trie keys (destination prefix -> group id). */
struct prefix_v4_key {
	__u32 prefixlen;
	__u8 address[4];
};

struct prefix_v6_key {
	__u32 prefixlen;
	__u8 address[16];
};

/* cascade_caps: key = group id. rate_bytes_per_second is the cap as set:
 * the payload rate of the whole group (all its slaves together);
 * shaper_bytes_per_second is the same cap in frame bytes (scaled by
 * frame/payload of a full-size segment), which the shaper enforces.
 * htb_class is "ca:N" (N = the group, in hex as tc prints it) when htb
 * shapes the group, "" under EDT: the program derives the class from the
 * group; the text is there for bpftool and tc users. */
struct group_cap {
	__u64 rate_bytes_per_second;
	__u64 shaper_bytes_per_second;
	char htb_class[8];
};

/* cascade_pacing: key = group id; EDT state of a capped group (fq only). */
struct group_pacing {
	__u64 next_departure_ns;
};

enum meter_shaper {
	METER_SHAPER_NONE = 0,   /* counting only, no cap possible */
	METER_SHAPER_HTB = 1,    /* skb->priority -> htb class ca:N (no fq here) */
	METER_SHAPER_EDT = 2,    /* skb->tstamp pacing, enforced by an fq root */
};

#define METER_CONFIG_CREATED_CLSACT 0x1u /* the loader created the clsact qdisc */
#define METER_CONFIG_CREATED_ROOT   0x2u /* the loader created the htb root qdisc */
#define METER_CONFIG_ATTACHED       0x4u /* the tc filter is in place */

/* cascade_config: one entry (key 0). Read by the program on every packet
 * (ports, shaper, horizon_ns); the rest records who owns which kernel
 * object, so that any later process (and another meter on the same
 * interface) can tell whose filter it sees and detach cleanly. */
struct group_meter_config {
	__u32 ifindex;               /* the interface the filter is on */
	__u32 l2_header_bytes;       /* 14 on Ethernet and loopback, 0 on raw IP */
	__u32 shaper;                /* enum meter_shaper */
	__u32 flags;                 /* METER_CONFIG_* */
	__u64 horizon_ns;            /* EDT: packets due later than this are dropped */
	__u32 mtu;                   /* interface MTU when the shaper was chosen */
	__u32 port_count;            /* 0: count every packet; else only these */
	__u16 ports[METER_MAX_PORTS];/* server source ports, host byte order */
	__u32 tc_priority;           /* our filter on clsact egress: pref ... */
	__u32 tc_handle;             /* ... and handle (the same number) */
	__u32 program_id;            /* the program that filter runs */
	__u32 reserved;
	__u64 netns_inode;           /* network namespace of ifindex (ls -l /proc/self/ns/net) */
	char interface[16];          /* its name when attached */
	char pin_dir[METER_PIN_DIR_SIZE]; /* where these maps are pinned */
};

/* cascade_events: one per-CPU entry (key 0) of things that went wrong. */
struct group_meter_events {
	__u64 group_table_full;      /* packets not counted: cascade_stats was full */
	__u64 pacing_table_full;     /* capped packets sent unpaced: cascade_pacing full */
};

/* cascade_cpu: one per-CPU entry (key 0). busy_ns is the time the CPU ran a
 * non-idle task up to last_switch_ns; when running_busy is 1 the task
 * switched in at last_switch_ns is still running and not yet charged.
 * Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns). */
struct cpu_busy {
	__u64 busy_ns;
	__u64 last_switch_ns;
	__u32 running_busy;
	__u32 reserved;
};

#endif
