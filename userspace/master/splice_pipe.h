/* Pipes for the splice path. Each is created with pipe2, sized, then
 * installed in the ring's fixed-file table (a "direct descriptor" pair) and
 * its ordinary descriptors closed, so 10,000 sending connections cost
 * 10,000 descriptors (their sockets), not 30,000: the process limit stays
 * reachable without CAP_SYS_RESOURCE. When the table is full the pipe keeps
 * ordinary descriptors. */
#ifndef CASCADE_MASTER_SPLICE_PIPE_H
#define CASCADE_MASTER_SPLICE_PIPE_H

#include <stdbool.h>
#include <stdint.h>

struct worker;

struct splice_pipe {
	int read_fd;          /* fixed-file index when fixed, else a descriptor; -1: none */
	int write_fd;
	bool fixed;
	uint32_t capacity;
};

/* Sizes the ring's fixed-file table for connections (two slots each). */
int splice_pipes_setup(struct worker *worker, unsigned int connections);
void splice_pipes_teardown(struct worker *worker);

void splice_pipe_reset(struct splice_pipe *pipe);
int splice_pipe_open(struct worker *worker, struct splice_pipe *pipe, uint64_t size);
void splice_pipe_close(struct worker *worker, struct splice_pipe *pipe);

#endif
