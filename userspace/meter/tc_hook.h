/* The meters' tc filters on an interface's clsact egress hook, through
 * libbpf's bpf_tc_* calls: create clsact, attach at a given priority
 * (exclusively, so two meters never take the same slot, or replacing our
 * own filter in place), query, detach. */
#ifndef CASCADE_METER_TC_HOOK_H
#define CASCADE_METER_TC_HOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "meter/meter_error.h"

/* A meter's filter has handle = priority. The first meter on an interface
 * takes 3237 (0xca5): `tc filter show dev IF egress` lists it as
 * "pref 3237 bpf ... handle 0xca5 cascade_egress direct-action"; another
 * pin directory's meter takes the next free one. */
#define METER_TC_FIRST_PRIORITY 0xCA5u
#define METER_TC_PRIORITY_COUNT 64u

/* Creates the clsact qdisc when missing; *created tells whether we did. */
int tc_hook_create(uint32_t ifindex, bool *created, struct meter_error *error);
/* Removes the clsact qdisc (its filters go with it) when no filter is left
 * on it. */
int tc_hook_destroy_if_unused(uint32_t ifindex, struct meter_error *error);
/* Attaches program_fd at priority (handle = priority). replace: put it in
 * place of the filter there; otherwise -EEXIST (no message) when the slot
 * is taken. */
int tc_hook_attach(uint32_t ifindex, uint32_t priority, int program_fd, bool replace, struct meter_error *error);
/* Fills *program_id of the filter at priority; -ENOENT when none. */
int tc_hook_query(uint32_t ifindex, uint32_t priority, uint32_t *program_id);
/* Removes the filter at priority (absent is fine). */
int tc_hook_detach(uint32_t ifindex, uint32_t priority, struct meter_error *error);

#endif
