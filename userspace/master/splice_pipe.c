/* Splice pipes as fixed files: slot pairs handed out from a free list. */
#include "master/splice_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "master/server.h"

int splice_pipes_setup(struct worker *worker, unsigned int connections)
{
	struct rlimit limit;
	uint64_t slots = (uint64_t)connections * 2 + 2;
	int result;

	/* The kernel caps one table at RLIMIT_NOFILE entries. */
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && slots > limit.rlim_cur)
		slots = limit.rlim_cur;
	slots &= ~1ull;
	worker->free_pairs = malloc((slots / 2) * sizeof(worker->free_pairs[0]));
	if (worker->free_pairs == NULL)
		return -ENOMEM;
	result = io_uring_register_files_sparse(&worker->ring, (unsigned int)slots);
	if (result != 0) {
		log_warn("event loop %u: no fixed-file table (%s); pipes use descriptors",
			 worker->index, strerror(-result));
		return 0;
	}
	worker->free_pair_count = (unsigned int)(slots / 2);
	for (unsigned int i = 0; i < worker->free_pair_count; i++)
		worker->free_pairs[i] = worker->free_pair_count - 1 - i;
	return 0;
}

void splice_pipes_teardown(struct worker *worker)
{
	free(worker->free_pairs);
	worker->free_pairs = NULL;
	worker->free_pair_count = 0;
}

void splice_pipe_reset(struct splice_pipe *pipe)
{
	pipe->read_fd = -1;
	pipe->write_fd = -1;
	pipe->fixed = false;
	pipe->capacity = 0;
}

int splice_pipe_open(struct worker *worker, struct splice_pipe *pipe, uint64_t size)
{
	int fds[2];
	int capacity;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	/* A bigger pipe moves more per splice pair; a refused size (quota)
	 * only means smaller steps. */
	capacity = fcntl(fds[1], F_SETPIPE_SZ, (int)size); /* the size it got */
	if (capacity < 0)
		capacity = fcntl(fds[1], F_GETPIPE_SZ);
	pipe->capacity = capacity > 0 ? (uint32_t)capacity : 65536;
	pipe->read_fd = fds[0];
	pipe->write_fd = fds[1];
	pipe->fixed = false;
	if (worker->free_pair_count > 0) {
		unsigned int pair = worker->free_pairs[worker->free_pair_count - 1];

		if (io_uring_register_files_update(&worker->ring, pair * 2, fds, 2) == 2) {
			worker->free_pair_count--;
			close(fds[0]);
			close(fds[1]);
			pipe->read_fd = (int)(pair * 2);
			pipe->write_fd = (int)(pair * 2 + 1);
			pipe->fixed = true;
		}
	}
	return 0;
}

void splice_pipe_close(struct worker *worker, struct splice_pipe *pipe)
{
	if (pipe->read_fd < 0)
		return;
	if (pipe->fixed) {
		int empty[2] = { -1, -1 };

		if (worker->ring_ready)
			io_uring_register_files_update(&worker->ring, (unsigned int)pipe->read_fd,
						       empty, 2);
		worker->free_pairs[worker->free_pair_count++] = (unsigned int)pipe->read_fd / 2;
	} else {
		close(pipe->read_fd);
		close(pipe->write_fd);
	}
	splice_pipe_reset(pipe);
}
