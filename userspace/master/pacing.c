/* Watches how a reader acknowledges a large body and caps the kernel's
 * pacing rate for one that acknowledges nearly every segment (pacing.h
 * says why). */
#include "master/pacing.h"

#include <ctype.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "master/admin_token.h"

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

static bool same_host_address(const struct sockaddr_storage *one, const struct sockaddr_storage *other)
{
	if (one->ss_family != other->ss_family)
		return false;
	if (one->ss_family == AF_INET)
		return ((const struct sockaddr_in *)one)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)other)->sin_addr.s_addr;
	if (one->ss_family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)one)->sin6_addr,
					  &((const struct sockaddr_in6 *)other)->sin6_addr);
	return false;
}

/* A CPU mask as sysfs prints it ("0", "00000000,00000003"): any CPU set. */
static bool steering_file_names_a_cpu(const char *path)
{
	char mask[256];
	size_t length, index;
	FILE *file = fopen(path, "re");

	if (!file)
		return false; /* no packet steering in this kernel */
	length = fread(mask, 1, sizeof(mask) - 1, file);
	fclose(file);
	for (index = 0; index < length; index++)
		if (isxdigit((unsigned char)mask[index]) && mask[index] != '0')
			return true;
	return false;
}

int pacing_acks_by_interrupt(int fd, const char *loopback_steering_path, bool *by_interrupt)
{
	struct sockaddr_storage local, peer;
	socklen_t local_length = sizeof(local), peer_length = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&local, &local_length) != 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &peer_length) != 0)
		return -errno;
	if (!address_is_loopback((const struct sockaddr *)&peer) && !same_host_address(&local, &peer))
		*by_interrupt = true; /* over a network device */
	else
		*by_interrupt = steering_file_names_a_cpu(loopback_steering_path ? loopback_steering_path
										 : PACING_LOOPBACK_STEERING_PATH);
	return 0;
}

const char *const pacing_scope_names[] = { [PACING_SCOPE_NETWORK] = "network", [PACING_SCOPE_ANY] = "any", NULL };

const char *pacing_scope_name(int scope)
{
	return pacing_scope_names[scope == PACING_SCOPE_ANY ? PACING_SCOPE_ANY : PACING_SCOPE_NETWORK];
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
	if (rule->scope == PACING_SCOPE_NETWORK && watch->path == PACING_PATH_UNKNOWN) {
		bool by_interrupt = false;

		result = pacing_acks_by_interrupt(fd, rule->loopback_steering_path, &by_interrupt);
		if (result != 0)
			return result;
		watch->path = by_interrupt ? PACING_PATH_INTERRUPTS : PACING_PATH_SYNCHRONOUS;
	}
	if (rule->scope == PACING_SCOPE_NETWORK && watch->path == PACING_PATH_SYNCHRONOUS)
		return 0; /* never watched: pacing cannot save anything on this path */
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
