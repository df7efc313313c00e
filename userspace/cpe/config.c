/* cascade-cpe's settings: defaults and the one setter that flags and the
 * config file share, so every key means the same in both places. */
#include "cpe/config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "common/image_signature.h"
#include "common/parse.h"

void cpe_config_defaults(struct cpe_config *config)
{
	memset(config, 0, sizeof(*config));
	snprintf(config->root, sizeof(config->root), "Device.");
	config->cwmp_version = CWMP_VERSION_1_2;
	config->acs_timeout_ms = 30000;
	snprintf(config->manufacturer, sizeof(config->manufacturer), "cascade");
	snprintf(config->oui, sizeof(config->oui), "00CA5C");
	snprintf(config->product_class, sizeof(config->product_class), "gateway");
	snprintf(config->hardware_version, sizeof(config->hardware_version), "1.0");
	snprintf(config->software_version, sizeof(config->software_version), "1.0");
	config->connection_request_burst = 4;
	config->connection_request_refill_ms = 5000;
	config->periodic_enable = true;
	config->periodic_interval_ms = 300000;
	config->periodic_jitter_percent = 10;
	config->retry_min_wait_ms = 5000;
	config->retry_multiplier = 2000;
	config->retry_max_wait_ms = 5120000;
	config->install_timeout_ms = 300000;
	config->download_stall_ms = 30000;
	config->download_connect_timeout_ms = 10000;
	config->download_retries = 3;
	config->max_image_size = 8ull << 30;
	config->cpu_meter = CPE_CPU_METER_EBPF;
	snprintf(config->bpf_pin_dir, sizeof(config->bpf_pin_dir), "/sys/fs/bpf/cascade");
	config->cpu_window_seconds = 60;
	config->log_level = LOG_LEVEL_INFO;
}

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

static int set_text(char *field, size_t size, const char *value)
{
	if (strlen(value) >= size)
		return -EINVAL;
	memcpy(field, value, strlen(value) + 1);
	return 0;
}

static int set_url(char *field, size_t size, const char *value)
{
	if (!cpe_url_is_http(value))
		return -EINVAL;
	return set_text(field, size, value);
}

static int set_duration(uint64_t *field, const char *value, uint64_t minimum, uint64_t maximum)
{
	uint64_t milliseconds;

	if (parse_duration_ms(value, &milliseconds) < 0 || milliseconds < minimum || milliseconds > maximum)
		return -EINVAL;
	*field = milliseconds;
	return 0;
}

static int set_unsigned(unsigned int *field, const char *value, long long minimum, long long maximum)
{
	long long number;

	if (parse_integer(value, minimum, maximum, &number) < 0)
		return -EINVAL;
	*field = (unsigned int)number;
	return 0;
}

static int set_root(struct cpe_config *config, const char *value)
{
	if (strcmp(value, "Device") == 0 || strcmp(value, "Device.") == 0)
		snprintf(config->root, sizeof(config->root), "Device.");
	else if (strcmp(value, "InternetGatewayDevice") == 0 || strcmp(value, "InternetGatewayDevice.") == 0)
		snprintf(config->root, sizeof(config->root), "InternetGatewayDevice.");
	else
		return -EINVAL;
	return 0;
}

static int set_choice(int *field, const char *value, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strcasecmp(value, names[i]) == 0) {
			*field = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Keys whose value is plain text, with their field. */
static char *text_field(struct cpe_config *config, const char *key, size_t *size)
{
	static const struct {
		const char *key;
		size_t offset, size;
	} fields[] = {
#define TEXT(key, field) { key, offsetof(struct cpe_config, field), sizeof(((struct cpe_config *)0)->field) }
		TEXT("data-dir", data_dir),
		TEXT("username", username),
		TEXT("password", password),
		TEXT("ca-file", ca_file),
		TEXT("image-public-key", image_public_key),
		TEXT("master-admin-token-file", master_admin_token_file),
		TEXT("manufacturer", manufacturer),
		TEXT("oui", oui),
		TEXT("product-class", product_class),
		TEXT("serial", serial),
		TEXT("hardware-version", hardware_version),
		TEXT("software-version", software_version),
		TEXT("location", location),
		TEXT("image-dir", image_dir),
		TEXT("connection-request-username", connection_request_username),
		TEXT("connection-request-password", connection_request_password),
		TEXT("install-command", install_command),
		TEXT("bpf-pin-dir", bpf_pin_dir),
#undef TEXT
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].key) == 0) {
			*size = fields[i].size;
			return (char *)config + fields[i].offset;
		}
	}
	return NULL;
}

static int set_number_key(struct cpe_config *config, const char *key, const char *value)
{
	long long number;
	uint64_t size;

	if (strcmp(key, "cache-size") == 0)
		return parse_size(value, &config->cache_size);
	if (strcmp(key, "max-image-size") == 0) {
		if (parse_size(value, &size) < 0 || size == 0)
			return -EINVAL;
		config->max_image_size = size;
		return 0;
	}
	if (strcmp(key, "download-rate-limit") == 0)
		return parse_size(value, &config->download_rate_limit);
	if (strcmp(key, "bandwidth") == 0) {
		if (parse_integer(value, 0, UINT32_MAX, &number) < 0)
			return -EINVAL;
		config->bandwidth_kbps = (uint32_t)number;
		return 0;
	}
	if (strcmp(key, "periodic-interval") == 0)
		return set_duration(&config->periodic_interval_ms, value, 1000, 86400000ull * 7);
	if (strcmp(key, "periodic-jitter") == 0)
		return set_unsigned(&config->periodic_jitter_percent, value, 0, 50);
	if (strcmp(key, "startup-jitter") == 0)
		return set_duration(&config->startup_jitter_ms, value, 0, 86400000);
	if (strcmp(key, "retry-min-wait") == 0)
		return set_duration(&config->retry_min_wait_ms, value, 100, 65535000);
	if (strcmp(key, "retry-multiplier") == 0)
		return set_unsigned(&config->retry_multiplier, value, 1000, 65535);
	if (strcmp(key, "retry-max-wait") == 0)
		return set_duration(&config->retry_max_wait_ms, value, 100, 86400000ull * 7);
	if (strcmp(key, "acs-timeout") == 0)
		return set_duration(&config->acs_timeout_ms, value, 100, 600000);
	if (strcmp(key, "install-timeout") == 0)
		return set_duration(&config->install_timeout_ms, value, 100, 86400000);
	if (strcmp(key, "download-stall-timeout") == 0)
		return set_duration(&config->download_stall_ms, value, 1000, 3600000);
	if (strcmp(key, "download-connect-timeout") == 0)
		return set_duration(&config->download_connect_timeout_ms, value, 100, 600000);
	if (strcmp(key, "download-retries") == 0)
		return set_unsigned(&config->download_retries, value, 0, 100);
	if (strcmp(key, "connection-request-burst") == 0)
		return set_unsigned(&config->connection_request_burst, value, 1, 1000);
	if (strcmp(key, "connection-request-interval") == 0)
		return set_duration(&config->connection_request_refill_ms, value, 10, 3600000);
	if (strcmp(key, "cpu-window") == 0)
		return set_unsigned(&config->cpu_window_seconds, value, 1, 3600);
	return -ENOENT;
}

static int set_choice_key(struct cpe_config *config, const char *key, const char *value)
{
	static const char *const auth_names[] = { "any", "basic", "digest" };
	static const char *const meter_names[] = { "ebpf", "proc", "off" };
	static const char *const version_names[] = { "1.0", "1.1", "1.2" };
	int choice;

	if (strcmp(key, "auth") == 0) {
		if (set_choice(&choice, value, auth_names, 3) < 0)
			return -EINVAL;
		config->auth = (enum cpe_auth)choice;
		return 0;
	}
	if (strcmp(key, "cpu-meter") == 0) {
		if (set_choice(&choice, value, meter_names, 3) < 0)
			return -EINVAL;
		config->cpu_meter = (enum cpe_cpu_meter_mode)choice;
		return 0;
	}
	if (strcmp(key, "cwmp-version") == 0) {
		if (set_choice(&choice, value, version_names, 3) < 0)
			return -EINVAL;
		config->cwmp_version = (enum cwmp_version)choice;
		return 0;
	}
	if (strcmp(key, "log-level") == 0)
		return log_level_from_name(value, &config->log_level);
	if (strcmp(key, "root") == 0)
		return set_root(config, value);
	if (strcmp(key, "periodic-enable") == 0)
		return parse_bool(value, &config->periodic_enable);
	return -ENOENT;
}

int cpe_config_set(struct cpe_config *config, const char *key_in, const char *value, char *error, size_t error_size)
{
	char key[64];
	size_t size;
	char *field;
	int result;

	if (snprintf(key, sizeof(key), "%s", key_in) >= (int)sizeof(key)) {
		snprintf(error, error_size, "unknown key \"%.60s\"", key_in);
		return -ENOENT;
	}
	for (char *c = key; *c; c++)
		if (*c == '_')
			*c = '-';
	if (strcmp(key, "acs") == 0 || strcmp(key, "file-server-url") == 0 ||
	    strcmp(key, "connection-request-url") == 0) {
		char *target = strcmp(key, "acs") == 0		      ? config->acs_url
			       : strcmp(key, "file-server-url") == 0 ? config->file_server_url
								     : config->connection_request_url;

		if (set_url(target, CPE_URL_MAX, value) < 0)
			return fail(error, error_size, "%s: \"%.200s\" is not an http:// or https:// URL under %d bytes",
				    key, value, CPE_URL_MAX);
		return 0;
	}
	if (strcmp(key, "connection-request") == 0) {
		struct sockaddr_storage address;
		socklen_t length;

		if (strcmp(value, "off") == 0 || value[0] == '\0') {
			config->connection_request_address[0] = '\0';
			return 0;
		}
		if (parse_socket_address(value, &address, &length) < 0 ||
		    set_text(config->connection_request_address, sizeof(config->connection_request_address), value) < 0)
			return fail(error, error_size, "connection-request: \"%.100s\" is not ADDR:PORT (or off)", value);
		return 0;
	}
	field = text_field(config, key, &size);
	if (field) {
		if (set_text(field, size, value) < 0)
			return fail(error, error_size, "%s: value longer than %zu bytes", key, size - 1);
		return 0;
	}
	result = set_number_key(config, key, value);
	if (result == -ENOENT)
		result = set_choice_key(config, key, value);
	if (result == -ENOENT) {
		snprintf(error, error_size, "unknown key \"%s\"", key_in);
		return -ENOENT;
	}
	if (result < 0)
		return fail(error, error_size, "%s: bad value \"%.200s\" (see --help)", key, value);
	return 0;
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
