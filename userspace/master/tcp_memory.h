/* The host's TCP memory as the kernel counts it (for /-/stats and
 * /metrics): the pages every TCP socket holds, the thresholds of
 * net.ipv4.tcp_mem, and how often and how long the kernel was under TCP
 * memory pressure, when it shrinks every socket's buffers and windows.
 * Thousands of slaves on a gateway with little memory get there first. */
#ifndef CASCADE_MASTER_TCP_MEMORY_H
#define CASCADE_MASTER_TCP_MEMORY_H

#include <stdint.h>

struct tcp_memory {
	uint64_t pages;                 /* /proc/net/sockstat: TCP ... mem */
	uint64_t low_pages;             /* tcp_mem[0]: pressure ends below it */
	uint64_t pressure_pages;        /* tcp_mem[1]: pressure starts above it */
	uint64_t limit_pages;           /* tcp_mem[2]: sockets refused memory above it */
	uint64_t pressure_events;       /* TcpExt TCPMemoryPressures (this network namespace) */
	uint64_t pressure_milliseconds; /* TcpExt TCPMemoryPressuresChrono */
};

/* Reads proc_root/net/sockstat, proc_root/sys/net/ipv4/tcp_mem and
 * proc_root/net/netstat (proc_root: "/proc"). Returns 0, -ENOENT (or
 * another errno) when a file cannot be read, -EINVAL when one does not
 * hold what it should. */
int tcp_memory_read(const char *proc_root, struct tcp_memory *memory);
/* The pages every TCP socket holds, from /proc/net/sockstat's text (the
 * "TCP: ... mem N" line, wherever it is). 0 or -EINVAL. */
int tcp_memory_parse_sockstat(const char *text, uint64_t *pages);
/* Bytes in one of the pages the kernel counts TCP memory in. */
uint64_t tcp_memory_page_bytes(void);

#endif
