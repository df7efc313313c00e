/* What a simulated file server sends: GET /d/N/images/NAME streams device
 * N's image with Range, whole or, while the device still receives it and
 * relays (relay.c), with the full Content-Length and only the pieces it
 * has checked: a reader past them waits (suspended) until more are
 * checked, and is cut after --relay-wait-timeout without any. Every
 * device's sending is held to --upload-rate across its readers (a token
 * bucket with 50 ms of burst; a reader over it is suspended until its
 * bytes are due): the emulated gateway uplink. GET /d/N/pieces/NAME is the
 * piece list it checks against; GET /d/N/-/stats its bytes sent and CPU
 * occupancy, as cascade-master's /-/stats gives them, for the controller.
 * A --corrupt-servers device flips the image's middle byte as it sends it. */
#include "swarm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define BLOCK_BYTES (64 * 1024)

struct served_stream {
	struct swarm *swarm;
	struct swarm_device *device;
	struct MHD_Connection *connection;
	char *image;
	int fd;
	uint64_t start, size;      /* first byte sent, the image's size */
	bool suspended, broken;
	uint64_t waiting_since_ms; /* waiting for checked bytes since, 0: not */
	struct device_timer timer;
	struct served_stream *previous, *next; /* the device's streams */
};

static bool holds_whole(const struct swarm_device *device, const char *image)
{
	return device->served_image && strcmp(device->served_image, image) == 0;
}

static bool relays_now(const struct swarm_device *device, const char *image)
{
	return device->relaying && device->partial_name && strcmp(device->partial_name, image) == 0;
}

/* Bytes of the image the stream may send now. */
static uint64_t available(const struct served_stream *stream)
{
	if (holds_whole(stream->device, stream->image))
		return stream->size;
	return relays_now(stream->device, stream->image) ? stream->device->verified : 0;
}

/* Bytes the device's uplink lets out now, up to want (0: wait *wait_ms). */
static size_t upload_grant(struct swarm *swarm, struct swarm_device *device, uint64_t now, size_t want,
			   uint64_t *wait_ms)
{
	uint64_t rate = swarm->options.upload_rate, burst, credit, least;

	if (!rate)
		return want;
	burst = rate / 20 > 16384 ? rate / 20 : 16384;
	if (!device->upload_start_ms)
		device->upload_start_ms = now;
	credit = rate * (now - device->upload_start_ms) / 1000 + burst;
	credit = credit > device->upload_counted ? credit - device->upload_counted : 0;
	if (credit > burst) { /* idle: no more credit than the burst */
		device->upload_start_ms = now;
		device->upload_counted = 0;
		credit = burst;
	}
	least = want < 4096 ? want : 4096;
	if (credit < least) {
		*wait_ms = (least - credit) * 1000 / rate + 1;
		return 0;
	}
	if (want > credit)
		want = (size_t)credit;
	device->upload_counted += want;
	return want;
}

static void suspend(struct served_stream *stream, uint64_t due_ms)
{
	if (!stream->suspended) {
		MHD_suspend_connection(stream->connection);
		stream->suspended = true;
	}
	swarm_timer_arm(stream->swarm, &stream->timer, due_ms);
}

static void resume(struct served_stream *stream)
{
	swarm_timer_disarm(stream->swarm, &stream->timer);
	if (!stream->suspended)
		return;
	stream->suspended = false;
	MHD_resume_connection(stream->connection);
	stream->swarm->server_resumed = true;
}

static ssize_t read_stream(void *argument, uint64_t position, char *buffer, size_t max)
{
	struct served_stream *stream = argument;
	struct swarm *swarm = stream->swarm;
	uint64_t now = monotonic_ms(), offset = stream->start + position, ready, wait_ms = 0;
	uint64_t timeout_ms = (uint64_t)(swarm->options.relay_wait_seconds * 1000);
	size_t want;
	ssize_t got;

	if (stream->broken)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (offset >= stream->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	ready = available(stream);
	if (offset >= ready) { /* a relay: the next piece is not checked yet */
		if (!stream->waiting_since_ms)
			stream->waiting_since_ms = now;
		else if (now - stream->waiting_since_ms >= timeout_ms)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* cut: the reader resumes elsewhere */
		suspend(stream, stream->waiting_since_ms + timeout_ms);
		return 0;
	}
	stream->waiting_since_ms = 0;
	want = ready - offset < max ? (size_t)(ready - offset) : max;
	want = upload_grant(swarm, stream->device, now, want, &wait_ms);
	if (!want) {
		suspend(stream, now + wait_ms);
		return 0;
	}
	got = pread(stream->fd, buffer, want, (off_t)offset);
	if (got <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if ((size_t)got < want && swarm->options.upload_rate)
		stream->device->upload_counted -= want - (size_t)got;
	stream->device->bytes_sent += (uint64_t)got;
	if (stream->device->corrupt_server && offset <= stream->size / 2 && stream->size / 2 < offset + (uint64_t)got)
		buffer[stream->size / 2 - offset] ^= 0x5a; /* fault injection: a lying source */
	return got;
}

static void free_stream(void *argument)
{
	struct served_stream *stream = argument;
	struct swarm_device *device = stream->device;

	swarm_timer_disarm(stream->swarm, &stream->timer);
	if (stream->previous)
		stream->previous->next = stream->next;
	else
		device->streams = stream->next;
	if (stream->next)
		stream->next->previous = stream->previous;
	close(stream->fd);
	free(stream->image);
	free(stream);
}

enum MHD_Result swarm_serve_image(struct swarm *swarm, struct MHD_Connection *connection, struct swarm_device *device,
			    const char *name)
{
	const char *range = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	struct served_stream *stream;
	struct MHD_Response *response;
	enum MHD_Result result;
	bool whole = holds_whole(device, name);
	unsigned long long start = 0;
	char path[512], header[96];

	if (device->dead_server)
		return swarm_server_reply(connection, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (!device->file_server || (!whole && !relays_now(device, name)))
		return swarm_server_reply(connection, MHD_HTTP_NOT_FOUND);
	stream = calloc(1, sizeof(*stream));
	if (!stream)
		return MHD_NO;
	stream->swarm = swarm;
	stream->device = device;
	stream->connection = connection;
	stream->timer = (struct device_timer){ .heap_index = (size_t)-1, .device = device, .kind = TIMER_STREAM,
					       .stream = stream };
	stream->size = whole ? 0 : device->download_size;
	swarm_image_path(swarm, device, name, !whole, path, sizeof(path));
	stream->fd = open(path, O_RDONLY | O_CLOEXEC);
	stream->image = strdup(name);
	if (stream->fd >= 0 && whole) {
		off_t end = lseek(stream->fd, 0, SEEK_END);

		stream->size = end > 0 ? (uint64_t)end : 0;
	}
	if (stream->fd < 0 || !stream->image || stream->size == 0) {
		if (stream->fd >= 0)
			close(stream->fd);
		free(stream->image);
		free(stream);
		return swarm_server_reply(connection, MHD_HTTP_NOT_FOUND);
	}
	if (range && sscanf(range, "bytes=%llu-", &start) == 1 && start >= stream->size) {
		close(stream->fd);
		free(stream->image);
		free(stream);
		return swarm_server_reply(connection, MHD_HTTP_RANGE_NOT_SATISFIABLE);
	}
	stream->start = start;
	stream->next = device->streams;
	if (device->streams)
		device->streams->previous = stream;
	device->streams = stream;
	response = MHD_create_response_from_callback(stream->size - start, BLOCK_BYTES, read_stream, stream, free_stream);
	if (!response) {
		free_stream(stream);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(response, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (start) {
		snprintf(header, sizeof(header), "bytes %llu-%llu/%llu", start, (unsigned long long)stream->size - 1,
			 (unsigned long long)stream->size);
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_RANGE, header);
	}
	result = MHD_queue_response(connection, start ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return result;
}

enum MHD_Result swarm_serve_pieces(struct MHD_Connection *connection, struct swarm_device *device, const char *name)
{
	if (!device->file_server || !device->pieces_image || strcmp(device->pieces_image, name) != 0 ||
	    !device->pieces_text)
		return swarm_server_reply(connection, MHD_HTTP_NOT_FOUND);
	return swarm_server_reply_text(connection, device->pieces_text, device->pieces_text_length, "text/plain");
}

enum MHD_Result swarm_serve_device_stats(struct MHD_Connection *connection, struct swarm_device *device)
{
	char text[512];
	int length;

	if (!device->file_server)
		return swarm_server_reply(connection, MHD_HTTP_NOT_FOUND);
	length = snprintf(text, sizeof(text),
			  "{\"role\":\"swarm-device\",\"device\":%u,\"bytes_sent\":%llu,\"relaying\":%s,"
			  "\"verified_bytes\":%llu,\"meter\":{\"cpu\":{\"source\":\"simulated\","
			  "\"occupancy_basis_points\":%u}}}",
			  device->index, (unsigned long long)device->bytes_sent, device->relaying ? "true" : "false",
			  (unsigned long long)device->verified, device->occupancy);
	return swarm_server_reply_text(connection, text, (size_t)length, "application/json");
}

void swarm_serve_wake(struct swarm *swarm, struct swarm_device *device)
{
	(void)swarm;
	for (struct served_stream *stream = device->streams; stream; stream = stream->next)
		if (stream->suspended && stream->waiting_since_ms)
			resume(stream);
}

void swarm_serve_break(struct swarm *swarm, struct swarm_device *device)
{
	(void)swarm;
	for (struct served_stream *stream = device->streams; stream; stream = stream->next) {
		if (holds_whole(device, stream->image))
			continue;
		stream->broken = true;
		resume(stream);
	}
}

void swarm_serve_timer_fired(struct swarm *swarm, struct served_stream *stream)
{
	(void)swarm;
	resume(stream);
}

void swarm_serve_resume_all(struct swarm *swarm)
{
	for (unsigned int i = 0; swarm->devices && i < swarm->options.devices; i++)
		for (struct served_stream *stream = swarm->devices[i].streams; stream; stream = stream->next) {
			stream->broken = true;
			resume(stream);
		}
}
