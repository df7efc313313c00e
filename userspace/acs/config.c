/* Loads cascade-acs's inih config file ([acs], [auth], [connection_request],
 * [grouping], [election], [campaign]) over the built-in defaults, naming
 * the file, line, key and value of anything it cannot use. */
#include "acs/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "acs/device_attributes.h"
#include "common/log.h"
#include "common/parse.h"

void acs_config_defaults(struct acs_config *config)
{
	memset(config, 0, sizeof(*config));
	snprintf(config->cwmp_address, sizeof(config->cwmp_address), "127.0.0.1:7547");
	snprintf(config->api_address, sizeof(config->api_address), "127.0.0.1:7548");
	snprintf(config->database, sizeof(config->database), "cascade-acs.db");
	snprintf(config->log_level, sizeof(config->log_level), "info");
	config->threads = 2;
	config->max_sessions = 50000;
	config->max_pending_writes = 100000;
	config->retry_after_seconds = 5;
	config->session_timeout_ms = 30000;
	config->db_synchronous_full = true; /* WAL + FULL: an acknowledged change survives power loss; "normal": kill -9 only */
	config->max_request_bytes = 1u << 20;
	config->max_connections = 20000;
	config->max_connections_per_address = 1024;
	config->connection_timeout_ms = 60000;
	config->request_timeout_ms = 30000;
	config->max_header_bytes = 32u << 10;
	config->auth_max_failures = 10;
	config->auth_failure_window_ms = 60000;
	config->digest_algorithms[0] = DIGEST_MD5; /* what TR-069 CPEs speak; SHA-256 for those that choose it */
	config->digest_algorithms[1] = DIGEST_SHA256;
	config->digest_algorithm_count = 2;
	config->digest_nonce_lifetime_ms = 300000;
	config->digest_nonces = 65536;
	snprintf(config->auth_realm, sizeof(config->auth_realm), "cascade");
	config->connection_request_concurrency = 64;
	config->connection_request_timeout_ms = 5000;
	config->connection_request_retry_ms = 30000;
	config->group_keys = GROUP_KEY_MANUFACTURER | GROUP_KEY_HARDWARE_VERSION | GROUP_KEY_SOFTWARE_VERSION;
	config->election_require_file_server = true;
	config->election_max_occupancy = 8000;
	config->election_max_inform_age_ms = 3600 * 1000;
	config->default_fanout = 32;
	config->stall_timeout_ms = 600 * 1000;
	config->disappear_timeout_ms = 900 * 1000;
	config->max_failed_masters = 3;
	config->max_attempts = 3;
	config->master_serve_failures = 3;
	config->tick_ms = 500;
	config->probe_style = ACS_PROBE_LEAF;
	config->probe_retry_ms = 15 * 60 * 1000;
	config->assumed_rate = 1u << 20;
	config->overdue_factor = 2;
	config->overdue_minimum_ms = 2000;
}

int acs_config_parse_group_keys(const char *text, unsigned int *keys)
{
	char copy[256], *word, *save = NULL;
	unsigned int result = 0;

	if (snprintf(copy, sizeof(copy), "%s", text) >= (int)sizeof(copy))
		return -EINVAL;
	for (word = strtok_r(copy, ", ", &save); word; word = strtok_r(NULL, ", ", &save)) {
		const struct device_attribute *attribute = device_attribute_named(word, strlen(word));

		if (!attribute)
			return -EINVAL;
		result |= attribute->group_key_bit;
	}
	if (!result)
		return -EINVAL;
	*keys = result;
	return 0;
}

static int copy_string(char *target, size_t size, const char *value)
{
	return snprintf(target, size, "%s", value) >= (int)size ? -EINVAL : 0;
}

static int set_unsigned(unsigned int *target, const char *value, long long minimum, long long maximum)
{
	long long number;

	if (parse_integer(value, minimum, maximum, &number) < 0)
		return -EINVAL;
	*target = (unsigned int)number;
	return 0;
}

static int set_duration_range(uint64_t *target, const char *value, uint64_t minimum, uint64_t maximum)
{
	uint64_t milliseconds;

	if (parse_duration_ms(value, &milliseconds) < 0 || milliseconds < minimum || milliseconds > maximum)
		return -EINVAL;
	*target = milliseconds;
	return 0;
}

#define MATCH(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)

static int apply_acs(struct acs_config *config, const char *section, const char *key, const char *value)
{
	if (MATCH("acs", "cwmp"))
		return copy_string(config->cwmp_address, sizeof(config->cwmp_address), value);
	if (MATCH("acs", "api"))
		return copy_string(config->api_address, sizeof(config->api_address), value);
	if (MATCH("acs", "db"))
		return copy_string(config->database, sizeof(config->database), value);
	if (MATCH("acs", "api_token_file"))
		return copy_string(config->api_token_file, sizeof(config->api_token_file), value);
	if (MATCH("acs", "log_level"))
		return copy_string(config->log_level, sizeof(config->log_level), value);
	if (MATCH("acs", "threads"))
		return set_unsigned(&config->threads, value, 1, 64);
	if (MATCH("acs", "max_sessions"))
		return set_unsigned(&config->max_sessions, value, 1, 10000000);
	if (MATCH("acs", "max_pending_writes"))
		return set_unsigned(&config->max_pending_writes, value, 1, 10000000);
	if (MATCH("acs", "retry_after"))
		return set_unsigned(&config->retry_after_seconds, value, 1, 86400);
	if (MATCH("acs", "session_timeout"))
		return parse_duration_ms(value, &config->session_timeout_ms);
	if (MATCH("acs", "hold_requests"))
		return parse_bool(value, &config->hold_requests);
	if (MATCH("acs", "probe")) {
		if (strcasecmp(value, "leaf") == 0)
			config->probe_style = ACS_PROBE_LEAF;
		else if (strcasecmp(value, "partial") == 0)
			config->probe_style = ACS_PROBE_PARTIAL;
		else if (strcasecmp(value, "off") == 0)
			config->probe_style = ACS_PROBE_OFF;
		else
			return -EINVAL;
		return 0;
	}
	if (MATCH("acs", "probe_retry"))
		return set_duration_range(&config->probe_retry_ms, value, 1000, 7 * 86400000ull);
	if (MATCH("acs", "max_request_size")) {
		uint64_t bytes;

		if (parse_size(value, &bytes) < 0 || bytes < 1024 || bytes > (64u << 20))
			return -EINVAL;
		config->max_request_bytes = (size_t)bytes;
		return 0;
	}
	if (MATCH("acs", "tls_certificate"))
		return copy_string(config->tls_certificate, sizeof(config->tls_certificate), value);
	if (MATCH("acs", "tls_key"))
		return copy_string(config->tls_key, sizeof(config->tls_key), value);
	if (MATCH("acs", "max_connections"))
		return set_unsigned(&config->max_connections, value, 1, 1000000);
	if (MATCH("acs", "max_connections_per_address"))
		return set_unsigned(&config->max_connections_per_address, value, 0, 1000000);
	if (MATCH("acs", "connection_timeout"))
		return set_duration_range(&config->connection_timeout_ms, value, 1000, 86400000);
	if (MATCH("acs", "request_timeout"))
		return set_duration_range(&config->request_timeout_ms, value, 100, 86400000);
	if (MATCH("acs", "max_header_size")) {
		uint64_t bytes;

		if (parse_size(value, &bytes) < 0 || bytes < 4096 || bytes > (1u << 20))
			return -EINVAL;
		config->max_header_bytes = (size_t)bytes;
		return 0;
	}
	if (MATCH("acs", "db_synchronous")) {
		if (strcasecmp(value, "full") == 0)
			config->db_synchronous_full = true;
		else if (strcasecmp(value, "normal") == 0)
			config->db_synchronous_full = false;
		else
			return -EINVAL;
		return 0;
	}
	return 1; /* not an [acs] key */
}

/* "none", or a comma list of "basic" and "digest". */
static int parse_auth_mode(const char *value, unsigned int *mode)
{
	char copy[64], *word, *save = NULL;
	unsigned int result = 0;

	if (strcasecmp(value, "none") == 0) {
		*mode = ACS_AUTH_NONE;
		return 0;
	}
	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy))
		return -EINVAL;
	for (word = strtok_r(copy, ", ", &save); word; word = strtok_r(NULL, ", ", &save)) {
		if (strcasecmp(word, "basic") == 0)
			result |= ACS_AUTH_BASIC;
		else if (strcasecmp(word, "digest") == 0)
			result |= ACS_AUTH_DIGEST;
		else
			return -EINVAL;
	}
	if (!result)
		return -EINVAL;
	*mode = result;
	return 0;
}

static int apply_auth(struct acs_config *config, const char *section, const char *key, const char *value)
{
	if (MATCH("auth", "mode"))
		return parse_auth_mode(value, &config->auth_mode);
	if (MATCH("auth", "digest_algorithms"))
		return digest_parse_algorithm_list(value, config->digest_algorithms, 2, &config->digest_algorithm_count);
	if (MATCH("auth", "nonce_lifetime"))
		return set_duration_range(&config->digest_nonce_lifetime_ms, value, 1000, 86400000);
	if (MATCH("auth", "nonces"))
		return set_unsigned(&config->digest_nonces, value, 16, 10000000);
	if (MATCH("auth", "realm"))
		return copy_string(config->auth_realm, sizeof(config->auth_realm), value);
	if (MATCH("auth", "username"))
		return copy_string(config->auth_username, sizeof(config->auth_username), value);
	if (MATCH("auth", "password"))
		return copy_string(config->auth_password, sizeof(config->auth_password), value);
	if (MATCH("auth", "credentials_file"))
		return copy_string(config->credentials_file, sizeof(config->credentials_file), value);
	if (MATCH("auth", "max_failures"))
		return set_unsigned(&config->auth_max_failures, value, 0, 1000000);
	if (MATCH("auth", "failure_window"))
		return set_duration_range(&config->auth_failure_window_ms, value, 1000, 86400000);
	if (MATCH("connection_request", "username"))
		return copy_string(config->connection_request_username, sizeof(config->connection_request_username), value);
	if (MATCH("connection_request", "password"))
		return copy_string(config->connection_request_password, sizeof(config->connection_request_password), value);
	if (MATCH("connection_request", "concurrency"))
		return set_unsigned(&config->connection_request_concurrency, value, 1, 4096);
	if (MATCH("connection_request", "timeout"))
		return parse_duration_ms(value, &config->connection_request_timeout_ms);
	if (MATCH("connection_request", "retry_interval"))
		return parse_duration_ms(value, &config->connection_request_retry_ms);
	return 1;
}

static int apply_policy(struct acs_config *config, const char *section, const char *key, const char *value)
{
	if (MATCH("grouping", "keys"))
		return acs_config_parse_group_keys(value, &config->group_keys);
	if (MATCH("grouping", "max_group_size"))
		return set_unsigned(&config->max_group_size, value, 0, 100000000);
	if (MATCH("election", "require_file_server"))
		return parse_bool(value, &config->election_require_file_server);
	if (MATCH("election", "max_occupancy"))
		return set_unsigned(&config->election_max_occupancy, value, 0, 10000);
	if (MATCH("election", "max_inform_age"))
		return parse_duration_ms(value, &config->election_max_inform_age_ms);
	if (MATCH("campaign", "fanout"))
		return set_unsigned(&config->default_fanout, value, 1, 100000);
	if (MATCH("campaign", "stall_timeout"))
		return parse_duration_ms(value, &config->stall_timeout_ms);
	if (MATCH("campaign", "disappear_timeout"))
		return parse_duration_ms(value, &config->disappear_timeout_ms);
	if (MATCH("campaign", "max_failed_masters"))
		return set_unsigned(&config->max_failed_masters, value, 1, 1000);
	if (MATCH("campaign", "max_attempts"))
		return set_unsigned(&config->max_attempts, value, 1, 1000);
	if (MATCH("campaign", "master_serve_failures"))
		return set_unsigned(&config->master_serve_failures, value, 1, 100000);
	if (MATCH("campaign", "tick"))
		return parse_duration_ms(value, &config->tick_ms);
	if (MATCH("campaign", "assumed_rate")) {
		uint64_t rate;

		if (parse_size(value, &rate) < 0 || rate < 1024)
			return -EINVAL;
		config->assumed_rate = rate;
		return 0;
	}
	if (MATCH("campaign", "overdue_factor"))
		return set_unsigned(&config->overdue_factor, value, 1, 1000);
	if (MATCH("campaign", "overdue_minimum"))
		return set_duration_range(&config->overdue_minimum_ms, value, 100, 86400000);
	return 1;
}

struct load_state {
	struct acs_config *config;
	const char *path;
	int error;
};

static int handle_entry(void *user, const char *section, const char *key, const char *value)
{
	struct load_state *state = user;
	int result = apply_acs(state->config, section, key, value);

	if (result > 0)
		result = apply_auth(state->config, section, key, value);
	if (result > 0)
		result = apply_policy(state->config, section, key, value);
	if (result > 0) {
		log_error("%s: unknown setting [%s] %s", state->path, section, key);
		state->error = -EINVAL;
		return 0;
	}
	if (result < 0) {
		log_error("%s: invalid value for [%s] %s: \"%s\"", state->path, section, key, value);
		state->error = -EINVAL;
		return 0;
	}
	return 1;
}

int acs_config_load(struct acs_config *config, const char *path)
{
	struct load_state state = { config, path, 0 };
	int line = ini_parse(path, handle_entry, &state);

	if (line == -1) {
		log_error("%s: cannot open config file: %s", path, strerror(errno));
		return -ENOENT;
	}
	if (line > 0 || state.error) {
		if (line > 0)
			log_error("%s: error at line %d", path, line);
		return -EINVAL;
	}
	if (config->tick_ms < 10)
		config->tick_ms = 10;
	if (!!config->tls_certificate[0] != !!config->tls_key[0]) {
		log_error("%s: [acs] tls_certificate and tls_key go together", path);
		return -EINVAL;
	}
	return 0;
}
