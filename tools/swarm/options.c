/* cascade-swarm's command line: one table of options (common/cli.h: the
 * parser, --help and --man from it) and the code filling struct
 * swarm_options, with a message naming any value it cannot use. */
#include "swarm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/parse.h"

enum option_code {
	OPTION_ACS = 1, OPTION_DEVICES, OPTION_GROUPS, OPTION_FIRST_INDEX, OPTION_OUI, OPTION_PRODUCT_CLASS,
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

static const struct cli_option swarm_options[] = {
	CLI_HEADING("Devices and attributes"),
	CLI_OPTION("acs", "URL", "the ACS's CWMP URL (required), e.g. http://127.0.0.1:7547/", OPTION_ACS),
	CLI_OPTION("devices", "N", "simulated devices (default 100)", OPTION_DEVICES),
	CLI_OPTION("groups", "G", "hardware versions to spread devices over (default 1)", OPTION_GROUPS),
	CLI_OPTION("first-index", "N", "number of the first serial (default 0)", OPTION_FIRST_INDEX),
	CLI_OPTION("oui", "OUI", "ManufacturerOUI (default C4C4DE)", OPTION_OUI),
	CLI_OPTION("product-class", "PC", "ProductClass (default SwarmGW)", OPTION_PRODUCT_CLASS),
	CLI_OPTION("serial-prefix", "P", "serial numbers are P and six digits (default SWARM)", OPTION_SERIAL_PREFIX),
	CLI_OPTION("manufacturer", "M", "Manufacturer (default Cascade Swarm)", OPTION_MANUFACTURER),
	CLI_OPTION("hardware-prefix", "P", "hardware version is P<group> (default hw-)", OPTION_HARDWARE_PREFIX),
	CLI_OPTION("software-version", "V", "reported software version (default 1.0)", OPTION_SOFTWARE_VERSION),
	CLI_OPTION("locations", "N", "location labels loc-0..loc-N-1 (default 0: all loc-0)", OPTION_LOCATIONS),
	CLI_OPTION("file-server-ratio", "R", "share of cascade devices able to serve (0..1, default 0.1)",
		   OPTION_FILE_SERVER_RATIO),
	CLI_OPTION("stock-ratio", "R", "share of stock devices without X_CASCADE_ (default 0)", OPTION_STOCK_RATIO),
	CLI_OPTION("tr098-ratio", "R", "share using the InternetGatewayDevice. root (default 0)", OPTION_TR098_RATIO),
	CLI_OPTION("no-attributes", NULL, "Informs carry only the ConnectionRequestURL (ACS must probe)",
		   OPTION_NO_ATTRIBUTES),
	CLI_OPTION("max-occupancy", "N", "random CPU occupancy up to N (percent x100, default 5000)",
		   OPTION_MAX_OCCUPANCY),
	CLI_OPTION("cache-size", "SIZE", "free space reported (default 1G)", OPTION_CACHE_SIZE),
	CLI_OPTION("occupancy", "I=V,...", "fixed occupancy V (percent x100) for device number I", OPTION_OCCUPANCY),
	CLI_HEADING("Behaviour"),
	CLI_OPTION("listen", "HOST:PORT", "connection-request and image server (default 127.0.0.1:0)", OPTION_LISTEN),
	CLI_OPTION("advertise-host", "HOST", "host put in URLs given to the ACS (default: the listen host)",
		   OPTION_ADVERTISE_HOST),
	CLI_OPTION("concurrency", "N", "sessions in flight (default 256)", OPTION_CONCURRENCY),
	CLI_OPTION("periodic", "SECONDS", "periodic Inform interval, jittered +-10% (default 0: none)", OPTION_PERIODIC),
	CLI_OPTION("ramp", "SECONDS", "spread the first Informs over this time (default 0)", OPTION_RAMP),
	CLI_OPTION("duration", "SECONDS", "stop after this time (default: run until SIGTERM/SIGINT)", OPTION_DURATION),
	CLI_OPTION("exit-after-bootstrap", NULL, "stop once every device has completed a session",
		   OPTION_EXIT_AFTER_BOOTSTRAP),
	CLI_OPTION("sessions-only", NULL, "benchmark: each device loops Inform, empty POST, 204", OPTION_SESSIONS_ONLY),
	CLI_OPTION("no-cookies", NULL, "never send the session cookie back", OPTION_NO_COOKIES),
	CLI_OPTION("username", "U", "username towards the ACS (U may hold %s for the serial)", OPTION_USERNAME),
	CLI_OPTION("password", "P", "password towards the ACS", OPTION_PASSWORD),
	CLI_OPTION("cr-username", "U", "Digest username expected on connection requests", OPTION_CR_USERNAME),
	CLI_OPTION("cr-password", "P", "Digest password expected on connection requests", OPTION_CR_PASSWORD),
	CLI_OPTION("store", "DIR", "where file-server devices keep images (default ./swarm-store)", OPTION_STORE),
	CLI_OPTION("source-range", "CIDR", "every device connects from its own address in CIDR, a block per group\n"
					   "(default auto: 127.64.0.0/10 for a loopback ACS; none: the default\n"
					   "source address)", OPTION_SOURCE_RANGE),
	CLI_OPTION("prefix-file", "FILE", "write \"GROUP HARDWARE_VERSION PREFIX\" per group (for the meter)",
		   OPTION_PREFIX_FILE),
	CLI_OPTION("retry-max", "SECONDS", "cap of the exponential back-off after failed sessions (default 30)",
		   OPTION_RETRY_MAX),
	CLI_HEADING("Downloads"),
	CLI_OPTION("hash-every", "K", "SHA-256 only every K-th device's downloads (default 1: all; benchmarks;\n"
				      "the others check the size only, counted apart)", OPTION_HASH_EVERY),
	CLI_OPTION("download-rate", "RATE", "bytes/s per download, e.g. 512K (default unlimited)", OPTION_DOWNLOAD_RATE),
	CLI_OPTION("upload-rate", "RATE", "bytes/s a file-server device sends to all its readers together, e.g.\n"
					  "1250K: its gateway uplink (default unlimited)", OPTION_UPLOAD_RATE),
	CLI_OPTION("bandwidth", "KBIT", "X_CASCADE_Bandwidth of every device (default: the upload rate, or random\n"
					"10-100 Mbit/s)", OPTION_BANDWIDTH),
	CLI_OPTION("relay-wait-timeout", "SECONDS", "a reader of an image a file server still receives is cut after\n"
						    "this long without a newly checked piece (default 10)",
		   OPTION_RELAY_WAIT_TIMEOUT),
	CLI_OPTION("download-retries", "N", "in-place Range resumes after a cut connection (default 3)",
		   OPTION_DOWNLOAD_RETRIES),
	CLI_OPTION("receive-buffer", "SIZE", "SO_RCVBUF of download sockets, as on a small-memory device, up to 64M\n"
					     "(default: the kernel's)", OPTION_RECEIVE_BUFFER),
	CLI_OPTION("report", "FILE", "one JSON line per finished download attempt: fault, bytes received and\n"
				     "discarded, requests, Range requests, time", OPTION_REPORT),
	CLI_HEADING("Fault injection (comma-separated device numbers)"),
	CLI_OPTION("fault-devices", "LIST", "downloads end with TransferComplete fault 9010", OPTION_FAULT_DEVICES),
	CLI_OPTION("stall-devices", "LIST", "downloads are accepted but never finish", OPTION_STALL_DEVICES),
	CLI_OPTION("dead-servers", "LIST", "file servers answer 503", OPTION_DEAD_SERVERS),
	CLI_OPTION("corrupt-servers", "LIST", "file servers send the image with its middle byte flipped",
		   OPTION_CORRUPT_SERVERS),
	CLI_OPTION("slow-devices", "LIST", "these devices download at --slow-rate", OPTION_SLOW_DEVICES),
	CLI_OPTION("slow-rate", "RATE", "bytes/s of the slow devices (default 64K)", OPTION_SLOW_RATE),
	CLI_OPTION("flaky-devices", "LIST", "these devices cut their connection once per image after --cut-after\n"
					    "bytes, then resume with Range", OPTION_FLAKY_DEVICES),
	CLI_OPTION("cut-after", "SIZE", "where flaky devices cut (default 256K)", OPTION_CUT_AFTER),
	CLI_HEADING("Stock-device profiles (docs/swarm.md; file servers stay ideal)"),
	CLI_OPTION("profile", "NAME=SHARE,...",
		   "share of all devices (0..1) behaving like NAME: partial-path (stock; a\n"
		   "partial-path GetParameterValues is faulted / dropped / restarted on, a third each),\n"
		   "sloppy-fault (faults parameters in envelopes with undeclared prefixes),\n"
		   "late-transfer-complete (reports at its next periodic Inform unless a connection\n"
		   "request comes), stalling (sits on the first Download of an image), spv-fault (an\n"
		   "empty-URL Download: fault 9003 / TransferComplete 9010), nonce-reuse (Digest with its\n"
		   "last nonce and nc=00000001 each session), legacy (cookie echoed whole / no cookie /\n"
		   "cwmp-1-0 only / Basic only / no image check, a fifth each); the rest are ideal",
		   OPTION_PROFILE),
	CLI_OPTION("drop-delay", "SECONDS", "a device that dropped a session calls in again after this (default 5)",
		   OPTION_DROP_DELAY),
	CLI_HEADING("Records"),
	CLI_OPTION("ack-log", "FILE", "append \"SERIAL inform N\" / \"SERIAL transfer KEY\" for every Inform /\n"
				      "TransferComplete the ACS acknowledged (crash tests)", OPTION_ACK_LOG),
	CLI_HEADING("Other"),
	CLI_OPTION("seed", "N", "random seed for occupancy and bandwidth (default 1)", OPTION_SEED),
	CLI_OPTION("verbose", NULL, "debug logging", OPTION_VERBOSE),
	CLI_END_OF_OPTIONS,
};

static const struct cli_command swarm_command = {
	.words = "",
	.synopsis = "--acs URL [options]",
	.description = "Simulates N CWMP devices against cascade-acs in one process.",
	.options = swarm_options,
	.notes = "Output: one JSON line on exit with sessions, sessions_per_second, p50_ms, p99_ms,\n"
		 "downloads (hashed and size-checked only), bytes and errors.",
};

static const struct cli_program swarm_program = {
	.name = "cascade-swarm",
	.summary = "thousands of simulated TR-069 devices in one process (a cascade test tool)",
	.main = &swarm_command,
	.exit_status = "0 done; 1 the swarm failed to start or run; 2 bad usage.",
	.see_also = "cascade-acs(8), cascade-cpe(8)",
	.man_section = 1,
};

static int number(const struct cli_parser *parser, long long minimum, long long maximum, unsigned int *value)
{
	long long parsed;

	if (parse_integer(parser->value, minimum, maximum, &parsed) < 0) {
		cli_bad_value(parser, "expected a whole number from %lld to %lld", minimum, maximum);
		return -EINVAL;
	}
	*value = (unsigned int)parsed;
	return 0;
}

static int size(const struct cli_parser *parser, uint64_t minimum, uint64_t maximum, uint64_t *value)
{
	uint64_t parsed;

	if (parse_size(parser->value, &parsed) < 0 || parsed < minimum || parsed > maximum) {
		if (maximum == UINT64_MAX)
			cli_bad_value(parser, "expected a size such as 512K, at least %llu", (unsigned long long)minimum);
		else
			cli_bad_value(parser, "expected a size such as 512K, from %llu to %llu", (unsigned long long)minimum,
				      (unsigned long long)maximum);
		return -EINVAL;
	}
	*value = parsed;
	return 0;
}

static int fraction(const struct cli_parser *parser, double minimum, double maximum, double *value)
{
	char *end;
	double parsed = strtod(parser->value, &end);

	if (end == parser->value || *end || !isfinite(parsed) || parsed < minimum || parsed > maximum) {
		cli_bad_value(parser, "expected a number from %g to %g", minimum, maximum);
		return -EINVAL;
	}
	*value = parsed;
	return 0;
}

int swarm_parse_options(int argc, char **argv, struct swarm_options *options)
{
	struct cli_parser parser;
	int code = CLI_END, result = 0;

	*options = (struct swarm_options){
		.listen = "127.0.0.1:0", .devices = 100, .groups = 1, .oui = "C4C4DE", .product_class = "SwarmGW",
		.serial_prefix = "SWARM", .manufacturer = "Cascade Swarm", .hardware_prefix = "hw-",
		.software_version = "1.0", .location_prefix = "loc-", .file_server_ratio = 0.1, .max_occupancy = 5000,
		.cache_size = 1ull << 30, .concurrency = 256, .store_dir = "swarm-store", .seed = 1,
		.source_range = "auto", .hash_every = 1, .slow_rate = 64 * 1024, .cut_after = 256 * 1024,
		.download_retries = 3, .retry_max_seconds = 30, .drop_delay_seconds = 5, .relay_wait_seconds = 10,
	};
	cli_begin_program(&parser, &swarm_program, argc, argv);
	while (result == 0 && (code = cli_next(&parser)) > 0) {
		const char *value = parser.value;

		switch (code) {
		case OPTION_ACS: options->acs_url = value; break;
		case OPTION_DEVICES: result = number(&parser, 1, 2000000, &options->devices); break;
		case OPTION_GROUPS: result = number(&parser, 1, 1000000, &options->groups); break;
		case OPTION_FIRST_INDEX: result = number(&parser, 0, 100000000, &options->first_index); break;
		case OPTION_OUI: options->oui = value; break;
		case OPTION_PRODUCT_CLASS: options->product_class = value; break;
		case OPTION_SERIAL_PREFIX: options->serial_prefix = value; break;
		case OPTION_MANUFACTURER: options->manufacturer = value; break;
		case OPTION_HARDWARE_PREFIX: options->hardware_prefix = value; break;
		case OPTION_SOFTWARE_VERSION: options->software_version = value; break;
		case OPTION_LOCATIONS: result = number(&parser, 0, 1000000, &options->locations); break;
		case OPTION_FILE_SERVER_RATIO: result = fraction(&parser, 0, 1, &options->file_server_ratio); break;
		case OPTION_STOCK_RATIO: result = fraction(&parser, 0, 1, &options->stock_ratio); break;
		case OPTION_TR098_RATIO: result = fraction(&parser, 0, 1, &options->tr098_ratio); break;
		case OPTION_NO_ATTRIBUTES: options->no_attributes = true; break;
		case OPTION_MAX_OCCUPANCY: result = number(&parser, 0, 10000, &options->max_occupancy); break;
		case OPTION_CACHE_SIZE: result = size(&parser, 0, UINT64_MAX, &options->cache_size); break;
		case OPTION_LISTEN: options->listen = value; break;
		case OPTION_ADVERTISE_HOST: options->advertise_host = value; break;
		case OPTION_CONCURRENCY: result = number(&parser, 1, 100000, &options->concurrency); break;
		case OPTION_PERIODIC: result = fraction(&parser, 0, 1e7, &options->periodic_seconds); break;
		case OPTION_RAMP: result = fraction(&parser, 0, 1e6, &options->ramp_seconds); break;
		case OPTION_DURATION: result = fraction(&parser, 0, 1e7, &options->duration_seconds); break;
		case OPTION_EXIT_AFTER_BOOTSTRAP: options->exit_after_bootstrap = true; break;
		case OPTION_SESSIONS_ONLY: options->sessions_only = true; break;
		case OPTION_NO_COOKIES: options->no_cookies = true; break;
		case OPTION_USERNAME: options->username = value; break;
		case OPTION_PASSWORD: options->password = value; break;
		case OPTION_CR_USERNAME: options->cr_username = value; break;
		case OPTION_CR_PASSWORD: options->cr_password = value; break;
		case OPTION_STORE: options->store_dir = value; break;
		case OPTION_FAULT_DEVICES: options->fault_devices = value; break;
		case OPTION_STALL_DEVICES: options->stall_devices = value; break;
		case OPTION_DEAD_SERVERS: options->dead_servers = value; break;
		case OPTION_CORRUPT_SERVERS: options->corrupt_servers = value; break;
		case OPTION_SEED: result = number(&parser, 0, 4000000000LL, &options->seed); break;
		case OPTION_VERBOSE: options->verbose = true; break;
		case OPTION_ACK_LOG: options->ack_log = value; break;
		case OPTION_OCCUPANCY: options->occupancy_list = value; break;
		case OPTION_SOURCE_RANGE: options->source_range = value; break;
		case OPTION_PREFIX_FILE: options->prefix_file = value; break;
		case OPTION_REPORT: options->report_path = value; break;
		case OPTION_HASH_EVERY: result = number(&parser, 1, 1000000, &options->hash_every); break;
		case OPTION_DOWNLOAD_RATE: result = size(&parser, 1024, UINT64_MAX, &options->download_rate); break;
		case OPTION_UPLOAD_RATE: result = size(&parser, 1024, UINT64_MAX, &options->upload_rate); break;
		case OPTION_BANDWIDTH: result = number(&parser, 1, 100000000, &options->bandwidth_kbps); break;
		case OPTION_RELAY_WAIT_TIMEOUT: result = fraction(&parser, 0.1, 3600, &options->relay_wait_seconds); break;
		case OPTION_SLOW_DEVICES: options->slow_devices = value; break;
		case OPTION_SLOW_RATE: result = size(&parser, 1024, UINT64_MAX, &options->slow_rate); break;
		case OPTION_FLAKY_DEVICES: options->flaky_devices = value; break;
		case OPTION_CUT_AFTER: result = size(&parser, 1, UINT64_MAX, &options->cut_after); break;
		case OPTION_DOWNLOAD_RETRIES: result = number(&parser, 0, 100, &options->download_retries); break;
		case OPTION_RECEIVE_BUFFER: result = size(&parser, 4096, 64u << 20, &options->receive_buffer); break;
		case OPTION_RETRY_MAX: result = number(&parser, 1, 3600, &options->retry_max_seconds); break;
		case OPTION_PROFILE: options->profiles = value; break;
		default: result = fraction(&parser, 0, 3600, &options->drop_delay_seconds); break; /* OPTION_DROP_DELAY */
		}
	}
	if (result < 0)
		return result;
	if (code == CLI_ANSWERED)
		return 1;
	if (code < 0 || cli_check_operands(&parser, 0, 0, "") != 0)
		return -EINVAL;
	if (!options->acs_url || strncmp(options->acs_url, "http", 4) != 0) {
		cli_usage_error(&parser, "--acs URL is required (http://HOST:PORT/)");
		return -EINVAL;
	}
	if (options->cr_username && !options->cr_password) {
		cli_usage_error(&parser, "--cr-username needs --cr-password");
		return -EINVAL;
	}
	return 0;
}

