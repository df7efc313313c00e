/* Kernel objects as both meters see them: libbpf's log routed to cascade's,
 * per-CPU values summed, map capacities, and identities (the network
 * namespace, map and program ids, which maps a loaded program uses) that
 * tell whose filter or link is whose. */
#ifndef CASCADE_METER_OBJECTS_H
#define CASCADE_METER_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libbpf logs go to cascade's log at debug level (set once per process). */
void meter_route_libbpf_logs(void);
/* Number of possible CPUs, the length of a per-CPU map value array. */
int meter_possible_cpus(void);
/* Looks up key in a per-CPU map whose value is `words` __u64 counters and
 * adds each CPU's counters into sums[0..words-1]. -ENOENT when absent. */
int meter_sum_percpu(int map_fd, const void *key, unsigned long long *sums, size_t words);
/* max_entries of the map behind map_fd, 0 when it cannot be read. */
unsigned int meter_map_capacity(int map_fd);

/* Kernel object identity. The network namespace this process runs in (the
 * inode number `ls -l /proc/self/ns/net` shows), 0 when unknown. */
uint64_t meter_netns_inode(void);
/* Id of the map behind map_fd, 0 when unknown. */
uint32_t meter_map_id(int map_fd);
/* Id of the program behind program_fd, 0 when unknown. */
uint32_t meter_program_id(int program_fd);
/* The program behind a BPF link fd; 0 when unknown. */
uint32_t meter_link_program_id(int link_fd);
/* Name and map ids of the program with id program_id (up to capacity ids;
 * *count is how many it uses). -ENOENT when no such program is loaded. */
int meter_program_maps(uint32_t program_id, char name[16], uint32_t *map_ids, uint32_t capacity,
		       uint32_t *count);
/* The program with id program_id is loaded and uses the map map_id. */
bool meter_program_uses_map(uint32_t program_id, uint32_t map_id);

#endif
