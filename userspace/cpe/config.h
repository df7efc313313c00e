/* cascade-cpe's settings: one table (common/settings.h) gives the defaults,
 * the flags, the config file (same key names), --help, --version, the man
 * page and the example config. */
#ifndef CASCADE_CPE_CONFIG_H
#define CASCADE_CPE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "common/log.h"
#include "cwmp/cwmp.h"

#define CPE_URL_MAX  1024
#define CPE_PATH_MAX 512
#define CPE_NAME_MAX 256

enum cpe_auth { CPE_AUTH_ANY = 0, CPE_AUTH_BASIC, CPE_AUTH_DIGEST };
enum cpe_cpu_meter_mode { CPE_CPU_METER_EBPF = 0, CPE_CPU_METER_PROC, CPE_CPU_METER_OFF };

struct cpe_config {
	/* ACS and session */
	char acs_url[CPE_URL_MAX];
	char username[CPE_NAME_MAX];
	char password[CPE_NAME_MAX];
	enum cpe_auth auth;
	char ca_file[CPE_PATH_MAX];
	char image_public_key[CPE_PATH_MAX];   /* Ed25519 PEM; "": signatures not required */
	char master_admin_token_file[CPE_PATH_MAX]; /* token for POST /-/reload of the local master */
	char root[32];                    /* "Device." or "InternetGatewayDevice." */
	enum cwmp_version cwmp_version;
	uint64_t acs_timeout_ms;          /* one HTTP exchange */
	char data_dir[CPE_PATH_MAX];

	/* identity and attributes */
	char manufacturer[CPE_NAME_MAX];
	char oui[CPE_NAME_MAX];
	char product_class[CPE_NAME_MAX];
	char serial[CPE_NAME_MAX];
	char hardware_version[CPE_NAME_MAX];
	char software_version[CPE_NAME_MAX];
	char location[CPE_NAME_MAX];
	uint64_t cache_size;              /* 0: free space of the data directory */
	uint32_t bandwidth_kbps;

	/* master role */
	char file_server_url[CPE_URL_MAX];
	char image_dir[CPE_PATH_MAX];

	/* connection requests */
	char connection_request_address[64]; /* "" : no listener */
	char connection_request_url[CPE_URL_MAX]; /* advertised; "" : derived */
	char connection_request_username[CPE_NAME_MAX];
	char connection_request_password[CPE_NAME_MAX];
	unsigned int connection_request_burst;
	uint64_t connection_request_refill_ms;

	/* periodic Inform and retries */
	bool periodic_enable;
	uint64_t periodic_interval_ms;
	unsigned int periodic_jitter_percent;
	uint64_t startup_jitter_ms;       /* first Inform after a random 0..this */
	uint64_t retry_min_wait_ms;       /* CWMPRetryMinimumWaitInterval */
	unsigned int retry_multiplier;    /* CWMPRetryIntervalMultiplier, per mille */
	uint64_t retry_max_wait_ms;

	/* downloads and install */
	char install_command[CPE_URL_MAX];
	uint64_t install_timeout_ms;
	uint64_t download_stall_ms;       /* below 1 KiB/s this long: stalled */
	uint64_t download_connect_timeout_ms;
	unsigned int download_retries;    /* resumes after a cut connection */
	uint64_t download_rate_limit;     /* bytes per second, 0: none */
	uint64_t max_image_size;

	/* CPU occupancy */
	enum cpe_cpu_meter_mode cpu_meter;
	char bpf_pin_dir[CPE_PATH_MAX];   /* "none": a private meter */
	unsigned int cpu_window_seconds;

	int log_level;                    /* enum log_level */
};

void cpe_config_defaults(struct cpe_config *config);
/* Sets one key ("periodic-interval" or "periodic_interval") from text.
 * Returns 0, -ENOENT for an unknown key, -EINVAL for a bad value (why is
 * written into error). */
int cpe_config_set(struct cpe_config *config, const char *key, const char *value, char *error, size_t error_size);
/* Loads an inih file (keys at top level or in [cpe]); names the line of
 * any bad key or value in error. */
int cpe_config_load_file(struct cpe_config *config, const char *path, char *error, size_t error_size);
/* Checks the combination (required keys, master needs both URL and image
 * dir, ...). */
int cpe_config_validate(const struct cpe_config *config, char *error, size_t error_size);
/* --config FILE first, then the flags over it (the flags win), then the
 * checks. Returns 0; 1 when --help, --version, --man or --example-config
 * printed; -EINVAL (message printed). */
int cpe_config_from_arguments(struct cpe_config *config, int argc, char **argv);
void cpe_config_usage(FILE *stream);
bool cpe_config_is_master(const struct cpe_config *config);
/* url starts with http:// or https:// (either case): the schemes the
 * agent speaks, for the ACS, the file server and downloads. */
bool cpe_url_is_http(const char *url);

#endif
