/* cascade-swarm: simulates many CWMP devices in one event-driven process
 * against cascade-acs over real HTTP - identities, attribute mixes forming
 * groups, CPU occupancy, cache, bandwidth, file servers, connection
 * requests, periodic Informs, Downloads with Range resume and SHA-256
 * checks, TransferComplete - or, with --sessions-only, a session-rate
 * benchmark. Prints one JSON summary line on exit. */
#include "swarm.h"
#include "transfer.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"

static void usage(FILE *stream)
{
	fprintf(stream,
		"Usage: cascade-swarm --acs URL [options]\n"
		"\n"
		"Simulates N CWMP devices against cascade-acs in one process.\n"
		"\n"
		"Devices and attributes:\n"
		"  --acs URL                 the ACS's CWMP URL (required), e.g. http://127.0.0.1:7547/\n"
		"  --devices N               simulated devices (default 100)\n"
		"  --groups G                hardware versions to spread devices over (default 1)\n"
		"  --first-index N           number of the first serial (default 0)\n"
		"  --oui OUI --product-class PC --serial-prefix P --manufacturer M\n"
		"                            identity (defaults C4C4DE, SwarmGW, SWARM, Cascade Swarm)\n"
		"  --hardware-prefix P       hardware version is P<group> (default hw-)\n"
		"  --software-version V      reported software version (default 1.0)\n"
		"  --locations N             location labels loc-0..loc-N-1 (default 0: all loc-0)\n"
		"  --file-server-ratio R     share of cascade devices able to serve (0..1, default 0.1)\n"
		"  --stock-ratio R           share of stock devices without X_CASCADE_ (default 0)\n"
		"  --tr098-ratio R           share using the InternetGatewayDevice. root (default 0)\n"
		"  --no-attributes           Informs carry only the ConnectionRequestURL (ACS must probe)\n"
		"  --max-occupancy N         random CPU occupancy up to N (percent x100, default 5000)\n"
		"  --cache-size SIZE         free space reported (default 1G)\n"
		"  --occupancy I=V,...       fixed occupancy V (percent x100) for device number I\n"
		"Behaviour:\n"
		"  --listen HOST:PORT        connection-request and image server (default 127.0.0.1:0)\n"
		"  --advertise-host HOST     host put in URLs given to the ACS (default: the listen host)\n"
		"  --concurrency N           sessions in flight (default 256)\n"
		"  --periodic SECONDS        periodic Inform interval, jittered +-10%% (default 0: none)\n"
		"  --ramp SECONDS            spread the first Informs over this time (default 0)\n"
		"  --duration SECONDS        stop after this time (default: run until SIGTERM/SIGINT)\n"
		"  --exit-after-bootstrap    stop once every device has completed a session\n"
		"  --sessions-only           benchmark: each device loops Inform, empty POST, 204\n"
		"  --no-cookies              never send the session cookie back\n"
		"  --username U --password P credentials towards the ACS (U may hold %%s for the serial)\n"
		"  --cr-username U --cr-password P   Digest credentials expected on connection requests\n"
		"  --store DIR               where file-server devices keep images (default ./swarm-store)\n"
		"Fault injection (comma-separated device numbers):\n"
		"  --fault-devices LIST      downloads end with TransferComplete fault 9010\n"
		"  --stall-devices LIST      downloads are accepted but never finish\n"
		"  --dead-servers LIST       file servers answer 503\n"
		"Records:\n"
		"  --ack-log FILE            append \"SERIAL inform N\" / \"SERIAL transfer KEY\" for every\n"
		"                            Inform / TransferComplete the ACS acknowledged (crash tests)\n"
		"Other:\n"
		"  --seed N                  random seed for occupancy and bandwidth (default 1)\n"
		"  --verbose                 debug logging\n"
		"  -h, --help                this text\n"
		"\n"
		"Output: one JSON line on exit with sessions, sessions_per_second, p50_ms, p99_ms,\n"
		"downloads and errors.\n");
}

enum option_code {
	OPTION_ACS = 256, OPTION_DEVICES, OPTION_GROUPS, OPTION_FIRST_INDEX, OPTION_OUI, OPTION_PRODUCT_CLASS,
	OPTION_SERIAL_PREFIX, OPTION_MANUFACTURER, OPTION_HARDWARE_PREFIX, OPTION_SOFTWARE_VERSION, OPTION_LOCATIONS,
	OPTION_FILE_SERVER_RATIO, OPTION_STOCK_RATIO, OPTION_TR098_RATIO, OPTION_NO_ATTRIBUTES, OPTION_MAX_OCCUPANCY,
	OPTION_CACHE_SIZE, OPTION_LISTEN, OPTION_ADVERTISE_HOST, OPTION_CONCURRENCY, OPTION_PERIODIC, OPTION_RAMP,
	OPTION_DURATION, OPTION_EXIT_AFTER_BOOTSTRAP, OPTION_SESSIONS_ONLY, OPTION_NO_COOKIES, OPTION_USERNAME,
	OPTION_PASSWORD, OPTION_CR_USERNAME, OPTION_CR_PASSWORD, OPTION_STORE, OPTION_FAULT_DEVICES,
	OPTION_STALL_DEVICES, OPTION_DEAD_SERVERS, OPTION_SEED, OPTION_VERBOSE, OPTION_ACK_LOG, OPTION_OCCUPANCY,
};

static const struct option long_options[] = {
	{ "acs", required_argument, NULL, OPTION_ACS },
	{ "devices", required_argument, NULL, OPTION_DEVICES },
	{ "groups", required_argument, NULL, OPTION_GROUPS },
	{ "first-index", required_argument, NULL, OPTION_FIRST_INDEX },
	{ "oui", required_argument, NULL, OPTION_OUI },
	{ "product-class", required_argument, NULL, OPTION_PRODUCT_CLASS },
	{ "serial-prefix", required_argument, NULL, OPTION_SERIAL_PREFIX },
	{ "manufacturer", required_argument, NULL, OPTION_MANUFACTURER },
	{ "hardware-prefix", required_argument, NULL, OPTION_HARDWARE_PREFIX },
	{ "software-version", required_argument, NULL, OPTION_SOFTWARE_VERSION },
	{ "locations", required_argument, NULL, OPTION_LOCATIONS },
	{ "file-server-ratio", required_argument, NULL, OPTION_FILE_SERVER_RATIO },
	{ "stock-ratio", required_argument, NULL, OPTION_STOCK_RATIO },
	{ "tr098-ratio", required_argument, NULL, OPTION_TR098_RATIO },
	{ "no-attributes", no_argument, NULL, OPTION_NO_ATTRIBUTES },
	{ "max-occupancy", required_argument, NULL, OPTION_MAX_OCCUPANCY },
	{ "cache-size", required_argument, NULL, OPTION_CACHE_SIZE },
	{ "listen", required_argument, NULL, OPTION_LISTEN },
	{ "advertise-host", required_argument, NULL, OPTION_ADVERTISE_HOST },
	{ "concurrency", required_argument, NULL, OPTION_CONCURRENCY },
	{ "periodic", required_argument, NULL, OPTION_PERIODIC },
	{ "ramp", required_argument, NULL, OPTION_RAMP },
	{ "duration", required_argument, NULL, OPTION_DURATION },
	{ "exit-after-bootstrap", no_argument, NULL, OPTION_EXIT_AFTER_BOOTSTRAP },
	{ "sessions-only", no_argument, NULL, OPTION_SESSIONS_ONLY },
	{ "no-cookies", no_argument, NULL, OPTION_NO_COOKIES },
	{ "username", required_argument, NULL, OPTION_USERNAME },
	{ "password", required_argument, NULL, OPTION_PASSWORD },
	{ "cr-username", required_argument, NULL, OPTION_CR_USERNAME },
	{ "cr-password", required_argument, NULL, OPTION_CR_PASSWORD },
	{ "store", required_argument, NULL, OPTION_STORE },
	{ "fault-devices", required_argument, NULL, OPTION_FAULT_DEVICES },
	{ "stall-devices", required_argument, NULL, OPTION_STALL_DEVICES },
	{ "dead-servers", required_argument, NULL, OPTION_DEAD_SERVERS },
	{ "seed", required_argument, NULL, OPTION_SEED },
	{ "ack-log", required_argument, NULL, OPTION_ACK_LOG },
	{ "occupancy", required_argument, NULL, OPTION_OCCUPANCY },
	{ "verbose", no_argument, NULL, OPTION_VERBOSE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int number(const char *name, const char *text, long long minimum, long long maximum, unsigned int *value)
{
	long long parsed;

	if (parse_integer(text, minimum, maximum, &parsed) < 0) {
		fprintf(stderr, "cascade-swarm: --%s wants a number in %lld..%lld, not \"%s\"\n", name, minimum, maximum,
			text);
		return -EINVAL;
	}
	*value = (unsigned int)parsed;
	return 0;
}

static int fraction(const char *name, const char *text, double minimum, double maximum, double *value)
{
	char *end;
	double parsed = strtod(text, &end);

	if (end == text || *end || !isfinite(parsed) || parsed < minimum || parsed > maximum) {
		fprintf(stderr, "cascade-swarm: --%s wants a number in %g..%g, not \"%s\"\n", name, minimum, maximum, text);
		return -EINVAL;
	}
	*value = parsed;
	return 0;
}

static int parse_options(int argc, char **argv, struct swarm_options *options)
{
	int code, result = 0;

	*options = (struct swarm_options){
		.listen = "127.0.0.1:0", .devices = 100, .groups = 1, .oui = "C4C4DE", .product_class = "SwarmGW",
		.serial_prefix = "SWARM", .manufacturer = "Cascade Swarm", .hardware_prefix = "hw-",
		.software_version = "1.0", .location_prefix = "loc-", .file_server_ratio = 0.1, .max_occupancy = 5000,
		.cache_size = 1ull << 30, .concurrency = 256, .store_dir = "swarm-store", .seed = 1,
	};
	while (result == 0 && (code = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (code) {
		case OPTION_ACS: options->acs_url = optarg; break;
		case OPTION_DEVICES: result = number("devices", optarg, 1, 2000000, &options->devices); break;
		case OPTION_GROUPS: result = number("groups", optarg, 1, 1000000, &options->groups); break;
		case OPTION_FIRST_INDEX: result = number("first-index", optarg, 0, 100000000, &options->first_index); break;
		case OPTION_OUI: options->oui = optarg; break;
		case OPTION_PRODUCT_CLASS: options->product_class = optarg; break;
		case OPTION_SERIAL_PREFIX: options->serial_prefix = optarg; break;
		case OPTION_MANUFACTURER: options->manufacturer = optarg; break;
		case OPTION_HARDWARE_PREFIX: options->hardware_prefix = optarg; break;
		case OPTION_SOFTWARE_VERSION: options->software_version = optarg; break;
		case OPTION_LOCATIONS: result = number("locations", optarg, 0, 1000000, &options->locations); break;
		case OPTION_FILE_SERVER_RATIO:
			result = fraction("file-server-ratio", optarg, 0, 1, &options->file_server_ratio);
			break;
		case OPTION_STOCK_RATIO: result = fraction("stock-ratio", optarg, 0, 1, &options->stock_ratio); break;
		case OPTION_TR098_RATIO: result = fraction("tr098-ratio", optarg, 0, 1, &options->tr098_ratio); break;
		case OPTION_NO_ATTRIBUTES: options->no_attributes = true; break;
		case OPTION_MAX_OCCUPANCY:
			result = number("max-occupancy", optarg, 0, 10000, &options->max_occupancy);
			break;
		case OPTION_CACHE_SIZE:
			if (parse_size(optarg, &options->cache_size) < 0) {
				fprintf(stderr, "cascade-swarm: --cache-size wants a size like 512M, not \"%s\"\n", optarg);
				result = -EINVAL;
			}
			break;
		case OPTION_LISTEN: options->listen = optarg; break;
		case OPTION_ADVERTISE_HOST: options->advertise_host = optarg; break;
		case OPTION_CONCURRENCY: result = number("concurrency", optarg, 1, 100000, &options->concurrency); break;
		case OPTION_PERIODIC: result = fraction("periodic", optarg, 0, 1e7, &options->periodic_seconds); break;
		case OPTION_RAMP: result = fraction("ramp", optarg, 0, 1e6, &options->ramp_seconds); break;
		case OPTION_DURATION: result = fraction("duration", optarg, 0, 1e7, &options->duration_seconds); break;
		case OPTION_EXIT_AFTER_BOOTSTRAP: options->exit_after_bootstrap = true; break;
		case OPTION_SESSIONS_ONLY: options->sessions_only = true; break;
		case OPTION_NO_COOKIES: options->no_cookies = true; break;
		case OPTION_USERNAME: options->username = optarg; break;
		case OPTION_PASSWORD: options->password = optarg; break;
		case OPTION_CR_USERNAME: options->cr_username = optarg; break;
		case OPTION_CR_PASSWORD: options->cr_password = optarg; break;
		case OPTION_STORE: options->store_dir = optarg; break;
		case OPTION_FAULT_DEVICES: options->fault_devices = optarg; break;
		case OPTION_STALL_DEVICES: options->stall_devices = optarg; break;
		case OPTION_DEAD_SERVERS: options->dead_servers = optarg; break;
		case OPTION_SEED: result = number("seed", optarg, 0, 4000000000LL, &options->seed); break;
		case OPTION_VERBOSE: options->verbose = true; break;
		case OPTION_ACK_LOG: options->ack_log = optarg; break;
		case OPTION_OCCUPANCY: options->occupancy_list = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (result == 0 && optind < argc) {
		fprintf(stderr, "cascade-swarm: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (result == 0 && (!options->acs_url || strncmp(options->acs_url, "http", 4) != 0)) {
		fprintf(stderr, "cascade-swarm: --acs URL is required (http://HOST:PORT/)\n");
		return -EINVAL;
	}
	if (result == 0 && options->cr_username && !options->cr_password) {
		fprintf(stderr, "cascade-swarm: --cr-username needs --cr-password\n");
		return -EINVAL;
	}
	return result;
}

/* Marks the devices named in a "1,5,9" list. */
static int mark_devices(struct swarm *swarm, const char *list, const char *name, size_t flag_offset)
{
	char copy[4096], *word, *save = NULL;

	if (!list)
		return 0;
	if (snprintf(copy, sizeof(copy), "%s", list) >= (int)sizeof(copy))
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
	uint64_t now = now_ms();

	swarm->devices = calloc(options->devices, sizeof(*swarm->devices));
	if (!swarm->devices)
		return -ENOMEM;
	for (unsigned int i = 0; i < options->devices; i++) {
		struct swarm_device *device = &swarm->devices[i];
		unsigned int position = i / options->groups;

		device->index = i;
		device->store_fd = -1;
		device->heap_index = (size_t)-1;
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
	}
	if (mark_devices(swarm, options->fault_devices, "fault-devices", offsetof(struct swarm_device, fault_downloads)) < 0 ||
	    mark_devices(swarm, options->stall_devices, "stall-devices", offsetof(struct swarm_device, stall_downloads)) < 0 ||
	    mark_devices(swarm, options->dead_servers, "dead-servers", offsetof(struct swarm_device, dead_server)) < 0 ||
	    set_occupancies(swarm, options->occupancy_list) < 0)
		return -EINVAL;
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
	if (snprintf(copy, sizeof(copy), "%s", list) >= (int)sizeof(copy))
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
		free(device->served_image);
		sha256_stream_free(device->hash);
		if (device->store_fd >= 0)
			close(device->store_fd);
	}
	free(swarm->devices);
	free(swarm->stats.latencies_us);
}

int main(int argc, char **argv)
{
	static struct swarm swarm;
	struct rlimit limit;
	uint64_t started;
	int status = 1;

	log_init("cascade-swarm");
	swarm.epoll_fd = -1;
	if (parse_options(argc, argv, &swarm.options) < 0)
		return 2;
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
	cwmp_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (swarm_loop_init(&swarm) < 0)
		goto out;
	if (setup_devices(&swarm) < 0 || server_start(&swarm) < 0)
		goto out;
	log_info("%u devices in %u groups against %s%s", swarm.options.devices, swarm.options.groups,
		 swarm.options.acs_url, swarm.options.sessions_only ? " (sessions-only benchmark)" : "");
	started = now_ms();
	swarm.started_ms = started;
	if (swarm_run(&swarm) < 0)
		goto out;
	stats_print(&swarm, (double)(now_ms() - started) / 1000.0);
	status = 0;
out:
	transfers_free_all(&swarm);
	server_stop(&swarm);
	swarm_loop_destroy(&swarm);
	free_devices(&swarm);
	if (swarm.ack_log)
		fclose(swarm.ack_log);
	curl_global_cleanup();
	return status;
}
