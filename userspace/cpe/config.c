/* cascade-cpe's settings table: every flag and config-file key (the same
 * names, at the top of the file or in [cpe]) with its default, bounds and
 * help, the checks that span several keys, and the command line. */
#include "cpe/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/image_signature.h"
#include "common/parse.h"
#include "common/settings.h"

bool cpe_config_is_master(const struct cpe_config *config)
{
	return config->file_server_url[0] && config->image_dir[0];
}

bool cpe_url_is_http(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static int fail(char *error, size_t error_size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *error, size_t error_size, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(error, error_size, format, arguments);
	va_end(arguments);
	return -EINVAL;
}

/* An http:// or https:// URL into a CPE_URL_MAX field. */
static int set_url(char *field, const char *value, char *why, size_t why_size)
{
	if (!cpe_url_is_http(value) || strlen(value) >= CPE_URL_MAX)
		return fail(why, why_size, "expected an http:// or https:// URL under %d bytes", CPE_URL_MAX);
	memcpy(field, value, strlen(value) + 1);
	return 0;
}

static int set_acs_url(void *config, const char *value, char *why, size_t why_size)
{
	return set_url(((struct cpe_config *)config)->acs_url, value, why, why_size);
}

static int set_file_server_url(void *config, const char *value, char *why, size_t why_size)
{
	return set_url(((struct cpe_config *)config)->file_server_url, value, why, why_size);
}

static int set_connection_request_url(void *config, const char *value, char *why, size_t why_size)
{
	return set_url(((struct cpe_config *)config)->connection_request_url, value, why, why_size);
}

/* ADDR:PORT of the connection-request listener, or "off" / "". */
static int set_connection_request(void *config, const char *value, char *why, size_t why_size)
{
	struct cpe_config *cpe = config;
	struct sockaddr_storage address;
	socklen_t length;

	if (strcmp(value, "off") == 0 || value[0] == '\0') {
		cpe->connection_request_address[0] = '\0';
		return 0;
	}
	if (parse_socket_address(value, &address, &length) < 0 ||
	    strlen(value) >= sizeof(cpe->connection_request_address))
		return fail(why, why_size, "expected ADDR:PORT (or off)");
	memcpy(cpe->connection_request_address, value, strlen(value) + 1);
	return 0;
}

static int set_root(void *config, const char *value, char *why, size_t why_size)
{
	struct cpe_config *cpe = config;

	if (strcmp(value, "Device") == 0 || strcmp(value, "Device.") == 0)
		snprintf(cpe->root, sizeof(cpe->root), "Device.");
	else if (strcmp(value, "InternetGatewayDevice") == 0 || strcmp(value, "InternetGatewayDevice.") == 0)
		snprintf(cpe->root, sizeof(cpe->root), "InternetGatewayDevice.");
	else
		return fail(why, why_size, "expected Device. or InternetGatewayDevice.");
	return 0;
}

static const char *const own_sections[] = { "cpe", NULL };
static const char *const auth_names[] = { [CPE_AUTH_ANY] = "any", [CPE_AUTH_BASIC] = "basic",
					  [CPE_AUTH_DIGEST] = "digest", NULL };
static const char *const meter_names[] = { [CPE_CPU_METER_EBPF] = "ebpf", [CPE_CPU_METER_PROC] = "proc",
					   [CPE_CPU_METER_OFF] = "off", NULL };
static const char *const version_names[] = { [CWMP_VERSION_1_0] = "1.0", [CWMP_VERSION_1_1] = "1.1",
					      [CWMP_VERSION_1_2] = "1.2", NULL };
static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };

#define AT(field) offsetof(struct cpe_config, field)
#define TEXT(field) .type = SETTING_STRING, .offset = AT(field), .size = sizeof(((struct cpe_config *)0)->field)
#define COUNT(field, low, high) .type = SETTING_UNSIGNED, .offset = AT(field), .minimum = (low), .maximum = (high)
#define TIME(field, low, high) .type = SETTING_DURATION, .offset = AT(field), .minimum = (low), .maximum = (high)
#define BYTES(field, low, high) .type = SETTING_SIZE, .offset = AT(field), .minimum = (low), .maximum = (high)
#define CHOICE(field, names) .type = SETTING_CHOICE, .offset = AT(field), .choices = (names)
#define CUSTOM(setter) .type = SETTING_CUSTOM, .set = (setter)
#define DAY_MS 86400000ull

static const struct setting settings[] = {
	/* the ACS and the session */
	{ .key = "acs", CUSTOM(set_acs_url), .value_name = "URL", .help = "ACS (cascade-acs) CWMP URL (required)" },
	{ .key = "data-dir", TEXT(data_dir), .value_name = "DIR",
	  .help = "parameters, queues and images live here (required)" },
	{ .key = "username", TEXT(username), .help = "ACS username (Basic or Digest)" },
	{ .key = "password", TEXT(password), .help = "ACS password" },
	{ .key = "auth", CHOICE(auth, auth_names), .default_value = "any", .help = "how to log in to the ACS" },
	{ .key = "ca-file", TEXT(ca_file), .value_name = "FILE", .help = "CA bundle for an https ACS or file server" },
	{ .key = "acs-timeout", TIME(acs_timeout_ms, 100, 600000), .default_value = "30s",
	  .help = "one HTTP exchange with the ACS" },
	{ .key = "root", CUSTOM(set_root), .default_value = "Device.", .value_name = "ROOT",
	  .help = "data model root: Device. or InternetGatewayDevice." },
	{ .key = "cwmp-version", CHOICE(cwmp_version, version_names), .default_value = "1.2",
	  .help = "namespace of the Inform" },

	/* identity and attributes */
	{ .key = "serial", TEXT(serial), .help = "DeviceInfo.SerialNumber (required)" },
	{ .key = "manufacturer", TEXT(manufacturer), .minimum = 1, .default_value = "cascade",
	  .help = "DeviceInfo.Manufacturer" },
	{ .key = "oui", TEXT(oui), .minimum = 1, .default_value = "00CA5C", .help = "DeviceInfo.ManufacturerOUI" },
	{ .key = "product-class", TEXT(product_class), .default_value = "gateway", .help = "DeviceInfo.ProductClass" },
	{ .key = "hardware-version", TEXT(hardware_version), .default_value = "1.0",
	  .help = "DeviceInfo.HardwareVersion" },
	{ .key = "software-version", TEXT(software_version), .default_value = "1.0",
	  .help = "DeviceInfo.SoftwareVersion" },
	{ .key = "location", TEXT(location), .help = "X_CASCADE_Location" },
	{ .key = "cache-size", BYTES(cache_size, 0, 0), .default_note = "free space of --data-dir",
	  .help = "X_CASCADE_CacheSize" },
	{ .key = "bandwidth", COUNT(bandwidth_kbps, 0, UINT32_MAX), .default_value = "0", .value_name = "KBIT/S",
	  .help = "X_CASCADE_Bandwidth" },

	/* the master role */
	{ .key = "file-server-url", CUSTOM(set_file_server_url), .value_name = "URL",
	  .help = "base URL of this device's cascade-master (master role)" },
	{ .key = "image-dir", TEXT(image_dir), .value_name = "DIR",
	  .help = "that cascade-master's --images folder (master role)" },
	{ .key = "master-admin-token-file", TEXT(master_admin_token_file), .value_name = "FILE",
	  .help = "admin token sent with POST /-/reload to the local cascade-master" },
	{ .key = "image-public-key", TEXT(image_public_key), .value_name = "FILE",
	  .help = "Ed25519 public key (PEM): Downloads need a valid X_CASCADE_ImageSignature (else fault 9019)" },

	/* connection requests */
	{ .key = "connection-request", CUSTOM(set_connection_request), .default_value = "off",
	  .value_name = "ADDR:PORT", .help = "connection-request listener (port 0: any)" },
	{ .key = "connection-request-url", CUSTOM(set_connection_request_url), .value_name = "URL",
	  .default_note = "http://ADDR:PORT/", .help = "URL advertised to the ACS" },
	{ .key = "connection-request-username", TEXT(connection_request_username),
	  .help = "Digest username the ACS must present" },
	{ .key = "connection-request-password", TEXT(connection_request_password),
	  .help = "Digest password the ACS must present" },
	{ .key = "connection-request-burst", COUNT(connection_request_burst, 1, 1000), .default_value = "4",
	  .help = "connection requests accepted in a burst" },
	{ .key = "connection-request-interval", TIME(connection_request_refill_ms, 10, 3600000),
	  .default_value = "5s", .help = "one more accepted per this" },

	/* periodic Informs and retries */
	{ .key = "periodic-enable", .type = SETTING_BOOL, .offset = AT(periodic_enable), .default_value = "true",
	  .help = "PeriodicInformEnable" },
	{ .key = "periodic-interval", TIME(periodic_interval_ms, 1000, 7 * DAY_MS), .default_value = "5m",
	  .help = "PeriodicInformInterval" },
	{ .key = "periodic-jitter", COUNT(periodic_jitter_percent, 0, 50), .default_value = "10",
	  .value_name = "PERCENT", .help = "random spread of each periodic wait" },
	{ .key = "startup-jitter", TIME(startup_jitter_ms, 0, DAY_MS), .default_value = "0ms",
	  .help = "first Inform after a random wait up to this" },
	{ .key = "retry-min-wait", TIME(retry_min_wait_ms, 100, 65535000), .default_value = "5s",
	  .help = "CWMPRetryMinimumWaitInterval" },
	{ .key = "retry-multiplier", COUNT(retry_multiplier, 1000, 65535), .default_value = "2000",
	  .value_name = "PERMILLE", .help = "CWMPRetryIntervalMultiplier" },
	{ .key = "retry-max-wait", TIME(retry_max_wait_ms, 100, 7 * DAY_MS), .default_value = "5120s",
	  .help = "cap of a session retry wait" },

	/* downloads and install */
	{ .key = "install-command", TEXT(install_command), .value_name = "COMMAND",
	  .help = "run as: sh -c 'COMMAND \"$1\"' with the verified image path" },
	{ .key = "install-timeout", TIME(install_timeout_ms, 100, DAY_MS), .default_value = "5m",
	  .help = "the install command's limit" },
	{ .key = "download-stall-timeout", TIME(download_stall_ms, 1000, 3600000), .default_value = "30s",
	  .help = "a download below 1 KiB/s this long fails" },
	{ .key = "download-connect-timeout", TIME(download_connect_timeout_ms, 100, 600000),
	  .default_value = "10s", .help = "connecting to a file server" },
	{ .key = "download-retries", COUNT(download_retries, 0, 100), .default_value = "3",
	  .help = "resumes after a cut connection" },
	{ .key = "download-rate-limit", BYTES(download_rate_limit, 0, 0), .default_value = "0",
	  .value_name = "BYTES/S", .help = "download at most this fast, like a link (0: unlimited)" },
	{ .key = "max-image-size", BYTES(max_image_size, 1, 0), .default_value = "8G",
	  .help = "largest image accepted" },

	/* CPU occupancy */
	{ .key = "cpu-meter", CHOICE(cpu_meter, meter_names), .default_value = "ebpf",
	  .help = "how X_CASCADE_CPUOccupancy is measured (ebpf falls back to proc)" },
	{ .key = "bpf-pin-dir", TEXT(bpf_pin_dir), .default_value = "/sys/fs/bpf/cascade", .value_name = "DIR",
	  .help = "where the eBPF CPU meter is pinned (none: a private meter)" },
	{ .key = "cpu-window", COUNT(cpu_window_seconds, 1, 3600), .default_value = "60", .value_name = "SECONDS",
	  .help = "averaging window of X_CASCADE_CPUOccupancy" },
	{ .key = "log-level", CHOICE(log_level, log_levels), .default_value = "info",
	  .help = "least important messages logged" },
};

static const struct settings_program cpe_settings = {
	.name = "cascade-cpe",
	.synopsis = "--acs URL --data-dir DIR --serial TEXT [--config FILE] [options]",
	.summary = "the cascade device agent: a TR-069 client with verified, resumable downloads",
	.description = "cascade-cpe is a CWMP (TR-069) client: it informs the ACS, runs its RPCs, downloads\n"
		       "images with resume and SHA-256 (and per-piece) verification, installs them or, on a\n"
		       "master, hands them to the local cascade-master, which may relay them while they arrive.",
	.own_sections = own_sections,
	.settings = settings,
	.count = sizeof(settings) / sizeof(settings[0]),
	.notes = "Config file keys are the flag names, at the top of the file or in a [cpe] section.\n"
		 "SIZE takes K, M, G; DURATION ms, s, m, h (a bare number is seconds).",
	.files = "DIR/ (--data-dir): the device's parameters, download queue, TransferComplete records and images.",
	.man_section = 8,
};

void cpe_config_defaults(struct cpe_config *config)
{
	memset(config, 0, sizeof(*config));
	(void)settings_defaults(&cpe_settings, config);
}

int cpe_config_set(struct cpe_config *config, const char *key, const char *value, char *error, size_t error_size)
{
	char why[400] = "";
	int result = settings_set(&cpe_settings, config, key, value, why, sizeof(why));

	if (result == -ENOENT)
		snprintf(error, error_size, "unknown key \"%s\"", key);
	else if (result < 0)
		snprintf(error, error_size, "%s: bad value \"%.200s\": %s", key, value, why);
	return result;
}

int cpe_config_load_file(struct cpe_config *config, const char *path, char *error, size_t error_size)
{
	int result = settings_load_file(&cpe_settings, config, path, error, error_size);

	return result == -EIO ? -ENOENT : result;
}

int cpe_config_from_arguments(struct cpe_config *config, int argc, char **argv)
{
	char error[700];
	int result = settings_from_arguments(&cpe_settings, config, argc, argv, NULL);

	if (result != 0)
		return result;
	if (cpe_config_validate(config, error, sizeof(error)) < 0) {
		fprintf(stderr, "cascade-cpe: %s\n", error);
		return -EINVAL;
	}
	return 0;
}

void cpe_config_usage(FILE *stream)
{
	settings_print_help(&cpe_settings, stream);
}

int cpe_config_validate(const struct cpe_config *config, char *error, size_t error_size)
{
	if (!config->acs_url[0])
		return fail(error, error_size, "--acs URL is required");
	if (!config->data_dir[0])
		return fail(error, error_size, "--data-dir DIR is required");
	if (!config->serial[0])
		return fail(error, error_size, "--serial is required (the device's SerialNumber)");
	if (!config->oui[0] || !config->manufacturer[0])
		return fail(error, error_size, "--oui and --manufacturer must not be empty");
	if (!!config->file_server_url[0] != !!config->image_dir[0])
		return fail(error, error_size, "--file-server-url and --image-dir go together (a master needs both)");
	if (config->connection_request_address[0] &&
	    (!config->connection_request_username[0] || !config->connection_request_password[0]))
		return fail(error, error_size,
			    "--connection-request needs --connection-request-username and --connection-request-password "
			    "(TR-069 requires authenticated connection requests)");
	if (config->retry_max_wait_ms < config->retry_min_wait_ms)
		return fail(error, error_size, "retry-max-wait is below retry-min-wait");
	if (config->image_public_key[0]) {
		char why[400];

		if (image_public_key_check(config->image_public_key, why, sizeof(why)) < 0)
			return fail(error, error_size, "--image-public-key: %s", why);
	}
	return 0;
}
