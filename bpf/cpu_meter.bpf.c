// SPDX-License-Identifier: GPL-2.0 OR MIT
/* CPU occupancy meter: on every context switch, charge the time the CPU
 * spent running a non-idle task to that CPU's busy counter. Userspace reads
 * two snapshots and turns the busy delta into occupancy. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct cpu_busy {
	__u64 busy_ns;          /* nanoseconds spent in non-idle tasks */
	__u64 last_switch_ns;   /* when the running task was switched in */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_busy);
} cpu_busy SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *previous, struct task_struct *next)
{
	__u32 zero = 0;
	struct cpu_busy *busy = bpf_map_lookup_elem(&cpu_busy, &zero);
	__u64 now = bpf_ktime_get_ns();

	if (busy == NULL)
		return 0;
	if (previous->pid != 0 && busy->last_switch_ns != 0)
		busy->busy_ns += now - busy->last_switch_ns;
	busy->last_switch_ns = now;
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
