/* The socket-mark layout shared by the group meter (bpf/group_meter.bpf.c)
 * and cascade-master, which marks each slave connection with its group.
 * Plain constants, no types, so any C file can include it. */
#ifndef CASCADE_BPF_METER_MARK_H
#define CASCADE_BPF_METER_MARK_H

/* Attribution by socket mark: cascade-master sets SO_MARK to
 * METER_MARK_TAG | group on each slave connection. */
#define METER_MARK_TAG_MASK   0xFF000000u
#define METER_MARK_TAG        0xCA000000u
#define METER_MARK_GROUP_MASK 0x00FFFFFFu

#define METER_GROUP_UNATTRIBUTED 0u          /* the bucket for everything else */
#define METER_GROUP_MAX          0x00FFFFFFu /* group ids are 1..METER_GROUP_MAX */

#endif
