/* The process's own figures for Prometheus' standard process_* metrics,
 * read from /proc/self: CPU time, memory, file descriptors, start time. */
#ifndef CASCADE_ACS_PROCESS_FIGURES_H
#define CASCADE_ACS_PROCESS_FIGURES_H

#include <stdint.h>

struct process_figures {
	double cpu_seconds;         /* user + system */
	uint64_t resident_bytes;
	uint64_t virtual_bytes;
	uint64_t open_fds;
	uint64_t max_fds;           /* RLIMIT_NOFILE's soft limit */
	double start_time_seconds;  /* unix time the process started */
};

/* Returns 0, or a negative errno when /proc could not be read (the
 * figures then hold what could be read, zeros for the rest). */
int process_figures_read(struct process_figures *figures);

#endif
