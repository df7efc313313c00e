/* cascade-swarm's event loop: one epoll set holding libcurl's sockets
 * (multi socket interface, two multi handles: the second keeps the
 * connections of devices that send no cookie, apart from the small shared
 * cache), the libmicrohttpd server's epoll fd and a signalfd; a binary heap
 * of timers (sessions: periodic Informs and retries; downloads: resumes
 * after a cut; served streams: an uplink with room again, a relay's wait). Every wait is bounded by the nearest timer, so the
 * loop never stalls. */
#include "swarm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"

#define NOT_IN_HEAP ((size_t)-1)

static int signal_fd = -1;

static void heap_swap(struct swarm *swarm, size_t a, size_t b)
{
	struct device_timer *timer = swarm->heap[a];

	swarm->heap[a] = swarm->heap[b];
	swarm->heap[b] = timer;
	swarm->heap[a]->heap_index = a;
	swarm->heap[b]->heap_index = b;
}

static void heap_up(struct swarm *swarm, size_t index)
{
	while (index > 0) {
		size_t parent = (index - 1) / 2;

		if (swarm->heap[parent]->due_ms <= swarm->heap[index]->due_ms)
			break;
		heap_swap(swarm, parent, index);
		index = parent;
	}
}

static void heap_down(struct swarm *swarm, size_t index)
{
	for (;;) {
		size_t left = 2 * index + 1, right = left + 1, smallest = index;

		if (left < swarm->heap_count && swarm->heap[left]->due_ms < swarm->heap[smallest]->due_ms)
			smallest = left;
		if (right < swarm->heap_count && swarm->heap[right]->due_ms < swarm->heap[smallest]->due_ms)
			smallest = right;
		if (smallest == index)
			return;
		heap_swap(swarm, index, smallest);
		index = smallest;
	}
}

void swarm_timer_disarm(struct swarm *swarm, struct device_timer *timer)
{
	size_t index = timer->heap_index;

	if (index == NOT_IN_HEAP)
		return;
	timer->heap_index = NOT_IN_HEAP;
	swarm->heap_count--;
	if (index == swarm->heap_count)
		return;
	swarm->heap[index] = swarm->heap[swarm->heap_count];
	swarm->heap[index]->heap_index = index;
	heap_down(swarm, index);
	heap_up(swarm, index);
}

void swarm_timer_arm(struct swarm *swarm, struct device_timer *timer, uint64_t due_ms)
{
	swarm_timer_disarm(swarm, timer);
	timer->due_ms = due_ms;
	timer->heap_index = swarm->heap_count;
	swarm->heap[swarm->heap_count++] = timer;
	heap_up(swarm, timer->heap_index);
}

void swarm_unschedule(struct swarm *swarm, struct swarm_device *device)
{
	swarm_timer_disarm(swarm, &device->session_timer);
}

void swarm_schedule(struct swarm *swarm, struct swarm_device *device, uint64_t due_ms)
{
	swarm_timer_arm(swarm, &device->session_timer, due_ms);
}

/* epoll data of a curl socket: the driver's number + 1 above the fd (the
 * signalfd and the server's fd carry 0 there). */
static uint64_t socket_tag(const struct curl_driver *driver, int fd)
{
	return (uint64_t)(driver - driver->swarm->drivers + 1) << 32 | (uint32_t)fd;
}

static int socket_callback(CURL *easy, curl_socket_t socket_fd, int what, void *user, void *socket_pointer)
{
	struct curl_driver *driver = user;
	struct swarm *swarm = driver->swarm;
	struct epoll_event event = { 0 };

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(swarm->epoll_fd, EPOLL_CTL_DEL, socket_fd, NULL);
		curl_multi_assign(driver->multi, socket_fd, NULL);
		return 0;
	}
	event.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	event.data.u64 = socket_tag(driver, socket_fd);
	if (socket_pointer) {
		epoll_ctl(swarm->epoll_fd, EPOLL_CTL_MOD, socket_fd, &event);
	} else {
		epoll_ctl(swarm->epoll_fd, EPOLL_CTL_ADD, socket_fd, &event);
		curl_multi_assign(driver->multi, socket_fd, driver);
	}
	return 0;
}

static int timer_callback(CURLM *multi, long timeout_ms, void *user)
{
	struct curl_driver *driver = user;

	(void)multi;
	driver->timeout_ms = timeout_ms < 0 ? -1 : (long)monotonic_ms() + timeout_ms;
	return 0;
}

static int driver_init(struct swarm *swarm, struct curl_driver *driver, long max_connections)
{
	driver->swarm = swarm;
	driver->timeout_ms = -1;
	driver->multi = curl_multi_init();
	if (!driver->multi)
		return -ENOMEM;
	curl_multi_setopt(driver->multi, CURLMOPT_SOCKETFUNCTION, socket_callback);
	curl_multi_setopt(driver->multi, CURLMOPT_SOCKETDATA, driver);
	curl_multi_setopt(driver->multi, CURLMOPT_TIMERFUNCTION, timer_callback);
	curl_multi_setopt(driver->multi, CURLMOPT_TIMERDATA, driver);
	curl_multi_setopt(driver->multi, CURLMOPT_MAXCONNECTS, max_connections);
	return 0;
}

int swarm_loop_init(struct swarm *swarm)
{
	struct epoll_event event = { .events = EPOLLIN };
	sigset_t signals;

	swarm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (swarm->epoll_fd < 0)
		return -errno;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0)
		return -errno;
	event.data.fd = signal_fd;
	epoll_ctl(swarm->epoll_fd, EPOLL_CTL_ADD, signal_fd, &event);
	/* Every device has its own source address, so a cached connection only
	 * serves the device that opened it (its next exchange); libcurl checks
	 * every cached connection to the same host before each request, so a
	 * big cache costs more (poll() on each) than the reconnects it saves.
	 * Without own addresses setup_devices raises it (main.c). Devices that
	 * send no cookie need their connection for the whole session: they use
	 * the second multi handle, whose cache holds one per such device. */
	if (driver_init(swarm, &swarm->drivers[0], 64) < 0 ||
	    driver_init(swarm, &swarm->drivers[1], (long)swarm->options.devices + 8) < 0)
		return -ENOMEM;
	swarm->multi = swarm->drivers[0].multi;
	swarm->kept_multi = swarm->drivers[1].multi;
	swarm->heap = calloc(2 * (size_t)swarm->options.devices + SWARM_MAX_STREAMS, sizeof(*swarm->heap));
	swarm->waiting = calloc(swarm->options.devices ? swarm->options.devices : 1, sizeof(*swarm->waiting));
	if (!swarm->heap || !swarm->waiting)
		return -ENOMEM;
	return 0;
}

void swarm_loop_destroy(struct swarm *swarm)
{
	for (int i = 0; i < 2; i++)
		if (swarm->drivers[i].multi)
			curl_multi_cleanup(swarm->drivers[i].multi);
	if (swarm->epoll_fd >= 0)
		close(swarm->epoll_fd);
	if (signal_fd >= 0)
		close(signal_fd);
	free(swarm->heap);
	free(swarm->waiting);
}

static void drain_curl_messages(struct swarm *swarm)
{
	CURLMsg *message;
	int left;

	for (int i = 0; i < 2; i++)
		while ((message = curl_multi_info_read(swarm->drivers[i].multi, &left)))
			if (message->msg == CURLMSG_DONE)
				swarm_transfer_finished(swarm, message->easy_handle, message->data.result);
}

static int wait_timeout(struct swarm *swarm, uint64_t now)
{
	long timeout = 1000;

	for (int i = 0; i < 2; i++) {
		long due = swarm->drivers[i].timeout_ms;

		if (due >= 0 && (due > (long)now ? due - (long)now : 0) < timeout)
			timeout = due > (long)now ? due - (long)now : 0;
	}
	if (swarm->heap_count) {
		long due = swarm->heap[0]->due_ms > now ? (long)(swarm->heap[0]->due_ms - now) : 0;

		if (due < timeout)
			timeout = due;
	}
	if (swarm->server) {
		MHD_UNSIGNED_LONG_LONG server_timeout;

		if (MHD_get_timeout(swarm->server, &server_timeout) == MHD_YES && (long)server_timeout < timeout)
			timeout = (long)server_timeout;
	}
	return timeout > 1000 ? 1000 : (int)timeout;
}

int swarm_run(struct swarm *swarm)
{
	struct epoll_event events[512];
	int server_fd = -1, running;

	if (swarm->server) {
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(swarm->server, MHD_DAEMON_INFO_EPOLL_FD);
		struct epoll_event event = { .events = EPOLLIN };

		server_fd = info ? info->epoll_fd : -1;
		event.data.fd = server_fd;
		if (server_fd >= 0)
			epoll_ctl(swarm->epoll_fd, EPOLL_CTL_ADD, server_fd, &event);
	}
	while (!swarm->stopping) {
		uint64_t now = monotonic_ms();
		int count = epoll_wait(swarm->epoll_fd, events, 512, wait_timeout(swarm, now));

		if (count < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < count; i++) {
			uint64_t tag = events[i].data.u64;
			unsigned int driver = (unsigned int)(tag >> 32);
			int fd = (int)(uint32_t)tag, flags = 0;

			if (driver == 0 && fd == signal_fd) {
				struct signalfd_siginfo information;

				if (read(signal_fd, &information, sizeof(information)) > 0)
					swarm->stopping = true;
				continue;
			}
			if (driver == 0 || driver > 2)
				continue; /* the server's fd: served once below, after the curl sockets */
			if (events[i].events & EPOLLIN)
				flags |= CURL_CSELECT_IN;
			if (events[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			if (events[i].events & (EPOLLERR | EPOLLHUP))
				flags |= CURL_CSELECT_ERR;
			curl_multi_socket_action(swarm->drivers[driver - 1].multi, fd, flags, &running);
		}
		now = monotonic_ms();
		for (int d = 0; d < 2; d++) {
			if (swarm->drivers[d].timeout_ms >= 0 && (long)now >= swarm->drivers[d].timeout_ms) {
				swarm->drivers[d].timeout_ms = -1;
				curl_multi_socket_action(swarm->drivers[d].multi, CURL_SOCKET_TIMEOUT, 0, &running);
			}
		}
		if (swarm->server)
			MHD_run(swarm->server);
		drain_curl_messages(swarm);
		for (unsigned int fired = 0; swarm->heap_count && swarm->heap[0]->due_ms <= now && fired < 100000; fired++) {
			struct device_timer *timer = swarm->heap[0];

			swarm_timer_disarm(swarm, timer);
			if (timer->kind == TIMER_DOWNLOAD)
				swarm_download_resume_due(swarm, timer->device);
			else if (timer->kind == TIMER_STREAM)
				swarm_serve_timer_fired(swarm, timer->stream);
			else
				swarm_device_timer_fired(swarm, timer->device);
		}
		if (swarm->server && swarm->server_resumed) {
			/* resumed by a timer above: its bytes go now, not after the next wait */
			swarm->server_resumed = false;
			MHD_run(swarm->server);
		}
		swarm_start_waiting_sessions(swarm);
		if (swarm->options.duration_seconds > 0 &&
		    now - swarm->started_ms >= (uint64_t)(swarm->options.duration_seconds * 1000))
			swarm->stopping = true;
		if (swarm->options.exit_after_bootstrap && swarm->bootstrapped >= swarm->options.devices &&
		    swarm->sessions_running == 0)
			swarm->stopping = true;
	}
	return 0;
}
