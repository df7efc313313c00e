/* The meter's tc filter on an interface's clsact egress hook, through
 * libbpf's bpf_tc_* calls: attach (creating clsact when missing, replacing
 * our own earlier filter so a second start is idempotent), query, detach. */
#ifndef CASCADE_METER_TC_HOOK_H
#define CASCADE_METER_TC_HOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "meter/meter_error.h"

/* Our filter's identity on the hook: `tc filter show dev IF egress` lists
 * it as "pref 3237 bpf ... handle 0xca5 group_egress direct-action". */
#define METER_TC_HANDLE   0xCA5u
#define METER_TC_PRIORITY 0xCA5u

/* *created_clsact is set when this call created the clsact qdisc. */
int tc_hook_attach(uint32_t ifindex, int program_fd, bool *created_clsact, struct meter_error *error);
/* Fills *program_id of our filter; -ENOENT when it is not there. */
int tc_hook_query(uint32_t ifindex, uint32_t *program_id);
/* Removes our filter (absent is fine); with remove_clsact, then removes the
 * clsact qdisc too, unless someone else's filters sit on it. */
int tc_hook_detach(uint32_t ifindex, bool remove_clsact, struct meter_error *error);

#endif
