/* Source addresses of simulated devices: every device binds its HTTP
 * client connections (CWMP sessions and image downloads) to an address of
 * its own, so the ACS, the masters and the eBPF group meter see one address
 * per device and 10,000+ devices never run out of ephemeral ports. Groups
 * get aligned blocks (a power of two each), so one prefix covers a group:
 * the --prefix-file lists them for `cascade-meter group set`. */
#include "swarm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"

#define AUTO_RANGE "127.64.0.0/10"

/* Is the ACS on this machine's loopback? Then "auto" spreads devices. */
static bool acs_is_loopback(const char *url)
{
	const char *host = strstr(url, "://");

	host = host ? host + 3 : url;
	return strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0 || strncmp(host, "[::1]", 5) == 0;
}

static void format_address(uint32_t address, char *text, size_t size)
{
	struct in_addr in = { .s_addr = htonl(address) };

	inet_ntop(AF_INET, &in, text, (socklen_t)size);
}

/* Binding the first address proves the range is local (127/8 always is). */
static int check_bindable(uint32_t address)
{
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(address) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), result = 0;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		result = -errno;
	close(fd);
	return result;
}

static int write_prefix_file(struct swarm *swarm, uint32_t base, uint32_t block, unsigned int block_bits)
{
	FILE *file = fopen(swarm->options.prefix_file, "w");
	char text[INET_ADDRSTRLEN];

	if (!file) {
		log_error("cannot write --prefix-file %s: %s", swarm->options.prefix_file, strerror(errno));
		return -errno;
	}
	for (unsigned int group = 0; group < swarm->options.groups; group++) {
		format_address(base + group * block, text, sizeof(text));
		fprintf(file, "%u %s%u %s/%u\n", group, swarm->options.hardware_prefix, group, text, 32 - block_bits);
	}
	if (fclose(file) != 0)
		return -EIO;
	return 0;
}

int swarm_addresses_assign(struct swarm *swarm)
{
	const struct swarm_options *options = &swarm->options;
	const char *range = options->source_range ? options->source_range : "auto";
	uint64_t per_group = ((uint64_t)options->devices + options->groups - 1) / options->groups;
	uint32_t base, block = 1;
	unsigned int bits, block_bits = 0;
	char first[INET_ADDRSTRLEN];
	int result;

	if (strcmp(range, "auto") == 0)
		range = acs_is_loopback(options->acs_url) ? AUTO_RANGE : "none";
	if (strcmp(range, "none") == 0) {
		if (options->prefix_file)
			log_warn("--prefix-file ignored: devices share the default source address (--source-range none)");
		log_info("devices connect from the default source address");
		return 0;
	}
	if (parse_ipv4_prefix(range, 8, 30, &base, &bits) < 0) {
		log_error("--source-range wants A.B.C.D/BITS (8..30 bits), auto or none, not \"%s\"", range);
		return -EINVAL;
	}
	while (block < per_group) {
		block <<= 1;
		block_bits++;
	}
	if ((uint64_t)block * options->groups > (1ull << (32 - bits))) {
		log_error("--source-range %s holds %llu addresses; %u groups of up to %llu devices need %llu "
			  "(a block of %u per group)", range, 1ull << (32 - bits), options->groups,
			  (unsigned long long)per_group, (unsigned long long)block * options->groups, block);
		return -EINVAL;
	}
	result = check_bindable(base);
	format_address(base, first, sizeof(first));
	if (result < 0) {
		log_error("cannot bind source address %s (%s): choose a local --source-range or --source-range none", first,
			  strerror(-result));
		return result;
	}
	for (unsigned int i = 0; i < options->devices; i++) {
		struct swarm_device *device = &swarm->devices[i];
		char text[INET_ADDRSTRLEN];

		format_address(base + device->group * block + i / options->groups, text, sizeof(text));
		snprintf(device->interface, sizeof(device->interface), "host!%s", text);
	}
	swarm->source_addresses = options->devices;
	log_info("devices connect from their own addresses in %s: a /%u per group (group 0 from %s/%u)", range,
		 32 - block_bits, first, 32 - block_bits);
	if (options->prefix_file)
		return write_prefix_file(swarm, base, block, block_bits);
	return 0;
}
