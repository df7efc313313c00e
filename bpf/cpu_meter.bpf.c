// SPDX-License-Identifier: GPL-2.0 OR MIT
/* CPU occupancy meter: on every context switch, charge the time the CPU has
 * spent running a non-idle task (pid != 0) since the previous switch to that
 * CPU's busy counter, and remember whether the task now switched in is busy,
 * so userspace can add the still-running stretch when it samples. Userspace
 * turns two samples into occupancy over the interval (userspace/meter/).
 * Kernel names: map cascade_cpu, program cascade_switch (its link is pinned
 * as cascade_cpulink). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "meter_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_busy);
} cascade_cpu SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(cascade_switch, bool preempt, struct task_struct *previous, struct task_struct *next)
{
	__u32 zero = 0;
	struct cpu_busy *busy = bpf_map_lookup_elem(&cascade_cpu, &zero);
	__u64 now = bpf_ktime_get_ns();

	if (busy == NULL)
		return 0;
	if (busy->last_switch_ns != 0 && previous->pid != 0 && now > busy->last_switch_ns)
		busy->busy_ns += now - busy->last_switch_ns;
	busy->last_switch_ns = now;
	busy->running_busy = next->pid != 0;
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
