// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Group egress meter: a tc (clsact egress) program that attributes every
 * outgoing packet to a slave group and counts its frame bytes and segments
 * per group, and steers or paces the packets of capped groups.
 *
 * Attribution, first match wins:
 *   1. skb->mark carries METER_MARK_TAG: group = mark & 0x00FFFFFF (set by
 *      cascade-master with SO_MARK; holds behind NAT and for several groups);
 *   2. the destination address is in cascade_prefix4 / cascade_prefix6 (LPM tries);
 *   3. otherwise the unattributed bucket, group 0.
 * With server ports configured, unmarked packets whose TCP/UDP source port
 * is not one of them are left alone (not counted).
 *
 * Capped groups: with an htb root (this kernel has no fq) the program sets
 * skb->priority to the group's class ca:N (N = the group) and htb shapes; with an fq root it
 * sets skb->tstamp (earliest departure time) and drops what would leave
 * later than the horizon. The program always returns TC_ACT_UNSPEC, so other
 * filters on the hook still run and the packet continues as without us
 * (another meter's filter, at its own priority, counts the same packet).
 *
 * Kernel names: program cascade_egress; maps cascade_stats, cascade_prefix4,
 * cascade_prefix6, cascade_caps, cascade_pacing, cascade_config,
 * cascade_events (pinned under the same names). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "meter_types.h"

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT   2
#define ETH_P_IP      0x0800
#define ETH_P_IPV6    0x86DD
#define IPPROTO_TCP_NUMBER 6
#define IPPROTO_UDP_NUMBER 17
#define NSEC_PER_SEC  1000000000ull
#define READ_ONCE(x)  (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, value) (*(volatile typeof(x) *)&(x) = (value))

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, METER_MAX_GROUPS);
	__type(key, __u32);
	__type(value, struct group_meter_counters);
} cascade_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, METER_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_v4_key);
	__type(value, __u32);
} cascade_prefix4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, METER_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_v6_key);
	__type(value, __u32);
} cascade_prefix6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, METER_MAX_CAPS);
	__type(key, __u32);
	__type(value, struct group_cap);
} cascade_caps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, METER_MAX_CAPS);
	__type(key, __u32);
	__type(value, struct group_pacing);
} cascade_pacing SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct group_meter_config);
} cascade_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct group_meter_events);
} cascade_events SEC(".maps");

/* What the program learns from the headers. */
struct packet_facts {
	int family;              /* 4, 6, or 0 when not IP */
	int has_port;            /* a TCP or UDP source port was read */
	__u16 source_port;       /* host byte order */
	struct prefix_v4_key v4; /* destination as a full-length LPM key */
	struct prefix_v6_key v6;
};

static __always_inline int read_l4_source_port(struct __sk_buff *skb, __u32 offset,
					       __u8 protocol, struct packet_facts *facts)
{
	__be16 port;

	if (protocol != IPPROTO_TCP_NUMBER && protocol != IPPROTO_UDP_NUMBER)
		return 0;
	if (bpf_skb_load_bytes(skb, offset, &port, sizeof(port)) < 0)
		return 0;
	facts->has_port = 1;
	facts->source_port = bpf_ntohs(port);
	return 0;
}

/* Reads the destination address and, when present, the L4 source port. */
static __always_inline void read_packet_facts(struct __sk_buff *skb, __u32 l2_bytes,
					      struct packet_facts *facts)
{
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, l2_bytes, &ip, sizeof(ip)) < 0)
			return;
		facts->family = 4;
		facts->v4.prefixlen = 32;
		__builtin_memcpy(facts->v4.address, &ip.daddr, 4);
		/* Only the first fragment carries the ports. */
		if ((bpf_ntohs(ip.frag_off) & 0x1FFF) == 0)
			read_l4_source_port(skb, l2_bytes + ip.ihl * 4, ip.protocol, facts);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, l2_bytes, &ip6, sizeof(ip6)) < 0)
			return;
		facts->family = 6;
		facts->v6.prefixlen = 128;
		__builtin_memcpy(facts->v6.address, &ip6.daddr, 16);
		/* Extension headers are not walked: the server sends none. */
		read_l4_source_port(skb, l2_bytes + sizeof(ip6), ip6.nexthdr, facts);
	}
}

static __always_inline int port_is_served(const struct group_meter_config *config, __u16 port)
{
	__u32 count = config->port_count;

#pragma unroll
	for (int index = 0; index < METER_MAX_PORTS; index++) {
		if ((__u32)index < count && config->ports[index] == port)
			return 1;
	}
	return 0;
}

static __always_inline struct group_meter_counters *group_counters_of(__u32 group)
{
	struct group_meter_counters *counters = bpf_map_lookup_elem(&cascade_stats, &group);

	if (counters != NULL)
		return counters;
	struct group_meter_counters zero = {};
	/* Another CPU may insert first: -EEXIST is fine, look up again. */
	bpf_map_update_elem(&cascade_stats, &group, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&cascade_stats, &group);
}

static __always_inline void count_event_table_full(int pacing)
{
	__u32 zero = 0;
	struct group_meter_events *events = bpf_map_lookup_elem(&cascade_events, &zero);

	if (events == NULL)
		return;
	if (pacing)
		events->pacing_table_full++;
	else
		events->group_table_full++;
}

/* Earliest-departure-time pacing (Cilium's scheme): each packet of the group
 * departs one serialisation delay after the previous one; fq holds it until
 * skb->tstamp. Returns 1 when the packet must be dropped (past the horizon). */
static __always_inline int pace_departure(struct __sk_buff *skb, __u32 group,
					  const struct group_cap *cap, __u64 wire_bytes,
					  __u64 horizon_ns)
{
	struct group_pacing *pacing = bpf_map_lookup_elem(&cascade_pacing, &group);
	__u64 now, departure, delay, next;

	if (pacing == NULL) {
		struct group_pacing fresh = {};

		bpf_map_update_elem(&cascade_pacing, &group, &fresh, BPF_NOEXIST);
		pacing = bpf_map_lookup_elem(&cascade_pacing, &group);
		if (pacing == NULL) {
			count_event_table_full(1);
			return 0;
		}
	}
	if (cap->shaper_bytes_per_second == 0)
		return 0;
	now = bpf_ktime_get_ns();
	departure = skb->tstamp > now ? skb->tstamp : now;
	delay = wire_bytes * NSEC_PER_SEC / cap->shaper_bytes_per_second;
	next = READ_ONCE(pacing->next_departure_ns) + delay;
	if (next <= departure) {
		WRITE_ONCE(pacing->next_departure_ns, departure);
		return 0;
	}
	if (next - now >= horizon_ns)
		return 1;
	WRITE_ONCE(pacing->next_departure_ns, next);
	skb->tstamp = next;
	return 0;
}

SEC("tc")
int cascade_egress(struct __sk_buff *skb)
{
	__u32 zero = 0;
	const struct group_meter_config *config = bpf_map_lookup_elem(&cascade_config, &zero);
	struct packet_facts facts = {};
	struct group_meter_counters *counters;
	const struct group_cap *cap;
	__u32 group = METER_GROUP_UNATTRIBUTED;
	__u64 wire_bytes = skb->wire_len;
	__u64 segments = skb->gso_segs;
	int marked = (skb->mark & METER_MARK_TAG_MASK) == METER_MARK_TAG;

	if (config == NULL)
		return TC_ACT_UNSPEC;
	/* wire_len is the frame length the qdisc layer charges (GSO packets
	 * as their segments); it is never 0 at tc egress, but be safe. */
	if (wire_bytes == 0)
		wire_bytes = skb->len;
	if (segments == 0)
		segments = 1;
	if (marked) {
		group = skb->mark & METER_MARK_GROUP_MASK;
	} else {
		/* Only unmarked packets need their headers read. */
		read_packet_facts(skb, config->l2_header_bytes, &facts);
		if (config->port_count > 0 &&
		    (!facts.has_port || !port_is_served(config, facts.source_port)))
			return TC_ACT_UNSPEC;
		__u32 *found = NULL;

		if (facts.family == 4)
			found = bpf_map_lookup_elem(&cascade_prefix4, &facts.v4);
		else if (facts.family == 6)
			found = bpf_map_lookup_elem(&cascade_prefix6, &facts.v6);
		if (found != NULL)
			group = *found;
	}

	counters = group_counters_of(group);
	if (counters == NULL) {
		count_event_table_full(0);
		return TC_ACT_UNSPEC;
	}

	cap = bpf_map_lookup_elem(&cascade_caps, &group);
	if (cap != NULL) {
		if (config->shaper == METER_SHAPER_HTB) {
			if (group >= 1 && group <= METER_HTB_GROUP_MAX)
				skb->priority = METER_HTB_CLASS(group);
		} else if (config->shaper == METER_SHAPER_EDT &&
			   pace_departure(skb, group, cap, wire_bytes, config->horizon_ns)) {
			counters->dropped_bytes += wire_bytes;
			counters->dropped_packets += segments;
			return TC_ACT_SHOT;
		}
	}
	counters->bytes += wire_bytes;
	counters->packets += segments;
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
