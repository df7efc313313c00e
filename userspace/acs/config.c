/* cascade-acs's settings table: every key of the command line and of the
 * INI file ([acs], [auth], [connection_request], [grouping], [election],
 * [campaign]) with its default, bounds and help, and the checks that span
 * several keys. */
#include "acs/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "acs/campaign_waves.h"
#include "acs/device_attributes.h"
#include "common/log.h"
#include "common/settings.h"

#define DAY_MS (86400ull * 1000)

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

static int set_group_keys(void *config, const char *value, char *why, size_t why_size)
{
	if (acs_config_parse_group_keys(value, &((struct acs_config *)config)->group_keys) == 0)
		return 0;
	snprintf(why, why_size, "expected a comma list of manufacturer, oui, product_class, hardware_version, "
				"software_version, location");
	return -EINVAL;
}

/* "none", or a comma list of "basic" and "digest". */
static int set_auth_mode(void *config, const char *value, char *why, size_t why_size)
{
	char copy[64], *word, *save = NULL;
	unsigned int mode = 0;

	snprintf(why, why_size, "expected none, basic, digest or digest,basic");
	if (strcasecmp(value, "none") == 0) {
		((struct acs_config *)config)->auth_mode = ACS_AUTH_NONE;
		return 0;
	}
	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy))
		return -EINVAL;
	for (word = strtok_r(copy, ", ", &save); word; word = strtok_r(NULL, ", ", &save)) {
		if (strcasecmp(word, "basic") == 0)
			mode |= ACS_AUTH_BASIC;
		else if (strcasecmp(word, "digest") == 0)
			mode |= ACS_AUTH_DIGEST;
		else
			return -EINVAL;
	}
	if (!mode)
		return -EINVAL;
	((struct acs_config *)config)->auth_mode = mode;
	return 0;
}

static int set_digest_algorithms(void *config, const char *value, char *why, size_t why_size)
{
	struct acs_config *acs = config;

	if (digest_parse_algorithm_list(value, acs->digest_algorithms, 2, &acs->digest_algorithm_count) == 0)
		return 0;
	snprintf(why, why_size, "expected MD5, SHA-256 or both, comma-separated");
	return -EINVAL;
}

static int set_db_synchronous(void *config, const char *value, char *why, size_t why_size)
{
	if (strcasecmp(value, "full") == 0 || strcasecmp(value, "normal") == 0) {
		((struct acs_config *)config)->db_synchronous_full = strcasecmp(value, "full") == 0;
		return 0;
	}
	snprintf(why, why_size, "expected full or normal");
	return -EINVAL;
}

static int set_sources(void *config, const char *value, char *why, size_t why_size)
{
	if (strcasecmp(value, "tree") == 0 || strcasecmp(value, "master") == 0) {
		((struct acs_config *)config)->campaign_sources = strcasecmp(value, "tree") == 0 ? SOURCES_TREE
												 : SOURCES_MASTER;
		return 0;
	}
	snprintf(why, why_size, "expected tree or master");
	return -EINVAL;
}

static int set_waves(void *config, const char *value, char *why, size_t why_size)
{
	struct acs_config *acs = config;
	struct campaign_waves waves;

	if (campaign_waves_parse(value, &waves, why, why_size) < 0)
		return -EINVAL;
	if (snprintf(acs->waves, sizeof(acs->waves), "%s", value) >= (int)sizeof(acs->waves)) {
		snprintf(why, why_size, "too long");
		return -EINVAL;
	}
	return 0;
}

static const char *const own_sections[] = { "acs", NULL };
static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const probe_styles[] = { [ACS_PROBE_LEAF] = "leaf", [ACS_PROBE_PARTIAL] = "partial",
					    [ACS_PROBE_OFF] = "off", NULL };

#define AT(field) offsetof(struct acs_config, field)
#define TEXT(field) .type = SETTING_STRING, .offset = AT(field), .size = sizeof(((struct acs_config *)0)->field)
#define COUNT(field, low, high) .type = SETTING_UNSIGNED, .offset = AT(field), .minimum = (low), .maximum = (high)
#define TIME(field, low, high) .type = SETTING_DURATION, .offset = AT(field), .minimum = (low), .maximum = (high)
#define BYTES(field, low, high) .type = SETTING_SIZE, .offset = AT(field), .minimum = (low), .maximum = (high)
#define FLAG_OR_BOOL(field) .type = SETTING_BOOL, .offset = AT(field)

static const struct setting settings[] = {
	/* [acs]: listeners, storage, limits */
	{ .key = "cwmp", TEXT(cwmp_address), .minimum = 1, .default_value = "127.0.0.1:7547",
	  .value_name = "ADDR:PORT", .help = "CWMP (device) listener; port 0 picks a free one" },
	{ .key = "api", TEXT(api_address), .minimum = 1, .default_value = "127.0.0.1:7548", .value_name = "ADDR:PORT",
	  .help = "operator JSON API and /metrics listener" },
	{ .key = "db", TEXT(database), .minimum = 1, .default_value = "cascade-acs.db", .value_name = "FILE",
	  .help = "SQLite database (WAL)" },
	{ .key = "api-token-file", TEXT(api_token_file), .value_name = "FILE",
	  .help = "require \"Authorization: Bearer <token in FILE>\" on the API" },
	{ .key = "metrics", TEXT(metrics_address), .value_name = "ADDR:PORT",
	  .help = "a second listener serving /metrics alone, without the API token (for Prometheus); empty: none" },
	{ .key = "console-session-lifetime", TIME(console_session_lifetime_ms, 60000, 30 * DAY_MS),
	  .default_value = "12h", .help = "a login to the web console lasts this long" },
	{ .key = "device-events", COUNT(device_events, 0, 100000), .default_value = "100",
	  .help = "Informs, RPCs, transfers and faults kept per device for its timeline (0: none)" },
	{ .key = "log-level", .type = SETTING_CHOICE, .offset = AT(log_level), .choices = log_levels,
	  .default_value = "info", .help = "least important messages logged" },
	{ .key = "threads", COUNT(threads, 1, 64), .default_value = "2", .help = "CWMP server threads" },
	{ .key = "max-sessions", COUNT(max_sessions, 1, 10000000), .default_value = "50000",
	  .help = "open sessions before new Informs get 503" },
	{ .key = "max-pending-writes", COUNT(max_pending_writes, 1, 10000000), .default_value = "100000",
	  .help = "uncommitted batches before 503" },
	{ .key = "retry-after", COUNT(retry_after_seconds, 1, 86400), .default_value = "5",
	  .value_name = "SECONDS", .help = "Retry-After of 503 replies" },
	{ .key = "session-timeout", TIME(session_timeout_ms, 1000, DAY_MS), .default_value = "30s",
	  .help = "a CWMP session silent this long is dropped" },
	{ .key = "hold-requests", FLAG_OR_BOOL(hold_requests), .default_value = "false",
	  .help = "send HoldRequests in InformResponse while RPCs are queued" },
	{ .key = "probe", .type = SETTING_CHOICE, .offset = AT(probe_style), .choices = probe_styles,
	  .default_value = "leaf", .help = "how the attribute probe asks a device for DeviceInfo (off: never)" },
	{ .key = "probe-retry", TIME(probe_retry_ms, 1000, 7 * DAY_MS), .default_value = "15m",
	  .help = "a failed or dropped probe waits this long, doubled per failure in a row" },
	{ .key = "max-request-size", BYTES(max_request_bytes, 1024, 64u << 20), .default_value = "1M",
	  .help = "larger CWMP bodies get 413" },
	{ .key = "db-synchronous", .type = SETTING_CUSTOM, .set = set_db_synchronous, .default_value = "full",
	  .value_name = "full|normal",
	  .help = "full: an acknowledged change survives power loss (fsync per group commit); normal: crashes only" },
	{ .key = "tls-certificate", TEXT(tls_certificate), .value_name = "FILE",
	  .help = "PEM chain: CWMP over HTTPS (TLS 1.2+), with tls-key" },
	{ .key = "tls-key", TEXT(tls_key), .value_name = "FILE", .help = "PEM private key of tls-certificate" },
	{ .key = "max-connections", COUNT(max_connections, 1, 1000000), .default_value = "20000",
	  .help = "open CWMP connections" },
	{ .key = "max-connections-per-address", COUNT(max_connections_per_address, 0, 1000000),
	  .default_value = "1024", .help = "open CWMP connections from one address (0: no cap)" },
	{ .key = "connection-timeout", TIME(connection_timeout_ms, 1000, DAY_MS), .default_value = "60s",
	  .help = "a silent connection is closed" },
	{ .key = "request-timeout", TIME(request_timeout_ms, 100, DAY_MS), .default_value = "30s",
	  .help = "a request (head and body) must arrive within this (slowloris)" },
	{ .key = "max-header-size", BYTES(max_header_bytes, 4096, 1u << 20), .default_value = "32K",
	  .help = "larger request heads get 431" },

	/* [auth]: device logins */
	{ .key = "mode", .section = "auth", .type = SETTING_CUSTOM, .set = set_auth_mode, .default_value = "none",
	  .value_name = "none|basic|digest|digest,basic", .help = "how devices log in (both: a device picks)" },
	{ .key = "realm", .section = "auth", TEXT(auth_realm), .minimum = 1, .default_value = "cascade",
	  .help = "realm of the challenges" },
	{ .key = "username", .section = "auth", TEXT(auth_username), .help = "a credential shared by every device" },
	{ .key = "password", .section = "auth", TEXT(auth_password), .help = "its password" },
	{ .key = "credentials-file", .section = "auth", TEXT(credentials_file), .value_name = "FILE",
	  .help = "lines USERNAME PASSWORD [DEVICE-KEY]; a credential bound to a device is refused for another" },
	{ .key = "max-failures", .section = "auth", COUNT(auth_max_failures, 0, 1000000), .default_value = "10",
	  .help = "failed logins (devices, API token) per address before 429 + Retry-After (0: none)" },
	{ .key = "failure-window", .section = "auth", TIME(auth_failure_window_ms, 1000, DAY_MS),
	  .default_value = "60s", .help = "the window max-failures counts in" },
	{ .key = "digest-algorithms", .section = "auth", .type = SETTING_CUSTOM, .set = set_digest_algorithms,
	  .default_value = "MD5,SHA-256", .value_name = "LIST", .help = "Digest challenges offered, in this order" },
	{ .key = "nonce-lifetime", .section = "auth", TIME(digest_nonce_lifetime_ms, 1000, DAY_MS),
	  .default_value = "5m", .help = "a Digest nonce is valid this long" },
	{ .key = "nonces", .section = "auth", COUNT(digest_nonces, 16, 10000000), .default_value = "65536",
	  .help = "outstanding Digest nonces kept (the oldest is dropped)" },

	/* [connection_request]: how the ACS wakes devices */
	{ .key = "username", .section = "connection_request", TEXT(connection_request_username),
	  .help = "Digest credential sent to devices" },
	{ .key = "password", .section = "connection_request", TEXT(connection_request_password),
	  .help = "its password" },
	{ .key = "concurrency", .section = "connection_request", COUNT(connection_request_concurrency, 1, 4096),
	  .default_value = "64", .help = "connection requests in flight" },
	{ .key = "timeout", .section = "connection_request", TIME(connection_request_timeout_ms, 100, DAY_MS),
	  .default_value = "5s", .help = "one connection request's time limit" },
	{ .key = "retry-interval", .section = "connection_request", TIME(connection_request_retry_ms, 100, DAY_MS),
	  .default_value = "30s", .help = "a device that has not come yet is asked again after this" },

	/* [grouping], [election] */
	{ .key = "keys", .section = "grouping", .type = SETTING_CUSTOM, .set = set_group_keys,
	  .default_value = "manufacturer,hardware_version,software_version", .value_name = "LIST",
	  .help = "device attributes that make a group's key" },
	{ .key = "max-group-size", .section = "grouping", COUNT(max_group_size, 0, 100000000), .default_value = "0",
	  .help = "larger groups are split into partitions (0: unlimited)" },
	{ .key = "require-file-server", .section = "election", FLAG_OR_BOOL(election_require_file_server),
	  .default_value = "true", .help = "only devices with X_CASCADE_FileServer.Enable may be master" },
	{ .key = "max-occupancy", .section = "election", COUNT(election_max_occupancy, 0, 10000),
	  .default_value = "8000", .value_name = "PERCENTx100", .help = "busier devices are not elected (8000: 80%)" },
	{ .key = "hysteresis", .section = "election", COUNT(election_hysteresis, 0, 10000), .default_value = "200",
	  .value_name = "PERCENTx100",
	  .help = "a challenger replaces the sitting master only when less busy by this much (200: 2 points)" },
	{ .key = "max-inform-age", .section = "election", TIME(election_max_inform_age_ms, 1000, 365 * DAY_MS),
	  .default_value = "1h", .help = "devices not heard from this long are not elected" },

	/* [campaign] */
	{ .key = "fanout", .section = "campaign", COUNT(default_fanout, 1, 100000), .default_value = "32",
	  .help = "slaves downloading from one master at a time (a campaign may set its own)" },
	{ .key = "stall-timeout", .section = "campaign", TIME(stall_timeout_ms, 1000, 7 * DAY_MS),
	  .default_value = "10m", .help = "a download without progress this long has failed" },
	{ .key = "disappear-timeout", .section = "campaign", TIME(disappear_timeout_ms, 1000, 7 * DAY_MS),
	  .default_value = "15m", .help = "a master not heard from this long is replaced" },
	{ .key = "max-failed-masters", .section = "campaign", COUNT(max_failed_masters, 1, 1000),
	  .default_value = "3", .help = "failed masters of a group before its slaves fall back to the origin" },
	{ .key = "max-attempts", .section = "campaign", COUNT(max_attempts, 1, 1000), .default_value = "3",
	  .help = "Downloads a device is sent before it has failed" },
	{ .key = "master-serve-failures", .section = "campaign", COUNT(master_serve_failures, 1, 100000),
	  .default_value = "3", .help = "distinct slaves failing against a master before it is replaced" },
	{ .key = "tick", .section = "campaign", TIME(tick_ms, 10, 60000), .default_value = "500ms",
	  .help = "how often campaigns dispatch and check timeouts" },
	{ .key = "overdue-factor", .section = "campaign", COUNT(overdue_factor, 1, 1000), .default_value = "2",
	  .help = "a TransferComplete is overdue after this many times the expected download time" },
	{ .key = "overdue-minimum", .section = "campaign", TIME(overdue_minimum_ms, 100, DAY_MS),
	  .default_value = "2s", .help = "and never before this" },
	{ .key = "assumed-rate", .section = "campaign", BYTES(assumed_rate, 1024, 0), .default_value = "1M",
	  .value_name = "BYTES/S", .help = "download rate assumed before any download was timed" },
	{ .key = "sources", .section = "campaign", .type = SETTING_CUSTOM, .set = set_sources, .default_value = "tree",
	  .value_name = "tree|master",
	  .help = "who serves slaves: a tree of every file-server member holding or receiving the image, or the "
		  "master alone (a campaign may choose)" },
	{ .key = "relay-fanout", .section = "campaign", COUNT(relay_fanout, 1, 100000), .default_value = "1",
	  .help = "children of a source still receiving the image (it relays what it receives)" },
	{ .key = "relay-warmup", .section = "campaign", TIME(relay_warmup_ms, 0, 60000), .default_value = "500ms",
	  .help = "a source receiving the image gets children once it has been downloading this long" },
	{ .key = "source-poll-interval", .section = "campaign", TIME(source_poll_interval_ms, 0, 3600000),
	  .default_value = "1s",
	  .help = "how often a serving source's /-/stats is read for its egress and occupancy (0: never)" },
	{ .key = "source-max-occupancy", .section = "campaign", COUNT(source_max_occupancy, 0, 10000),
	  .default_value = "0", .value_name = "PERCENTx100",
	  .help = "a source busier than this takes no new child, a master its group none (0: [election] max-occupancy)" },
	{ .key = "egress-budget", .section = "campaign", BYTES(egress_budget, 0, 0), .default_value = "0",
	  .value_name = "BYTES/S",
	  .help = "a group whose sources send more than this together gets no new dispatch until it drops (0: none)" },
	{ .key = "waves", .section = "campaign", .type = SETTING_CUSTOM, .set = set_waves, .default_value = "",
	  .value_name = "SHARES", .help = "cumulative shares of every group opened in turn, e.g. 5%,25%,100% (\"\": one wave)" },
	{ .key = "wave-success-threshold", .section = "campaign", COUNT(wave_success_percent, 0, 100),
	  .default_value = "95", .value_name = "PERCENT",
	  .help = "the next wave opens when this share of the open waves' devices is done" },
	{ .key = "wave-error-threshold", .section = "campaign", COUNT(wave_error_percent, 1, 100),
	  .default_value = "10", .value_name = "PERCENT",
	  .help = "the campaign halts when this share of the open waves' devices has failed" },
};

const struct settings_program acs_settings = {
	.name = "cascade-acs",
	.synopsis = "[--cwmp ADDR:PORT] [--api ADDR:PORT] [--db FILE] [--config FILE] [options]",
	.summary = "the cascade controller: a TR-069 ACS that groups devices, elects masters and runs campaigns",
	.description = "cascade-acs is a CWMP (TR-069) auto-configuration server. It learns every device from its\n"
		       "Inform, sorts devices into groups, elects a master per group and runs upgrade campaigns\n"
		       "through the masters, keeping its state in SQLite. The operator JSON API and /metrics listen\n"
		       "on a second address. The bound ports are logged as \"cwmp listening on ADDR:PORT\" and\n"
		       "\"api listening on ADDR:PORT\".",
	.own_sections = own_sections,
	.settings = settings,
	.count = sizeof(settings) / sizeof(settings[0]),
	.notes = "Durations take ms, s, m, h (a bare number is seconds); sizes take K, M, G. Keys of the\n"
		 "[acs] section may also stand at the top of the file. The old underscore spellings of keys\n"
		 "(max_sessions) are still read, with a warning.",
	.files = "cascade-acs.db (and its -wal and -shm files) in the working directory unless --db says otherwise.",
	.man_section = 8,
};

void acs_config_defaults(struct acs_config *config)
{
	memset(config, 0, sizeof(*config));
	if (settings_defaults(&acs_settings, config) < 0)
		log_error("the built-in defaults do not parse");
}

/* What a single key cannot say: limits that span keys. */
static int check_config(const struct acs_config *config, const char *origin)
{
	if (!!config->tls_certificate[0] != !!config->tls_key[0]) {
		log_error("%s: tls-certificate and tls-key go together", origin);
		return -EINVAL;
	}
	return 0;
}

int acs_config_load(struct acs_config *config, const char *path)
{
	char why[512];
	int result = settings_load_file(&acs_settings, config, path, why, sizeof(why));

	if (result == -EIO) {
		log_error("cannot open config file %s", why);
		return -ENOENT;
	}
	if (result < 0) {
		log_error("%s", why);
		return -EINVAL;
	}
	return check_config(config, path);
}

int acs_config_from_arguments(struct acs_config *config, int argc, char **argv)
{
	int result;

	acs_config_defaults(config);
	result = settings_from_arguments(&acs_settings, config, argc, argv, NULL);
	if (result != 0)
		return result;
	return check_config(config, "cascade-acs");
}
