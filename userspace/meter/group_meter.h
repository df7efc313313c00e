/* The group egress meter's API, used by cascade-master (attach at start,
 * map groups), cascade-meter / cascadectl meter (inspect, caps) and tests.
 *
 * One meter per pin directory (default /sys/fs/bpf/cascade), on one
 * interface. Its state lives in the pinned maps, so any process can open it,
 * and a second attach (a daemon restart) reuses the pins: counters, prefixes
 * and caps survive. Every function returns 0 or a negative errno and, on
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

struct group_meter;

struct group_meter_options {
	const char *pin_dir;       /* NULL: METER_DEFAULT_PIN_DIR */
	const char *interface;     /* the serving interface (attach) */
	const uint16_t *ports;     /* server source ports whose unmarked packets count; */
	size_t port_count;         /* 0: count every packet (at most METER_MAX_PORTS) */
	uint32_t max_prefixes;     /* entries per prefix trie on first attach; 0: 16384 */
};

/* Loads the program (reusing the pinned maps), writes the configuration and
 * attaches it to the interface's clsact egress hook, creating clsact when
 * missing. Attaching again to the same interface replaces our filter and
 * keeps counters; caps found in the pins are applied again. */
int group_meter_attach(const struct group_meter_options *options, struct group_meter **meter,
			struct meter_error *error);
/* Opens an attached meter's pinned maps; loads nothing. */
int group_meter_open(const char *pin_dir, struct group_meter **meter, struct meter_error *error);
void group_meter_close(struct group_meter *meter);
/* Removes our tc filter, the htb root and the clsact qdisc when this meter
 * created them (clsact stays when other filters use it); with unpin, also
 * removes the pinned maps (counters are lost). Then call group_meter_close. */
int group_meter_detach(struct group_meter *meter, bool unpin, struct meter_error *error);

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

/* Caps a group at rate_bytes_per_second of payload (what a slave measures).
 * Setting it again changes the rate at once. With no fq on the interface
 * this creates the htb root ca:0 (if the root is the kernel's default) and
 * a class per capped group; on failure nothing is left half-applied. */
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
};
/* Every group with traffic or a cap, sorted by group id; fills up to
 * capacity entries and sets *count to how many exist. */
int group_meter_read(struct group_meter *meter, struct group_meter_totals *totals, size_t capacity,
		      size_t *count, struct meter_error *error);
/* One group's totals (zeros when it has no traffic yet). */
int group_meter_read_group(struct group_meter *meter, uint32_t group, struct group_meter_totals *totals,
			    struct meter_error *error);

struct group_meter_status {
	uint32_t ifindex;
	char interface[16];             /* "" when the interface is gone */
	bool attached;                  /* our filter is on the hook now */
	uint32_t program_id;
	uint32_t shaper;                /* enum meter_shaper */
	uint32_t flags;                 /* METER_CONFIG_* */
	uint32_t mtu;
	uint32_t port_count;
	uint16_t ports[8];
	uint32_t prefix_capacity;       /* entries per prefix trie */
	uint64_t group_table_full;      /* packets not counted: group_stats full */
	uint64_t pacing_table_full;
};
int group_meter_get_status(struct group_meter *meter, struct group_meter_status *status,
			    struct meter_error *error);

#endif
