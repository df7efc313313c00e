/* cascade-swarm's command line: the usage text (the reference for every
 * option) and the parser filling struct swarm_options, with a message
 * naming any value it cannot use. */
#include "swarm.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		"  --source-range CIDR       every device connects from its own address in CIDR, a block\n"
		"                            per group (default auto: 127.64.0.0/10 for a loopback ACS;\n"
		"                            none: the default source address)\n"
		"  --prefix-file FILE        write \"GROUP HARDWARE_VERSION PREFIX\" per group (for the meter)\n"
		"  --retry-max SECONDS       cap of the exponential back-off after failed sessions (default 30)\n"
		"Downloads:\n"
		"  --hash-every K            SHA-256 only every K-th device's downloads (default 1: all;\n"
		"                            benchmarks; the others check the size only, counted apart)\n"
		"  --download-rate RATE      bytes/s per download, e.g. 512K (default unlimited): the downlink\n"
		"  --upload-rate RATE        bytes/s a file-server device sends to all its readers together,\n"
		"                            e.g. 1250K: its gateway uplink (default unlimited)\n"
		"  --bandwidth KBIT          X_CASCADE_Bandwidth of every device (default: the upload rate,\n"
		"                            or random 10-100 Mbit/s)\n"
		"  --relay-wait-timeout S    a reader of an image a file server still receives is cut after\n"
		"                            this long without a newly checked piece (default 10)\n"
		"  --download-retries N      in-place Range resumes after a cut connection (default 3)\n"
		"  --receive-buffer SIZE     SO_RCVBUF of download sockets, as on a small-memory device\n"
		"                            (default: the kernel's)\n"
		"  --report FILE             one JSON line per finished download attempt: fault, bytes\n"
		"                            received and discarded, requests, Range requests, time\n"
		"Fault injection (comma-separated device numbers):\n"
		"  --fault-devices LIST      downloads end with TransferComplete fault 9010\n"
		"  --stall-devices LIST      downloads are accepted but never finish\n"
		"  --dead-servers LIST       file servers answer 503\n"
		"  --corrupt-servers LIST    file servers send the image with its middle byte flipped\n"
		"  --slow-devices LIST       these devices download at --slow-rate (default 64K bytes/s)\n"
		"  --flaky-devices LIST      these devices cut their connection once per image after\n"
		"                            --cut-after bytes (default 256K), then resume with Range\n"
		"Stock-device profiles (docs/swarm.md; file servers stay ideal):\n"
		"  --profile NAME=SHARE,...  share of all devices (0..1) behaving like NAME:\n"
		"                            partial-path (stock; a partial-path GetParameterValues is\n"
		"                            faulted / dropped / restarted on, a third each), sloppy-fault\n"
		"                            (faults parameters in envelopes with undeclared prefixes),\n"
		"                            late-transfer-complete (reports at its next periodic Inform\n"
		"                            unless a connection request comes), stalling (sits on the\n"
		"                            first Download of an image), spv-fault (an empty-URL Download:\n"
		"                            fault 9003 / TransferComplete 9010), nonce-reuse (Digest with\n"
		"                            its last nonce and nc=00000001 each session), legacy (cookie\n"
		"                            echoed whole / no cookie / cwmp-1-0 only / Basic only / no\n"
		"                            image check, a fifth each); the rest are ideal\n"
		"  --drop-delay SECONDS      a device that dropped a session calls in again after this\n"
		"                            (default 5)\n"
		"Records:\n"
		"  --ack-log FILE            append \"SERIAL inform N\" / \"SERIAL transfer KEY\" for every\n"
		"                            Inform / TransferComplete the ACS acknowledged (crash tests)\n"
		"Other:\n"
		"  --seed N                  random seed for occupancy and bandwidth (default 1)\n"
		"  --verbose                 debug logging\n"
		"  -h, --help                this text\n"
		"\n"
		"Output: one JSON line on exit with sessions, sessions_per_second, p50_ms, p99_ms,\n"
		"downloads (hashed and size-checked only), bytes and errors.\n");
}

enum option_code {
	OPTION_ACS = 256, OPTION_DEVICES, OPTION_GROUPS, OPTION_FIRST_INDEX, OPTION_OUI, OPTION_PRODUCT_CLASS,
	OPTION_SERIAL_PREFIX, OPTION_MANUFACTURER, OPTION_HARDWARE_PREFIX, OPTION_SOFTWARE_VERSION, OPTION_LOCATIONS,
	OPTION_FILE_SERVER_RATIO, OPTION_STOCK_RATIO, OPTION_TR098_RATIO, OPTION_NO_ATTRIBUTES, OPTION_MAX_OCCUPANCY,
	OPTION_CACHE_SIZE, OPTION_LISTEN, OPTION_ADVERTISE_HOST, OPTION_CONCURRENCY, OPTION_PERIODIC, OPTION_RAMP,
	OPTION_DURATION, OPTION_EXIT_AFTER_BOOTSTRAP, OPTION_SESSIONS_ONLY, OPTION_NO_COOKIES, OPTION_USERNAME,
	OPTION_PASSWORD, OPTION_CR_USERNAME, OPTION_CR_PASSWORD, OPTION_STORE, OPTION_FAULT_DEVICES,
	OPTION_STALL_DEVICES, OPTION_DEAD_SERVERS, OPTION_SEED, OPTION_VERBOSE, OPTION_ACK_LOG, OPTION_OCCUPANCY,
	OPTION_SOURCE_RANGE, OPTION_PREFIX_FILE, OPTION_REPORT, OPTION_HASH_EVERY, OPTION_DOWNLOAD_RATE,
	OPTION_SLOW_DEVICES, OPTION_SLOW_RATE, OPTION_FLAKY_DEVICES, OPTION_CUT_AFTER, OPTION_DOWNLOAD_RETRIES,
	OPTION_RETRY_MAX, OPTION_RECEIVE_BUFFER, OPTION_PROFILE, OPTION_DROP_DELAY, OPTION_UPLOAD_RATE,
	OPTION_BANDWIDTH, OPTION_RELAY_WAIT_TIMEOUT, OPTION_CORRUPT_SERVERS,
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
	{ "corrupt-servers", required_argument, NULL, OPTION_CORRUPT_SERVERS },
	{ "seed", required_argument, NULL, OPTION_SEED },
	{ "ack-log", required_argument, NULL, OPTION_ACK_LOG },
	{ "occupancy", required_argument, NULL, OPTION_OCCUPANCY },
	{ "source-range", required_argument, NULL, OPTION_SOURCE_RANGE },
	{ "prefix-file", required_argument, NULL, OPTION_PREFIX_FILE },
	{ "report", required_argument, NULL, OPTION_REPORT },
	{ "hash-every", required_argument, NULL, OPTION_HASH_EVERY },
	{ "download-rate", required_argument, NULL, OPTION_DOWNLOAD_RATE },
	{ "upload-rate", required_argument, NULL, OPTION_UPLOAD_RATE },
	{ "bandwidth", required_argument, NULL, OPTION_BANDWIDTH },
	{ "relay-wait-timeout", required_argument, NULL, OPTION_RELAY_WAIT_TIMEOUT },
	{ "slow-devices", required_argument, NULL, OPTION_SLOW_DEVICES },
	{ "slow-rate", required_argument, NULL, OPTION_SLOW_RATE },
	{ "flaky-devices", required_argument, NULL, OPTION_FLAKY_DEVICES },
	{ "cut-after", required_argument, NULL, OPTION_CUT_AFTER },
	{ "download-retries", required_argument, NULL, OPTION_DOWNLOAD_RETRIES },
	{ "retry-max", required_argument, NULL, OPTION_RETRY_MAX },
	{ "receive-buffer", required_argument, NULL, OPTION_RECEIVE_BUFFER },
	{ "profile", required_argument, NULL, OPTION_PROFILE },
	{ "drop-delay", required_argument, NULL, OPTION_DROP_DELAY },
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

static int size(const char *name, const char *text, uint64_t minimum, uint64_t *value)
{
	uint64_t parsed;

	if (parse_size(text, &parsed) < 0 || parsed < minimum) {
		fprintf(stderr, "cascade-swarm: --%s wants a size like 512K (at least %lu), not \"%s\"\n", name,
			(unsigned long)minimum, text);
		return -EINVAL;
	}
	*value = parsed;
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

int swarm_parse_options(int argc, char **argv, struct swarm_options *options)
{
	int code, result = 0;

	*options = (struct swarm_options){
		.listen = "127.0.0.1:0", .devices = 100, .groups = 1, .oui = "C4C4DE", .product_class = "SwarmGW",
		.serial_prefix = "SWARM", .manufacturer = "Cascade Swarm", .hardware_prefix = "hw-",
		.software_version = "1.0", .location_prefix = "loc-", .file_server_ratio = 0.1, .max_occupancy = 5000,
		.cache_size = 1ull << 30, .concurrency = 256, .store_dir = "swarm-store", .seed = 1,
		.source_range = "auto", .hash_every = 1, .slow_rate = 64 * 1024, .cut_after = 256 * 1024,
		.download_retries = 3, .retry_max_seconds = 30, .drop_delay_seconds = 5, .relay_wait_seconds = 10,
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
		case OPTION_CORRUPT_SERVERS: options->corrupt_servers = optarg; break;
		case OPTION_SEED: result = number("seed", optarg, 0, 4000000000LL, &options->seed); break;
		case OPTION_VERBOSE: options->verbose = true; break;
		case OPTION_ACK_LOG: options->ack_log = optarg; break;
		case OPTION_OCCUPANCY: options->occupancy_list = optarg; break;
		case OPTION_SOURCE_RANGE: options->source_range = optarg; break;
		case OPTION_PREFIX_FILE: options->prefix_file = optarg; break;
		case OPTION_REPORT: options->report_path = optarg; break;
		case OPTION_HASH_EVERY: result = number("hash-every", optarg, 1, 1000000, &options->hash_every); break;
		case OPTION_DOWNLOAD_RATE: result = size("download-rate", optarg, 1024, &options->download_rate); break;
		case OPTION_UPLOAD_RATE: result = size("upload-rate", optarg, 1024, &options->upload_rate); break;
		case OPTION_BANDWIDTH: result = number("bandwidth", optarg, 1, 100000000, &options->bandwidth_kbps); break;
		case OPTION_RELAY_WAIT_TIMEOUT:
			result = fraction("relay-wait-timeout", optarg, 0.1, 3600, &options->relay_wait_seconds);
			break;
		case OPTION_SLOW_DEVICES: options->slow_devices = optarg; break;
		case OPTION_SLOW_RATE: result = size("slow-rate", optarg, 1024, &options->slow_rate); break;
		case OPTION_FLAKY_DEVICES: options->flaky_devices = optarg; break;
		case OPTION_CUT_AFTER: result = size("cut-after", optarg, 1, &options->cut_after); break;
		case OPTION_DOWNLOAD_RETRIES:
			result = number("download-retries", optarg, 0, 100, &options->download_retries);
			break;
		case OPTION_RECEIVE_BUFFER:
			result = size("receive-buffer", optarg, 4096, &options->receive_buffer);
			if (result == 0 && options->receive_buffer > (64u << 20)) {
				fprintf(stderr, "cascade-swarm: --receive-buffer at most 64M\n");
				result = -EINVAL;
			}
			break;
		case OPTION_RETRY_MAX: result = number("retry-max", optarg, 1, 3600, &options->retry_max_seconds); break;
		case OPTION_PROFILE: options->profiles = optarg; break;
		case OPTION_DROP_DELAY: result = fraction("drop-delay", optarg, 0, 3600, &options->drop_delay_seconds); break;
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

