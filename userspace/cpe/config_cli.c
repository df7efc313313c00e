/* cascade-cpe's command line and config file: the usage text, getopt_long
 * over every key of config.c, and the inih loader. */
#include "cpe/config.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *key;
	const char *help;
} option_help[] = {
	{ "acs", "URL            ACS (cascade-acs) CWMP URL (required)" },
	{ "data-dir", "DIR            parameters, queues and images live here (required)" },
	{ "config", "FILE           inih file with the same keys (flags win)" },
	{ "serial", "TEXT           DeviceInfo.SerialNumber (required)" },
	{ "manufacturer", "TEXT           DeviceInfo.Manufacturer (default cascade)" },
	{ "oui", "TEXT           DeviceInfo.ManufacturerOUI (default 00CA5C)" },
	{ "product-class", "TEXT           DeviceInfo.ProductClass (default gateway)" },
	{ "hardware-version", "TEXT           DeviceInfo.HardwareVersion (default 1.0)" },
	{ "software-version", "TEXT           DeviceInfo.SoftwareVersion (default 1.0)" },
	{ "location", "TEXT           X_CASCADE_Location" },
	{ "cache-size", "SIZE           X_CASCADE_CacheSize (default: free space of --data-dir)" },
	{ "bandwidth", "KBIT/S         X_CASCADE_Bandwidth (default 0)" },
	{ "file-server-url", "URL            base URL of this device's cascade-master (master role)" },
	{ "image-dir", "DIR            that cascade-master's --images folder (master role)" },
	{ "connection-request", "ADDR:PORT      connection-request listener (port 0: any; default off)" },
	{ "connection-request-url", "URL            URL advertised to the ACS (default http://ADDR:PORT/)" },
	{ "connection-request-username", "TEXT           Digest username the ACS must present" },
	{ "connection-request-password", "TEXT           Digest password the ACS must present" },
	{ "connection-request-burst", "N              connection requests accepted in a burst (default 4)" },
	{ "connection-request-interval", "DURATION       one more accepted per this (default 5s)" },
	{ "periodic-interval", "DURATION       PeriodicInformInterval (default 300s)" },
	{ "periodic-jitter", "PERCENT        random spread of each periodic wait (default 10)" },
	{ "periodic-enable", "BOOL           PeriodicInformEnable (default true)" },
	{ "startup-jitter", "DURATION       first Inform after a random wait up to this (default 0)" },
	{ "retry-min-wait", "DURATION       CWMPRetryMinimumWaitInterval (default 5s)" },
	{ "retry-multiplier", "PERMILLE       CWMPRetryIntervalMultiplier (default 2000)" },
	{ "retry-max-wait", "DURATION       cap of a session retry wait (default 5120s)" },
	{ "acs-timeout", "DURATION       one HTTP exchange with the ACS (default 30s)" },
	{ "username", "TEXT           ACS username (Basic or Digest)" },
	{ "password", "TEXT           ACS password" },
	{ "auth", "MODE           any (default), basic or digest" },
	{ "ca-file", "FILE           CA bundle for an https ACS or file server" },
	{ "image-public-key", "FILE           Ed25519 public key (PEM): Downloads need a valid\n"
			      "                                               X_CASCADE_ImageSignature (else fault 9019)" },
	{ "master-admin-token-file", "FILE           admin token sent with POST /-/reload to the local cascade-master" },
	{ "root", "ROOT           Device. (default) or InternetGatewayDevice." },
	{ "cwmp-version", "V              1.0, 1.1 or 1.2 (default 1.2): namespace of the Inform" },
	{ "install-command", "COMMAND        run as: sh -c 'COMMAND \"$1\"' with the verified image path" },
	{ "install-timeout", "DURATION       the install command's limit (default 300s)" },
	{ "download-stall-timeout", "DURATION       a download below 1 KiB/s this long fails (default 30s)" },
	{ "download-connect-timeout", "DURATION       connecting to a file server (default 10s)" },
	{ "download-retries", "N              resumes after a cut connection (default 3)" },
	{ "download-rate-limit", "SIZE           download at most SIZE bytes/s (default unlimited)" },
	{ "max-image-size", "SIZE           largest image accepted (default 8G)" },
	{ "cpu-meter", "MODE           ebpf (default, falls back to proc), proc or off" },
	{ "bpf-pin-dir", "DIR            where the eBPF CPU meter is pinned (default\n"
			 "                                               /sys/fs/bpf/cascade; none: a private meter)" },
	{ "cpu-window", "SECONDS        averaging window of X_CASCADE_CPUOccupancy (default 60)" },
	{ "log-level", "LEVEL          error, warn, info (default) or debug" },
};

#define OPTION_COUNT (sizeof(option_help) / sizeof(option_help[0]))

void cpe_config_usage(FILE *stream)
{
	fprintf(stream, "Usage: cascade-cpe --acs URL --data-dir DIR --serial TEXT [--config FILE] [OPTIONS]\n"
			"\n"
			"The cascade device agent: a TR-069 (CWMP) client that informs the ACS,\n"
			"runs its RPCs, downloads images with resume and SHA-256 verification,\n"
			"installs them or (on a master) hands them to cascade-master.\n"
			"\n");
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const char *help = option_help[i].help;
		size_t metavar = strcspn(help, " ");
		char flag[80];

		snprintf(flag, sizeof(flag), "--%s %.*s", option_help[i].key, (int)metavar, help);
		fprintf(stream, "  %-44s %s\n", flag, help + metavar + strspn(help + metavar, " "));
	}
	fprintf(stream, "  -h, --%-38s this text\n"
			"\n"
			"Config file keys are the flag names (dashes or underscores), at top level\n"
			"or in a [cpe] section. SIZE takes K/M/G suffixes, DURATION ms/s/m/h.\n"
			"See docs/cpe.md.\n",
		"help");
}

struct file_context {
	struct cpe_config *config;
	char *error;
	size_t error_size;
	int result;
};

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct file_context *context = user;
	char why[512];

	if (context->result < 0)
		return 0;
	if (section[0] && strcmp(section, "cpe") != 0) {
		snprintf(context->error, context->error_size, "section [%s] is not known (use [cpe] or none)", section);
		context->result = -EINVAL;
		return 0;
	}
	if (strcmp(name, "config") == 0) {
		snprintf(context->error, context->error_size, "\"config\" cannot be set inside a config file");
		context->result = -EINVAL;
		return 0;
	}
	if (cpe_config_set(context->config, name, value, why, sizeof(why)) < 0) {
		snprintf(context->error, context->error_size, "%s", why);
		context->result = -EINVAL;
		return 0;
	}
	return 1;
}

int cpe_config_load_file(struct cpe_config *config, const char *path, char *error, size_t error_size)
{
	struct file_context context = { config, error, error_size, 0 };
	char why[512] = "";
	int line;

	context.error = why;
	context.error_size = sizeof(why);
	line = ini_parse(path, on_ini_entry, &context);
	if (line == -1) {
		snprintf(error, error_size, "cannot open config file %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	if (line != 0 || context.result < 0) {
		snprintf(error, error_size, "%s:%d: %s", path, line, why[0] ? why : "syntax error");
		return -EINVAL;
	}
	return 0;
}

static void build_options(struct option *options)
{
	for (size_t i = 0; i < OPTION_COUNT; i++)
		options[i] = (struct option){ option_help[i].key, required_argument, NULL, (int)(i + 256) };
	options[OPTION_COUNT] = (struct option){ "help", no_argument, NULL, 'h' };
	options[OPTION_COUNT + 1] = (struct option){ NULL, 0, NULL, 0 };
}

/* One pass over the flags; with only_config, records --config and nothing else. */
static int parse_pass(struct cpe_config *config, int argc, char **argv, bool only_config, const char **config_path)
{
	struct option options[OPTION_COUNT + 2];
	char error[600];
	int option;

	build_options(options);
	optind = 1;
	opterr = only_config ? 1 : 0;
	while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		const char *key;

		if (option == 'h') {
			if (only_config) {
				cpe_config_usage(stdout);
				return 1;
			}
			continue;
		}
		if (option < 256 || option >= 256 + (int)OPTION_COUNT) {
			if (only_config) {
				fprintf(stderr, "cascade-cpe: unknown or incomplete option (see --help)\n");
				return -EINVAL;
			}
			continue;
		}
		key = option_help[option - 256].key;
		if (strcmp(key, "config") == 0) {
			*config_path = optarg;
			continue;
		}
		if (only_config)
			continue;
		if (cpe_config_set(config, key, optarg, error, sizeof(error)) < 0) {
			fprintf(stderr, "cascade-cpe: --%s\n", error);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cascade-cpe: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int cpe_config_from_arguments(struct cpe_config *config, int argc, char **argv)
{
	const char *config_path = NULL;
	char error[700];
	int result;

	result = parse_pass(config, argc, argv, true, &config_path);
	if (result != 0)
		return result;
	if (config_path && cpe_config_load_file(config, config_path, error, sizeof(error)) < 0) {
		fprintf(stderr, "cascade-cpe: %s\n", error);
		return -EINVAL;
	}
	result = parse_pass(config, argc, argv, false, &config_path);
	if (result != 0)
		return result;
	if (cpe_config_validate(config, error, sizeof(error)) < 0) {
		fprintf(stderr, "cascade-cpe: %s\n", error);
		return -EINVAL;
	}
	return 0;
}
