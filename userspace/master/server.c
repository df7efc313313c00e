/* Server start and stop: file descriptor limit, the first image table,
 * one SO_REUSEPORT listening socket per event loop (port 0 resolved once so
 * all loops share it), the loops' threads, and teardown after they end. */
#include "master/server.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"

/* Per connection: its socket (splice pipes live in the rings' fixed-file
 * tables, see splice_pipe.h); plus room for
 * connections answered 503, images, rings and the rest. */
#define DESCRIPTORS_PER_CONNECTION 1
#define DESCRIPTORS_SPARE          1024

/* Raises RLIMIT_NOFILE for max_connections; when the hard limit cannot be
 * raised (not root), lowers max_connections to what fits and says so. */
static void raise_file_limit(struct master_config *config)
{
	struct rlimit limit;
	rlim_t wanted = (rlim_t)config->max_connections * DESCRIPTORS_PER_CONNECTION +
			DESCRIPTORS_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return;
	if (limit.rlim_cur >= wanted)
		return;
	if (limit.rlim_max < wanted) {
		struct rlimit raised = { wanted, wanted };

		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			return;
	}
	limit.rlim_cur = limit.rlim_max < wanted ? limit.rlim_max : wanted;
	setrlimit(RLIMIT_NOFILE, &limit);
	if (limit.rlim_cur < wanted) {
		unsigned int fitting = (unsigned int)((limit.rlim_cur > DESCRIPTORS_SPARE * 2
						       ? limit.rlim_cur - DESCRIPTORS_SPARE
						       : limit.rlim_cur / 2) /
						      DESCRIPTORS_PER_CONNECTION);

		log_warn("open file limit %" PRIu64 " is too low for %u connections; serving at most %u",
			 (uint64_t)limit.rlim_cur, config->max_connections, fitting);
		config->max_connections = fitting > 0 ? fitting : 1;
	}
}

/* A fixed send buffer, set on the listener so every accepted connection
 * inherits it (tcp(7)). Past net.core.wmem_max SO_SNDBUF is capped;
 * SO_SNDBUFFORCE (CAP_NET_ADMIN) gets the size asked for, else the cap
 * stands and is reported. Why a fixed buffer: docs/master.md. */
static int set_send_buffer(int fd, uint64_t size)
{
	int wanted = (int)size;
	int effective = 0;
	socklen_t length = sizeof(effective);

	if (size == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &wanted, sizeof(wanted)) != 0)
		return -errno;
	/* the kernel doubles the value for its bookkeeping */
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &effective, &length) == 0 &&
	    (uint64_t)effective < 2 * size &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &wanted, sizeof(wanted)) != 0)
		log_warn("send buffer capped at %d bytes by net.core.wmem_max (asked %" PRIu64 ")",
			 effective / 2, size);
	return 0;
}

static int open_listener(const struct sockaddr_storage *address, socklen_t length,
			 uint64_t send_buffer, const struct congestion_choice *congestion)
{
	int one = 1;
	int fd = socket(address->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    set_send_buffer(fd, send_buffer) != 0 ||
	    congestion_apply(fd, congestion) != 0 ||
	    bind(fd, (const struct sockaddr *)address, length) != 0 || listen(fd, 65535) != 0) {
		int error = -errno;

		close(fd);
		return error;
	}
	return fd;
}

/* Listening sockets for every loop; the first resolves port 0. */
static int open_listeners(struct server *server)
{
	struct sockaddr_storage address = server->config.listen_address;
	socklen_t length = server->config.listen_length;
	char text[64];

	for (unsigned int i = 0; i < server->worker_count; i++) {
		int fd = open_listener(&address, length, server->config.send_buffer,
					 &server->config.congestion);

		if (fd < 0) {
			format_socket_address((struct sockaddr *)&address, text, sizeof(text));
			log_error("cannot listen on %s: %s", text, strerror(-fd));
			return fd;
		}
		server->workers[i].listen_fd = fd;
		if (i == 0) {
			length = sizeof(address);
			if (getsockname(fd, (struct sockaddr *)&address, &length) != 0)
				return -errno;
		}
	}
	server->listen_port = ntohs(address.ss_family == AF_INET6
					    ? ((struct sockaddr_in6 *)&address)->sin6_port
					    : ((struct sockaddr_in *)&address)->sin_port);
	format_socket_address((struct sockaddr *)&address, text, sizeof(text));
	log_info("listening on %s (%u event loops, %s, send mode %s, congestion control %s)", text,
		 server->worker_count, server->config.origin ? "origin" : "master",
		 send_mode_name(server->config.send_mode), server->config.congestion.in_effect);
	return 0;
}

static int start_workers(struct server *server)
{
	for (unsigned int i = 0; i < server->worker_count; i++) {
		struct worker *worker = &server->workers[i];
		int result = pthread_create(&worker->thread, NULL, worker_main, worker);

		if (result != 0) {
			log_error("cannot start event loop %u: %s", i, strerror(result));
			return -result;
		}
		worker->thread_started = true;
		sem_wait(&server->workers_started);
		if (worker->setup_result != 0) {
			log_error("event loop %u: io_uring setup failed: %s", i,
				  strerror(-worker->setup_result));
			return worker->setup_result;
		}
	}
	return 0;
}

int server_start(struct server *server, const struct master_config *config)
{
	struct reload_result reload;
	int result;

	memset(server, 0, sizeof(*server));
	server->config = *config;
	server->pipe_size = config->pipe_size;
	server->reload_fd = -1;
	server->finished_fd = -1;
	sem_init(&server->workers_started, 0, 0);
	stats_init(&server->stats);
	raise_file_limit(&server->config);
	result = address_limit_init(&server->address_limit, config->max_connections_per_address);
	if (result != 0)
		return result;
	result = image_store_init(&server->store, &server->config, &server->stats);
	if (result != 0)
		return result;
	result = relay_init(&server->relay, &server->config, &server->store);
	server->store.relay = &server->relay;
	if (result != 0)
		return result;
	result = image_store_reload(&server->store, &reload);
	if (result != 0) {
		log_error("cannot read images from %s: %s", config->images, strerror(-result));
		return result;
	}
	log_info("%zu images served from %s (%zu listed but refused)", reload.served,
		 config->images, reload.rejected);
	server->reload_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	server->finished_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (server->reload_fd < 0 || server->finished_fd < 0)
		return -errno;
	server->worker_count = config->threads;
	server->workers = aligned_alloc(16, sizeof(struct worker) * server->worker_count);
	if (server->workers == NULL)
		return -ENOMEM;
	memset(server->workers, 0, sizeof(struct worker) * server->worker_count);
	for (unsigned int i = 0; i < server->worker_count; i++) {
		server->workers[i].server = server;
		server->workers[i].index = i;
		server->workers[i].listen_fd = -1;
		server->workers[i].wake_fd = -1;
		send_gate_init(&server->workers[i].send_gate);
	}
	result = open_listeners(server);
	if (result != 0)
		return result;
	master_group_meter_start(&server->group_meter, &server->config, server->listen_port);
	master_cpu_meter_start(&server->cpu_meter, &server->config);
	result = relay_start(&server->relay);
	if (result != 0)
		return result;
	return start_workers(server);
}

void server_wake_workers(struct server *server)
{
	uint64_t one = 1;

	for (unsigned int i = 0; i < server->worker_count; i++) {
		if (server->workers[i].wake_fd >= 0 &&
		    write(server->workers[i].wake_fd, &one, sizeof(one)) < 0)
			log_error("cannot wake event loop %u: %s", i, strerror(errno));
	}
}

void server_stop(struct server *server)
{
	if (server->workers != NULL) {
		/* Loops that are still running (start failed half-way) are told to
		 * stop now. */
		__atomic_store_n(&server->stopping, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&server->cutting, 1, __ATOMIC_RELEASE);
		server_wake_workers(server);
		for (unsigned int i = 0; i < server->worker_count; i++) {
			if (server->workers[i].thread_started)
				pthread_join(server->workers[i].thread, NULL);
			worker_teardown(&server->workers[i]);
		}
		free(server->workers);
		server->workers = NULL;
	}
	master_cpu_meter_stop(&server->cpu_meter);
	master_group_meter_stop(&server->group_meter);
	/* After the loops: no connection holds a receiving image any more. */
	if (server->store.relay != NULL)
		relay_destroy(&server->relay);
	image_store_destroy(&server->store);
	address_limit_destroy(&server->address_limit);
	stats_destroy(&server->stats);
	if (server->reload_fd >= 0)
		close(server->reload_fd);
	if (server->finished_fd >= 0)
		close(server->finished_fd);
	sem_destroy(&server->workers_started);
}
