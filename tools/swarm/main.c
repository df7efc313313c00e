/* cascade-swarm: simulates many CWMP devices in one event-driven process
 * against cascade-acs over real HTTP - identities, attribute mixes forming
 * groups, CPU occupancy, cache, bandwidth, file servers, connection
 * requests, periodic Informs, Downloads with Range resume and SHA-256
 * checks, TransferComplete - or, with --sessions-only, a session-rate
 * benchmark. Prints one JSON summary line on exit. */
#include "swarm.h"
#include "transfer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"

/* Copies an option's comma list for strtok_r; a list too long is an error
 * that names the option. */
static int copy_list(char *copy, size_t size, const char *list, const char *option)
{
	if (snprintf(copy, size, "%s", list) < (int)size)
		return 0;
	fprintf(stderr, "cascade-swarm: --%s: the list is longer than %zu characters\n", option, size - 1);
	return -EINVAL;
}

/* Marks the devices named in a "1,5,9" list. */
static int mark_devices(struct swarm *swarm, const char *list, const char *name, size_t flag_offset)
{
	char copy[4096], *word, *save = NULL;

	if (!list)
		return 0;
	if (copy_list(copy, sizeof(copy), list, name) < 0)
		return -EINVAL;
	for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		long long index;

		if (parse_integer(word, 0, (long long)swarm->options.devices - 1, &index) < 0) {
			fprintf(stderr, "cascade-swarm: --%s: \"%s\" is not a device number below %u\n", name, word,
				swarm->options.devices);
			return -EINVAL;
		}
		*(bool *)((char *)&swarm->devices[index] + flag_offset) = true;
	}
	return 0;
}

/* Deterministic share test: is device index within ratio? */
static bool in_share(unsigned int index, unsigned int salt, double ratio)
{
	uint32_t hash = (index + 1) * 2654435761u ^ salt * 40503u;

	return (double)(hash % 10000) < ratio * 10000.0;
}

static int set_occupancies(struct swarm *swarm, const char *list);

static int setup_devices(struct swarm *swarm)
{
	const struct swarm_options *options = &swarm->options;
	unsigned int random_state = options->seed;
	uint64_t now = monotonic_ms();

	swarm->devices = calloc(options->devices, sizeof(*swarm->devices));
	if (!swarm->devices)
		return -ENOMEM;
	for (unsigned int i = 0; i < options->devices; i++) {
		struct swarm_device *device = &swarm->devices[i];
		unsigned int position = i / options->groups;

		device->index = i;
		device->store_fd = -1;
		device->session_timer = (struct device_timer){ .heap_index = (size_t)-1, .device = device };
		device->download_timer = (struct device_timer){ .heap_index = (size_t)-1, .device = device,
								 .kind = TIMER_DOWNLOAD };
		snprintf(device->serial, sizeof(device->serial), "%s%06u", options->serial_prefix, options->first_index + i);
		device->group = i % options->groups;
		device->stock = in_share(i, 1, options->stock_ratio);
		device->cascade = !device->stock;
		/* the first devices of each group are its file servers */
		device->file_server = device->cascade &&
				      (position < (unsigned int)ceil(options->file_server_ratio *
								     ((options->devices + options->groups - 1) / options->groups)));
		snprintf(device->root, sizeof(device->root), "%s",
			 in_share(i, 2, options->tr098_ratio) ? "InternetGatewayDevice." : "Device.");
		device->occupancy = options->max_occupancy ? (unsigned int)rand_r(&random_state) % (options->max_occupancy + 1)
							   : 0;
		device->bandwidth = 10000 + (unsigned int)rand_r(&random_state) % 90000;
		if (options->bandwidth_kbps)
			device->bandwidth = options->bandwidth_kbps;
		else if (options->upload_rate)
			device->bandwidth = (uint32_t)(options->upload_rate * 8 / 1000);
		device->hashing = i % options->hash_every == 0;
	}
	if (mark_devices(swarm, options->fault_devices, "fault-devices", offsetof(struct swarm_device, fault_downloads)) < 0 ||
	    mark_devices(swarm, options->stall_devices, "stall-devices", offsetof(struct swarm_device, stall_downloads)) < 0 ||
	    mark_devices(swarm, options->dead_servers, "dead-servers", offsetof(struct swarm_device, dead_server)) < 0 ||
	    mark_devices(swarm, options->corrupt_servers, "corrupt-servers",
			 offsetof(struct swarm_device, corrupt_server)) < 0 ||
	    mark_devices(swarm, options->slow_devices, "slow-devices", offsetof(struct swarm_device, slow)) < 0 ||
	    mark_devices(swarm, options->flaky_devices, "flaky-devices", offsetof(struct swarm_device, flaky)) < 0 ||
	    set_occupancies(swarm, options->occupancy_list) < 0 || swarm_profiles_assign(swarm) < 0 ||
	    swarm_addresses_assign(swarm) < 0)
		return -EINVAL;
	/* Devices sharing one source address reuse each other's connections:
	 * keep one per exchange in flight, as a fleet behind one NAT would. */
	if (swarm->source_addresses == 0)
		curl_multi_setopt(swarm->multi, CURLMOPT_MAXCONNECTS, (long)(options->concurrency * 2 + 64));
	for (unsigned int i = 0; i < options->devices; i++)
		swarm_schedule(swarm, &swarm->devices[i],
			       now + (uint64_t)(options->ramp_seconds * 1000.0 * i / options->devices));
	return 0;
}

/* Applies "I=V,..." occupancy overrides. */
static int set_occupancies(struct swarm *swarm, const char *list)
{
	char copy[4096], *word, *save = NULL;

	if (!list)
		return 0;
	if (copy_list(copy, sizeof(copy), list, "occupancy") < 0)
		return -EINVAL;
	for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		char *equals = strchr(word, '=');
		long long index, value;

		if (!equals)
			goto bad;
		*equals = '\0';
		if (parse_integer(word, 0, (long long)swarm->options.devices - 1, &index) < 0 ||
		    parse_integer(equals + 1, 0, 10000, &value) < 0)
			goto bad;
		swarm->devices[index].occupancy = (uint32_t)value;
		continue;
bad:
		fprintf(stderr, "cascade-swarm: --occupancy wants DEVICE=PERCENTx100 pairs, not \"%s\"\n", word);
		return -EINVAL;
	}
	return 0;
}

static void free_devices(struct swarm *swarm)
{
	for (unsigned int i = 0; swarm->devices && i < swarm->options.devices; i++) {
		struct swarm_device *device = &swarm->devices[i];

		free(device->transfer_command_key);
		free(device->download_url);
		free(device->download_key);
		free(device->download_name);
		free(device->partial_name);
		free(device->master_url);
		free(device->image_sha256);
		free(device->image_signature);
		free(device->served_image);
		free(device->stalled_image);
		free(device->challenge);
		free(device->counted_image);
		sha256_stream_free(device->hash);
		free(device->pieces_digest);
		free(device->pieces_image);
		free(device->pieces_text);
		image_pieces_free(&device->pieces);
		sha256_stream_free(device->piece_hash);
		if (device->store_fd >= 0)
			close(device->store_fd);
	}
	free(swarm->devices);
	free(swarm->stats.latencies_us);
	for (int p = 0; p < PROFILE_COUNT; p++)
		free(swarm->stats.profiles[p].delays_ms);
}

int main(int argc, char **argv)
{
	static struct swarm swarm;
	struct rlimit limit;
	uint64_t started;
	int status = 1;

	log_init("cascade-swarm");
	swarm.epoll_fd = -1;
	status = swarm_parse_options(argc, argv, &swarm.options);
	if (status != 0)
		return status > 0 ? 0 : 2;
	status = 1;
	if (swarm.options.verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
	if (mkdir(swarm.options.store_dir, 0755) < 0 && errno != EEXIST) {
		log_error("cannot create --store folder %s: %s", swarm.options.store_dir, strerror(errno));
		return 1;
	}
	if (swarm.options.ack_log) {
		swarm.ack_log = fopen(swarm.options.ack_log, "a");
		if (!swarm.ack_log) {
			log_error("cannot open --ack-log %s: %s", swarm.options.ack_log, strerror(errno));
			return 1;
		}
		setvbuf(swarm.ack_log, NULL, _IOLBF, 0);
	}
	if (swarm.options.report_path) {
		swarm.report = fopen(swarm.options.report_path, "a");
		if (!swarm.report) {
			log_error("cannot open --report %s: %s", swarm.options.report_path, strerror(errno));
			goto out_files;
		}
		setvbuf(swarm.report, NULL, _IOLBF, 0);
	}
	swarm.random_state = swarm.options.seed;
	cwmp_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (swarm_loop_init(&swarm) < 0)
		goto out;
	if (setup_devices(&swarm) < 0 || swarm_server_start(&swarm) < 0)
		goto out;
	log_info("%u devices in %u groups against %s%s", swarm.options.devices, swarm.options.groups,
		 swarm.options.acs_url, swarm.options.sessions_only ? " (sessions-only benchmark)" : "");
	if (swarm.options.hash_every > 1)
		log_warn("--hash-every %u: only %u of %u devices verify the SHA-256 of their images; the others check "
			 "the size only (reported as unhashed_downloads)", swarm.options.hash_every,
			 (swarm.options.devices + swarm.options.hash_every - 1) / swarm.options.hash_every,
			 swarm.options.devices);
	started = monotonic_ms();
	swarm.started_ms = started;
	if (swarm_run(&swarm) < 0)
		goto out;
	swarm_stats_print(&swarm, (double)(monotonic_ms() - started) / 1000.0);
	status = 0;
out:
	swarm_transfers_free_all(&swarm);
	swarm_server_stop(&swarm);
	swarm_loop_destroy(&swarm);
	free_devices(&swarm);
	curl_global_cleanup();
out_files:
	if (swarm.ack_log)
		fclose(swarm.ack_log);
	if (swarm.report)
		fclose(swarm.report);
	return status;
}
