/* The --report file: one JSON line (jansson) per finished download attempt
 * of a simulated device, so tests and benchmarks can check every device's
 * outcome and cost: fault, bytes received and thrown away, requests,
 * Range requests, in-place resumes, whether the image was hashed, the
 * wall-clock time it ended (for completion curves), the device's profile
 * and whether the URL came by X_CASCADE_MasterURL (spv). */
#include "swarm.h"

#include <jansson.h>
#include <time.h>

void swarm_report_download(struct swarm *swarm, const struct swarm_device *device, unsigned int fault_code)
{
	struct timespec now;
	json_t *line;

	if (!swarm->report)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	line = json_pack("{s:I, s:s, s:I, s:I, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:f, s:s, "
			 "s:b}",
			 "time_ms", (json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000,
			 "serial", device->serial,
			 "device", (json_int_t)device->index,
			 "group", (json_int_t)device->group,
			 "source", device->interface[0] ? device->interface + 5 : NULL,
			 "image", device->download_name,
			 "url", device->download_url,
			 "fault", (json_int_t)fault_code,
			 "size", (json_int_t)device->download_size,
			 "bytes_received", (json_int_t)device->received,
			 "bytes_discarded", (json_int_t)device->discarded,
			 "requests", (json_int_t)device->requests,
			 "range_requests", (json_int_t)device->range_requests,
			 "resumes_in_place", (json_int_t)device->resumes_in_place,
			 "restarts", (json_int_t)device->restarts,
			 "hashed", device->hashing,
			 "seconds", (double)(monotonic_ms() - device->attempt_started_ms) / 1000.0,
			 "profile", swarm_profile_name(device->profile),
			 "spv", device->download_by_master_url);
	if (!line)
		return;
	json_dumpf(line, swarm->report, JSON_COMPACT);
	fputc('\n', swarm->report);
	json_decref(line);
}
