/* The control loop on the main thread: signals (SIGHUP reloads, SIGTERM
 * and SIGINT drain then stop; a second one stops at once), inotify on the
 * image folder (SHA256SUMS replaced or rewritten: reload), reload requests
 * from POST /-/reload or from a loop that found an image changed on disk
 * (re-verify), and the grace deadline. Reloads run here so hashing
 * a new image never stalls an event loop. */
#include "master/server.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_limit.h"

/* Changes to SHA256SUMS settle this long before a reload. */
#define RELOAD_SETTLE_MS 50

struct control {
	struct server *server;
	int signal_fd;
	int inotify_fd;
	uint64_t reload_due_ms;       /* 0: none pending */
	uint64_t grace_deadline_ms;   /* 0: not stopping */
	unsigned int finished;
};

static void reload(struct control *control, const char *why)
{
	struct server *server = control->server;
	struct reload_result result;
	/* Requests made from here on are answered by the next reload. */
	uint64_t answered = __atomic_load_n(&server->reload_requested, __ATOMIC_ACQUIRE);
	uint64_t started = monotonic_ms();

	control->reload_due_ms = 0;
	if (image_store_reload(&server->store, &result) == 0) {
		stats_add(&server->stats.reloads, 1);
		log_info("reloaded images (%s): %zu served, %zu refused, %" PRIu64
			 " hashed, generation %" PRIu64 ", %" PRIu64 " ms",
			 why, result.served, result.rejected, result.hashed, result.generation,
			 monotonic_ms() - started);
	} else {
		stats_add(&server->stats.reload_failures, 1);
		log_error_limited("reload (%s) failed: %s; still serving the previous images", why,
				  strerror(-result.error));
	}
	__atomic_store_n(&server->last_reload_error, result.error, __ATOMIC_RELAXED);
	__atomic_store_n(&server->reload_completed, answered, __ATOMIC_RELEASE);
	server_wake_workers(server);
}

static void begin_stopping(struct control *control, int signal_number)
{
	struct server *server = control->server;

	if (control->grace_deadline_ms != 0) {
		log_warn("second %s: stopping now", strsignal(signal_number));
		__atomic_store_n(&server->cutting, 1, __ATOMIC_RELEASE);
		server_wake_workers(server);
		return;
	}
	log_info("%s: no new connections; letting transfers finish for up to %" PRIu64 " ms",
		 strsignal(signal_number), server->config.grace_ms);
	control->grace_deadline_ms = monotonic_ms() + server->config.grace_ms;
	if (control->grace_deadline_ms == 0)
		control->grace_deadline_ms = 1;
	__atomic_store_n(&server->stopping, 1, __ATOMIC_RELEASE);
	server_wake_workers(server);
}

static void read_signals(struct control *control)
{
	struct signalfd_siginfo information;

	while (read(control->signal_fd, &information, sizeof(information)) ==
	       (ssize_t)sizeof(information)) {
		if (information.ssi_signo == SIGHUP)
			reload(control, "SIGHUP");
		else
			begin_stopping(control, (int)information.ssi_signo);
	}
}

static void read_inotify(struct control *control)
{
	char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t length;

	while ((length = read(control->inotify_fd, buffer, sizeof(buffer))) > 0) {
		for (char *cursor = buffer; cursor < buffer + length;) {
			struct inotify_event *event = (struct inotify_event *)cursor;

			if (event->len > 0 && strcmp(event->name, MANIFEST_FILE_NAME) == 0 &&
			    control->reload_due_ms == 0)
				control->reload_due_ms = monotonic_ms() + RELOAD_SETTLE_MS;
			if (event->mask & IN_Q_OVERFLOW)
				control->reload_due_ms = monotonic_ms() + RELOAD_SETTLE_MS;
			cursor += sizeof(*event) + event->len;
		}
	}
}

static int setup(struct control *control, struct server *server)
{
	sigset_t signals;

	memset(control, 0, sizeof(*control));
	control->server = server;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	control->signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
	if (control->signal_fd < 0)
		return -errno;
	control->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (control->inotify_fd < 0 ||
	    inotify_add_watch(control->inotify_fd, server->config.images,
			      IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM) < 0)
		log_warn("cannot watch %s (%s): reload with SIGHUP or POST /-/reload",
			 server->config.images, strerror(errno));
	return 0;
}

/* poll timeout until the next reload or deadline, in ms (-1: none). */
static int next_timeout(const struct control *control)
{
	uint64_t now = monotonic_ms();
	uint64_t next = 0;

	if (control->reload_due_ms != 0)
		next = control->reload_due_ms;
	if (control->grace_deadline_ms != 0 && !control->server->cutting &&
	    (next == 0 || control->grace_deadline_ms < next))
		next = control->grace_deadline_ms;
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

int control_run(struct server *server)
{
	struct control control;
	int result = setup(&control, server);

	if (result != 0) {
		log_error("control loop: %s", strerror(-result));
		return 1;
	}
	while (control.finished < server->worker_count) {
		struct pollfd descriptors[4] = {
			{ control.signal_fd, POLLIN, 0 },
			{ server->reload_fd, POLLIN, 0 },
			{ server->finished_fd, POLLIN, 0 },
			{ control.inotify_fd, POLLIN, 0 },
		};
		uint64_t count;
		int ready = poll(descriptors, control.inotify_fd >= 0 ? 4 : 3, next_timeout(&control));

		if (ready < 0 && errno != EINTR) {
			log_error_limited("control loop: poll: %s", strerror(errno));
			break;
		}
		if (descriptors[0].revents & POLLIN)
			read_signals(&control);
		if ((descriptors[1].revents & POLLIN) &&
		    read(server->reload_fd, &count, sizeof(count)) == sizeof(count))
			reload(&control, __atomic_exchange_n(&server->reverify_requested, 0,
							     __ATOMIC_ACQ_REL)
						 ? "an image changed on disk" : "POST /-/reload");
		if ((descriptors[2].revents & POLLIN) &&
		    read(server->finished_fd, &count, sizeof(count)) == sizeof(count))
			control.finished += (unsigned int)count;
		if (control.inotify_fd >= 0 && (descriptors[3].revents & POLLIN))
			read_inotify(&control);
		if (control.reload_due_ms != 0 && monotonic_ms() >= control.reload_due_ms)
			reload(&control, "SHA256SUMS changed");
		if (control.grace_deadline_ms != 0 && !server->cutting &&
		    monotonic_ms() >= control.grace_deadline_ms) {
			__atomic_store_n(&server->cutting, 1, __ATOMIC_RELEASE);
			server_wake_workers(server);
		}
	}
	close(control.signal_fd);
	if (control.inotify_fd >= 0)
		close(control.inotify_fd);
	log_info("stopped: %" PRIu64 " connections served, %" PRIu64 " body bytes sent",
		 stats_read(&server->stats.connections_accepted),
		 stats_read(&server->stats.bytes_sent));
	return 0;
}
