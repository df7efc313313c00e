/* The group egress meter's API, used by cascade-master (attach at start,
 * map groups), cascade-meter / cascadectl meter (inspect, caps) and tests.
 *
 * One meter per pin directory (default /sys/fs/bpf/cascade), on one
 * interface. Its state lives in the pinned maps, so any process can open it,
 * and a second attach (a daemon restart) reuses the pins: counters, prefixes,
 * caps and registered ports survive. Every change holds the pin directory's
 * lock, so concurrent attaches of any mix of processes end in one filter
 * running on the pinned maps. Meters of other pin directories on the same
 * interface coexist: each has its own tc filter (priority = handle, from
 * 3237 = 0xca5 up), and each counts every packet; caps on an interface
 * belong to one meter. Every function returns 0 or a negative errno and, on
 * failure, fills error (when not NULL) with one line naming cause and fix;
 * a caller that cannot attach carries on without meters. Groups are
 * 1..16777215; group 0 is the unattributed bucket.
 *
 *   struct meter_error error;
 *   struct group_meter *meter;
 *   struct group_meter_options options = { .interface = "lo", .ports = (uint16_t[]){8080}, .port_count = 1 };
 *   if (group_meter_attach(&options, &meter, &error) < 0)
 *           log_warn("serving without meters: %s", error.message);
 */
#ifndef CASCADE_METER_GROUP_METER_H
#define CASCADE_METER_GROUP_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meter/meter_error.h"
#include "meter/meter_pins.h"
#include "meter_types.h"

struct group_meter;

struct group_meter_options {
	const char *pin_dir;       /* NULL: METER_DEFAULT_PIN_DIR */
	const char *interface;     /* the serving interface (attach) */
	const uint16_t *ports;     /* server source ports to count, added to those */
	size_t port_count;         /* already registered (at most METER_MAX_PORTS) */
	uint32_t max_prefixes;     /* entries per prefix trie on first attach; 0: 16384 */
};

/* Loads the program (reusing the pinned maps), registers the ports and
 * attaches it to the interface's clsact egress hook, creating clsact when
 * missing. Attaching again to the same interface replaces our own filter
 * in place and keeps counters; caps found in the pins are applied again.
 * Ports add up: a meter that counts every packet keeps doing so, and more
 * than METER_MAX_PORTS ports make it count every packet (logged). */
int group_meter_attach(const struct group_meter_options *options, struct group_meter **meter,
		       struct meter_error *error);
/* Opens an attached meter's pinned maps; loads nothing. */
int group_meter_open(const char *pin_dir, struct group_meter **meter, struct meter_error *error);
void group_meter_close(struct group_meter *meter);
const char *group_meter_pin_dir(const struct group_meter *meter);
/* Removes our tc filter, the htb root and the clsact qdisc when this meter
 * created them (clsact stays while other filters use it) and forgets the
 * registered ports; with unpin, also removes the pinned maps (counters are
 * lost) and the pin directory. Refused from another network namespace
 * while the filter lives there. Then call group_meter_close. */
int group_meter_detach(struct group_meter *meter, bool unpin, struct meter_error *error);
/* For a pin directory that cannot be opened as a meter: removes the pins an
 * older cascade build left (group_stats, meter_config, ...) and the tc
 * filter they ran (program group_egress), and whatever group meter pins are
 * left (an incomplete set, or another layout). */
int group_meter_remove_leftovers(const char *pin_dir, struct meter_error *error);
/* Stops counting unmarked packets from port (-ENOENT when not registered). */
int group_meter_remove_port(struct group_meter *meter, uint16_t port, struct meter_error *error);

/* Destination prefix -> group ("10.1.0.0/16", "fd00::/64", "10.1.2.3"). */
int group_meter_set_prefix(struct group_meter *meter, const char *prefix, uint32_t group,
			   struct meter_error *error);
int group_meter_remove_prefix(struct group_meter *meter, const char *prefix, struct meter_error *error);

struct group_meter_prefix {
	char prefix[64];
	uint32_t group;
};
/* Fills up to capacity entries; *count is how many exist. */
int group_meter_list_prefixes(struct group_meter *meter, struct group_meter_prefix *entries,
			      size_t capacity, size_t *count, struct meter_error *error);

/* Caps a group's total rate (all its slaves together) at
 * rate_bytes_per_second of payload. Setting it again changes the rate at
 * once. With no fq on the interface this creates the htb root ca:0 (if the
 * root is the kernel's default) and the group's class ca:N (N = the group,
 * so groups 1..65534); on failure nothing is left half-applied. Refused
 * when another meter on the interface holds caps. */
int group_meter_set_cap(struct group_meter *meter, uint32_t group, uint64_t rate_bytes_per_second,
			struct meter_error *error);
/* Removes the cap (and the htb root with the last cap, if we made it). */
int group_meter_clear_cap(struct group_meter *meter, uint32_t group, struct meter_error *error);

struct group_meter_totals {
	uint32_t group;
	uint64_t bytes;                 /* frame bytes out, all CPUs summed */
	uint64_t packets;               /* segments out */
	uint64_t dropped_bytes;         /* EDT horizon drops */
	uint64_t dropped_packets;
	uint64_t shaper_dropped_packets;/* drops in the group's htb class queue */
	uint64_t cap_bytes_per_second;  /* 0: not capped */
	char htb_class[8];              /* "ca:7" when htb shapes it, else "" */
	bool class_present;             /* that class exists in the kernel now */
};
/* Every group with traffic or a cap, sorted by group id; fills up to
 * capacity entries and sets *count to how many exist. */
int group_meter_read(struct group_meter *meter, struct group_meter_totals *totals, size_t capacity,
		     size_t *count, struct meter_error *error);
/* One group's totals (zeros when it has no traffic yet). */
int group_meter_read_group(struct group_meter *meter, uint32_t group, struct group_meter_totals *totals,
			   struct meter_error *error);

/* How caps are enforced right now, as the kernel shows it. */
enum group_meter_shaper_state {
	GROUP_METER_SHAPER_IDLE = 0,        /* no caps: nothing to enforce */
	GROUP_METER_SHAPER_ENFORCING,       /* htb root ca: ours and present, or fq (EDT) */
	GROUP_METER_SHAPER_ROOT_MISSING,    /* caps set, but the htb root ca: is gone */
	GROUP_METER_SHAPER_UNAVAILABLE,     /* someone else's root qdisc: caps refused */
};

#define GROUP_METER_OTHERS_MAX 8

/* Another meter (or an older cascade build's filter) on the same hook. */
struct group_meter_other {
	char pin_dir[METER_PIN_DIR_SIZE];   /* "" when unknown */
	uint32_t tc_priority;
	uint32_t program_id;
	uint32_t cap_count;
};

struct group_meter_status {
	char pin_dir[METER_PIN_DIR_SIZE];
	uint32_t ifindex;
	char interface[16];             /* "" when the interface is gone (or in another namespace) */
	char attached_interface[16];    /* the name it had when attached */
	bool attached;                  /* our filter is on the hook and runs on our maps */
	bool same_namespace;            /* attached in this network namespace */
	char problem[200];              /* why not attached when it was ("" when fine) */
	uint64_t netns_inode;
	uint32_t program_id;
	uint32_t tc_priority;           /* our filter: pref ... */
	uint32_t tc_handle;             /* ... handle */
	uint32_t shaper;                /* enum meter_shaper */
	enum group_meter_shaper_state shaper_state;
	char root_qdisc[48];            /* "htb ca:", "fq", "noqueue", ... as seen now */
	uint32_t cap_count;
	uint32_t flags;                 /* METER_CONFIG_* */
	uint32_t mtu;
	uint32_t port_count;            /* 0: every packet is counted */
	uint16_t ports[8];
	uint32_t prefix_capacity;       /* entries per prefix trie */
	uint64_t group_table_full;      /* packets not counted: cascade_stats full */
	uint64_t pacing_table_full;
	uint32_t map_ids[7];            /* the pinned maps, in the order of group_meter_map_name() */
	size_t other_count;
	struct group_meter_other others[GROUP_METER_OTHERS_MAX];
};
int group_meter_get_status(struct group_meter *meter, struct group_meter_status *status,
			   struct meter_error *error);
/* Name of map index (0..6) as in map_ids: "cascade_stats", ... */
const char *group_meter_map_name(unsigned int index);
const char *group_meter_shaper_state_name(enum group_meter_shaper_state state);

#endif
