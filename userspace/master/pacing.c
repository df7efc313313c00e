/* Watches how a reader acknowledges a large body and caps the kernel's
 * pacing rate for one that acknowledges nearly every segment (pacing.h
 * says why). */
#include "master/pacing.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

static int set_max_pacing_rate(int fd, uint64_t rate)
{
	/* The kernel reads an unsigned long when given one; ~0 is no cap. */
	unsigned long value = (unsigned long)rate;

	if (setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &value, sizeof(value)) != 0)
		return -errno;
	return 0;
}

static int set_capped(int fd, const struct pacing_rule *rule, struct pacing_watch *watch, bool capped)
{
	int result;

	if (watch->capped == capped)
		return 0;
	result = set_max_pacing_rate(fd, capped ? rule->rate : UINT64_MAX);
	if (result == 0)
		watch->capped = capped;
	return result;
}

static int read_counts(int fd, uint32_t *segments_in, uint32_t *data_segments_out)
{
	struct tcp_info info;
	socklen_t length = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0)
		return -errno;
	if (length < offsetof(struct tcp_info, tcpi_data_segs_out) + sizeof(info.tcpi_data_segs_out))
		return -EOPNOTSUPP; /* a kernel older than 4.6 */
	*segments_in = info.tcpi_segs_in;
	*data_segments_out = info.tcpi_data_segs_out;
	return 0;
}

bool pacing_reader_acks_most(uint32_t acknowledgements, uint32_t data_segments)
{
	return data_segments >= PACING_LOOK_SEGMENTS &&
	       (uint64_t)acknowledgements * 4 > (uint64_t)data_segments * 3;
}

int pacing_body_start(int fd, const struct pacing_rule *rule, uint64_t body_bytes,
		      struct pacing_watch *watch)
{
	bool large = rule->rate != 0 && body_bytes >= rule->from_bytes;
	int result;

	watch->looking = false;
	if (!large) {
		watch->counted = false;
		return set_capped(fd, rule, watch, false);
	}
	if (watch->reader_acks_most) {
		result = set_capped(fd, rule, watch, true);
		return result == 0 ? 1 : result;
	}
	/* A watch that an earlier large body on the connection started goes
	 * on: a body handed to the kernel in a few sends (4 MiB is 64
	 * segments on loopback) may end before it can decide. */
	watch->looking = true;
	watch->reports = 0;
	return 0;
}

int pacing_watch_counts(int fd, const struct pacing_rule *rule, struct pacing_watch *watch,
			uint32_t segments_in, uint32_t data_segments_out)
{
	int result;

	if (!watch->looking)
		return 0;
	if (++watch->reports > PACING_LOOK_REPORTS) {
		watch->looking = false;
		watch->counted = false;
		return 0;
	}
	if (!watch->counted) {
		watch->segments_in = segments_in;
		watch->data_segments_out = data_segments_out;
		watch->counted = true;
		return 0;
	}
	if (data_segments_out - watch->data_segments_out < PACING_LOOK_SEGMENTS)
		return 0;
	watch->looking = false;
	watch->counted = false;
	if (!pacing_reader_acks_most(segments_in - watch->segments_in,
				     data_segments_out - watch->data_segments_out))
		return 0;
	watch->reader_acks_most = true;
	result = set_capped(fd, rule, watch, true);
	return result == 0 ? 1 : result;
}

int pacing_body_progress(int fd, const struct pacing_rule *rule, struct pacing_watch *watch)
{
	uint32_t segments_in = 0, data_segments_out = 0;
	int result;

	if (!watch->looking)
		return 0;
	result = read_counts(fd, &segments_in, &data_segments_out);
	if (result != 0) {
		watch->looking = false;
		watch->counted = false;
		return result;
	}
	return pacing_watch_counts(fd, rule, watch, segments_in, data_segments_out);
}
