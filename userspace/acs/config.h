/* cascade-acs configuration: one settings table (common/settings.h) gives
 * the defaults, the flags, the INI file ([acs], [auth], [connection_request],
 * [grouping], [election], [campaign]), --help, the man page and the example
 * config, and carries the grouping / election / campaign policies. */
#ifndef CASCADE_ACS_CONFIG_H
#define CASCADE_ACS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/digest_auth.h"

/* Authentication schemes the CWMP port accepts (bits; both: a device picks). */
enum acs_auth_mode { ACS_AUTH_NONE = 0, ACS_AUTH_BASIC = 1 << 0, ACS_AUTH_DIGEST = 1 << 1 };

/* How the attribute probe asks for DeviceInfo (docs/interop.md). */
enum acs_probe_style {
	ACS_PROBE_LEAF = 0, /* leaf names only (stock devices may fault or drop partial paths) */
	ACS_PROBE_PARTIAL,  /* the partial path ROOT.DeviceInfo. */
	ACS_PROBE_OFF,      /* never probe */
};

/* Attributes a grouping key may use. */
enum group_key_part {
	GROUP_KEY_MANUFACTURER = 1 << 0,
	GROUP_KEY_OUI = 1 << 1,
	GROUP_KEY_PRODUCT_CLASS = 1 << 2,
	GROUP_KEY_HARDWARE_VERSION = 1 << 3,
	GROUP_KEY_SOFTWARE_VERSION = 1 << 4,
	GROUP_KEY_LOCATION = 1 << 5,
};

/* Who serves a group's slaves: a tree of sources rooted at the master (any
 * file-server member that holds or receives the image), or the master
 * alone. SOURCES_DEFAULT in a campaign request means the configured one. */
enum campaign_sources { SOURCES_DEFAULT = 0, SOURCES_TREE, SOURCES_MASTER };

struct acs_config {
	char cwmp_address[128];
	char api_address[128];
	char database[512];
	char api_token_file[512];
	char metrics_address[128];       /* a second listener for /metrics alone, without the token; "": none */
	uint64_t console_session_lifetime_ms; /* a web console login lasts this long */
	unsigned int device_events;      /* timeline rows kept per device (0: none) */
	int log_level;                   /* enum log_level */
	unsigned int threads;            /* CWMP server threads */
	unsigned int max_sessions;       /* open sessions before 503 */
	unsigned int max_pending_writes; /* unsaved writes before 503 */
	unsigned int retry_after_seconds;
	uint64_t session_timeout_ms;
	bool db_synchronous_full;        /* [acs] db-synchronous = full | normal */
	bool hold_requests; /* HoldRequests in InformResponse while RPCs are queued */
	int probe_style;                 /* enum acs_probe_style */
	uint64_t probe_retry_ms;         /* after a failed or dropped probe; doubles per failure in a row */
	uint64_t max_request_bytes;

	/* transport and limits of the CWMP listener (docs/security.md) */
	char tls_certificate[512];       /* PEM chain: CWMP over HTTPS when set (with tls_key) */
	char tls_key[512];
	unsigned int max_connections;
	unsigned int max_connections_per_address; /* 0: no cap */
	uint64_t connection_timeout_ms;  /* idle connection */
	uint64_t request_timeout_ms;     /* a request (head and body) must arrive within this */
	uint64_t max_header_bytes;       /* request head (libmicrohttpd's per-connection memory) */

	unsigned int auth_mode;          /* enum acs_auth_mode bits */
	char auth_realm[64];
	char auth_username[128];
	char auth_password[128];
	char credentials_file[512]; /* lines: USERNAME PASSWORD [DEVICE-KEY] */
	unsigned int auth_max_failures;  /* failed logins per address before 429 (0: no limit) */
	uint64_t auth_failure_window_ms;
	enum digest_algorithm digest_algorithms[2]; /* offered in this order */
	size_t digest_algorithm_count;
	uint64_t digest_nonce_lifetime_ms;
	unsigned int digest_nonces;      /* outstanding nonces kept (the oldest is dropped) */

	char connection_request_username[128];
	char connection_request_password[128];
	unsigned int connection_request_concurrency;
	uint64_t connection_request_timeout_ms;
	uint64_t connection_request_retry_ms;

	unsigned int group_keys; /* enum group_key_part bits */
	unsigned int max_group_size; /* 0: unlimited */

	bool election_require_file_server;
	unsigned int election_max_occupancy; /* percent x100 */
	uint64_t election_max_inform_age_ms;
	unsigned int election_hysteresis;    /* percent x100 a challenger must beat the sitting master by */

	unsigned int default_fanout;
	uint64_t stall_timeout_ms;
	uint64_t disappear_timeout_ms;
	unsigned int max_failed_masters;
	unsigned int max_attempts;
	unsigned int master_serve_failures;
	uint64_t tick_ms;
	/* a TransferComplete is overdue (connection request, fan-out slot
	 * released) after max(overdue_minimum, overdue_factor x the expected
	 * download time): the average seen so far, or size / assumed_rate */
	uint64_t assumed_rate;           /* bytes/s */
	unsigned int overdue_factor;
	uint64_t overdue_minimum_ms;
	/* trees of sources, waves and gates (docs/rollout.md) */
	int campaign_sources;            /* enum campaign_sources: SOURCES_TREE or SOURCES_MASTER */
	unsigned int relay_fanout;       /* children of a source still receiving the image */
	uint64_t relay_warmup_ms;        /* a receiving source serves once it has downloaded this long */
	uint64_t source_poll_interval_ms; /* sources' /-/stats read this often (0: never) */
	unsigned int source_max_occupancy; /* percent x100: a busier source takes no new child, its group none;
					      0: election_max_occupancy (see campaign_occupancy_limit) */
	uint64_t egress_budget;          /* bytes/s a group's sources may send together (0: none) */
	char waves[256];                 /* "5%,25%,100%", "": one wave */
	unsigned int wave_success_percent, wave_error_percent;
};

struct settings_program;
/* The table: every setting, its default, bounds, help and old spelling. */
extern const struct settings_program acs_settings;

void acs_config_defaults(struct acs_config *config);
/* Reads an INI file over the current values; returns 0, -ENOENT when it
 * cannot be read, or -EINVAL with the file, line and key logged. */
int acs_config_load(struct acs_config *config, const char *path);
/* Defaults, then --config FILE, then the flags. Returns 0; 1 when --help,
 * --version, --man or --example-config printed; -EINVAL (said on stderr). */
int acs_config_from_arguments(struct acs_config *config, int argc, char **argv);
/* Parses "manufacturer,hardware_version,..." into group_key_part bits. */
int acs_config_parse_group_keys(const char *text, unsigned int *keys);

#endif
