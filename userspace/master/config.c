/* cascade-master's settings table: every flag and config-file key (the
 * same names, at the top of the file or in [master] / [origin]) with its
 * default, bounds and help, the free-form [groups] section, and the checks
 * that need the whole configuration (the listen port by role). */
#include "master/config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/image_pieces.h"
#include "common/parse.h"
#include "common/settings.h"
#include "master/admin_token.h"
#include "meter/meter_pins.h"
#include "meter/meter_values.h"

static const char *const send_mode_names[] = { [SEND_MODE_AUTO] = "auto", [SEND_MODE_SPLICE] = "splice",
					       [SEND_MODE_ZC] = "zc", [SEND_MODE_COPY] = "copy",
					       [SEND_MODE_SENDFILE] = "sendfile", NULL };
static const char *const log_level_names[] = { [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARN] = "warn",
					       [LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug", NULL };

const char *send_mode_name(enum send_mode mode)
{
	if ((size_t)mode < sizeof(send_mode_names) / sizeof(send_mode_names[0]) - 1)
		return send_mode_names[mode];
	return "auto";
}

static int set_listen(void *config, const char *value, char *why, size_t why_size)
{
	struct master_config *master = config;

	if (parse_socket_address(value, &master->listen_address, &master->listen_length) != 0) {
		snprintf(why, why_size, "expected ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:0");
		return -EINVAL;
	}
	master->listen_set = true;
	return 0;
}

static int set_bpf_pin_dir(void *config, const char *value, char *why, size_t why_size)
{
	struct master_config *master = config;

	if (value[0] != '/' || strlen(value) >= sizeof(master->bpf_pin_dir)) {
		snprintf(why, why_size, "expected an absolute path under %zu characters", sizeof(master->bpf_pin_dir));
		return -EINVAL;
	}
	strcpy(master->bpf_pin_dir, value);
	return 0;
}

static int set_piece_size(void *config, const char *value, char *why, size_t why_size)
{
	uint64_t size;

	if (parse_size(value, &size) != 0 ||
	    (size != 0 && (size < IMAGE_PIECES_MIN_PIECE_SIZE || size > IMAGE_PIECES_MAX_PIECE_SIZE))) {
		snprintf(why, why_size, "expected 0 or a size from %uK to %uM", IMAGE_PIECES_MIN_PIECE_SIZE >> 10,
			 IMAGE_PIECES_MAX_PIECE_SIZE >> 20);
		return -EINVAL;
	}
	((struct master_config *)config)->piece_size = (uint32_t)size;
	return 0;
}

/* "auto" (resolved by master_config_finish) or a size up to maximum. */
static int set_auto_or_size(const char *value, bool *is_auto, uint64_t *size, uint64_t maximum,
			    const char *expected, char *why, size_t why_size)
{
	uint64_t parsed;

	if (strcmp(value, "auto") == 0) {
		*is_auto = true;
		return 0;
	}
	if (parse_size(value, &parsed) != 0 || parsed > maximum) {
		snprintf(why, why_size, "expected %s", expected);
		return -EINVAL;
	}
	*is_auto = false;
	*size = parsed;
	return 0;
}

static int set_send_buffer(void *config, const char *value, char *why, size_t why_size)
{
	struct master_config *master = config;

	return set_auto_or_size(value, &master->send_buffer_auto, &master->send_buffer, 1u << 30,
				"auto, 0 or a size up to 1G", why, why_size);
}

static int set_busy_send_buffer(void *config, const char *value, char *why, size_t why_size)
{
	struct master_config *master = config;

	return set_auto_or_size(value, &master->busy_send_buffer_auto, &master->busy_send_buffer, 1u << 30,
				"auto, 0 or a size up to 1G", why, why_size);
}

static int set_pacing_rate(void *config, const char *value, char *why, size_t why_size)
{
	struct master_config *master = config;

	return set_auto_or_size(value, &master->pacing_rate_auto, &master->pacing.rate, 1ull << 40,
				"auto, 0 or a rate in bytes a second up to 1T", why, why_size);
}

static int set_tcp_memory_gate(void *config, const char *value, char *why, size_t why_size)
{
	struct master_config *master = config;

	return set_auto_or_size(value, &master->tcp_memory_gate_auto, &master->tcp_memory_gate, UINT64_MAX,
				"auto, 0 or a size", why, why_size);
}

static int set_copy_max_size(void *config, const char *value, char *why, size_t why_size)
{
	struct master_config *master = config;

	return set_auto_or_size(value, &master->copy_max_size_auto, &master->copy_max_size, UINT64_MAX,
				"auto or a size", why, why_size);
}

/* Adds one prefix -> group mapping after checking both. */
static int add_group_prefix(struct master_config *config, const char *prefix, const char *group_text, char *why,
			    size_t why_size)
{
	struct meter_prefix parsed;
	uint32_t group;
	struct group_prefix *entry;

	if (meter_parse_prefix(prefix, &parsed) != 0 || strlen(prefix) >= sizeof(entry->prefix)) {
		snprintf(why, why_size, "'%s' is not an address or ADDRESS/BITS prefix", prefix);
		return -EINVAL;
	}
	if (meter_parse_group(group_text, &group) != 0 || group == 0) {
		snprintf(why, why_size, "'%s' is not a group ID (a whole number from 1)", group_text);
		return -EINVAL;
	}
	if (config->group_prefix_count == MASTER_MAX_GROUP_PREFIXES) {
		snprintf(why, why_size, "more than %d group prefixes", MASTER_MAX_GROUP_PREFIXES);
		return -EINVAL;
	}
	entry = &config->group_prefixes[config->group_prefix_count++];
	strcpy(entry->prefix, prefix);
	entry->group = group;
	return 0;
}

/* "PREFIX=ID" from the command line (or a group key in the file). */
static int set_group(void *config, const char *value, char *why, size_t why_size)
{
	char prefix[64];
	const char *equals = strrchr(value, '=');

	if (equals == NULL || (size_t)(equals - value) >= sizeof(prefix)) {
		snprintf(why, why_size, "expected PREFIX=ID");
		return -EINVAL;
	}
	memcpy(prefix, value, (size_t)(equals - value));
	prefix[equals - value] = '\0';
	return add_group_prefix(config, prefix, equals + 1, why, why_size);
}

/* "[groups] ID = PREFIX PREFIX ..." from the config file; all or nothing. */
static int set_group_line(void *config, const char *group, const char *prefixes, char *why, size_t why_size)
{
	struct master_config *master = config;
	unsigned int before = master->group_prefix_count;
	char copy[1024], *cursor = copy, *token;

	if (snprintf(copy, sizeof(copy), "%s", prefixes) >= (int)sizeof(copy)) {
		snprintf(why, why_size, "longer than %zu characters", sizeof(copy) - 1);
		return -EINVAL;
	}
	while ((token = strsep(&cursor, " ,\t")) != NULL) {
		if (*token == '\0')
			continue;
		if (add_group_prefix(master, token, group, why, why_size) != 0) {
			master->group_prefix_count = before;
			return -EINVAL;
		}
	}
	if (master->group_prefix_count == before) {
		snprintf(why, why_size, "expected ID = PREFIX [PREFIX...]");
		return -EINVAL;
	}
	return 0;
}

static const char *const own_sections[] = { "master", "origin", NULL };

static const struct settings_free_section free_sections[] = {
	{ .name = "groups", .set = set_group_line,
	  .help = "Lines ID = PREFIX [PREFIX...]: the group meter counts traffic to each prefix (an address or\n"
		  "ADDRESS/BITS, IPv4 or IPv6, separated by spaces or commas) for group ID, like --group.",
	  .example = "5 = 10.5.0.0/16, fd00:5::/64\n6 = 10.6.0.1" },
};

#define AT(field) offsetof(struct master_config, field)
#define TEXT(field) .type = SETTING_STRING, .offset = AT(field), .size = sizeof(((struct master_config *)0)->field)
#define COUNT(field, low, high) .type = SETTING_UNSIGNED, .offset = AT(field), .minimum = (low), .maximum = (high)
#define TIME(field, low, high) .type = SETTING_DURATION, .offset = AT(field), .minimum = (low), .maximum = (high)
#define BYTES(field, low, high) .type = SETTING_SIZE, .offset = AT(field), .minimum = (low), .maximum = (high)
#define CHOICE(field, names) .type = SETTING_CHOICE, .offset = AT(field), .choices = (names)
#define CUSTOM(setter) .type = SETTING_CUSTOM, .set = (setter)
#define DAY_MS 86400000ll

/* One entry per setting; a new one is a new line here (and a field in
 * struct master_config). */
static const struct setting settings[] = {
	/* what is served, and where */
	{ .key = "images", TEXT(images), .minimum = 1, .value_name = "DIR",
	  .help = "image folder with its SHA256SUMS manifest (required)" },
	{ .key = "listen", CUSTOM(set_listen), .value_name = "ADDR:PORT",
	  .default_note = "127.0.0.1:8080, the origin 127.0.0.1:8081",
	  .help = "address to serve on; port 0 picks a free one" },
	{ .key = "origin", .type = SETTING_FLAG, .offset = AT(origin), .help = "run as the origin server (origin defaults)" },
	{ .key = "admin-token-file", TEXT(admin_token_file), .value_name = "FILE",
	  .help = "POST /-/reload needs the token in FILE (without it: from loopback only)" },

	/* event loops and limits */
	{ .key = "threads", COUNT(threads, 1, 256), .default_note = "online CPUs",
	  .help = "event loops, one io_uring each" },
	{ .key = "max-connections", COUNT(max_connections, 1, 1000000), .default_value = "16384",
	  .help = "open connections before answering 503" },
	{ .key = "max-connections-per-address", COUNT(max_connections_per_address, 0, 1000000),
	  .default_value = "1024", .help = "open connections per address (IPv6: per /64) before 503 (0: no cap)" },
	{ .key = "idle-timeout", TIME(idle_timeout_ms, 100, DAY_MS), .default_value = "60s",
	  .help = "close a connection idle or stalled this long" },
	{ .key = "header-timeout", TIME(header_timeout_ms, 100, DAY_MS), .default_value = "10s",
	  .help = "a request head must arrive within this" },
	{ .key = "grace", TIME(grace_ms, 0, DAY_MS), .default_value = "30s",
	  .help = "on SIGTERM, let transfers finish this long" },

	/* how bytes are sent */
	{ .key = "send-mode", CHOICE(send_mode, send_mode_names), .default_value = "auto",
	  .help = "auto (the decision table of docs/master.md), or always splice, copy, sendfile or zc" },
	{ .key = "copy-max-size", CUSTOM(set_copy_max_size), .default_value = "auto", .value_name = "SIZE",
	  .help = "auto mode: images up to this size are sent by copy from their mapping; auto: 1G when "
		  "the connections' congestion control paces (bbr), else 0 (sendfile)" },
	{ .key = "copy-until", COUNT(copy_until, 0, 1000000), .default_value = "2048",
	  .help = "auto mode: a loop sending this many bodies over 256 KiB sends further mapped images by "
		  "sendfile (0: always copy)" },
	{ .key = "mapped-resident-max", BYTES(mapped_resident_max, 0, 0), .default_value = "4M",
	  .help = "copy: after this many bytes copied from a larger image its mapped pages are dropped "
		  "(they stay in the page cache), so the image counts this much in RSS (0: kept)" },
	{ .key = "sendfile-after", COUNT(sendfile_after, 0, 1000000), .default_value = "0",
	  .help = "auto mode: a loop sending fewer bodies over 256 KiB than this sends an unmapped image by "
		  "splice, further ones by sendfile (0: always sendfile)" },
	{ .key = "busy-after", COUNT(busy_after, 0, 1000000), .default_value = "128",
	  .help = "auto mode: a loop sending this many bodies over 256 KiB is busy (--busy-send-buffer)" },
	{ .key = "zc-max-size", BYTES(zc_max_size, 0, 0), .default_value = "0",
	  .help = "auto mode: images up to this size use send_zc (0: none)" },
	{ .key = "pipe-size", BYTES(pipe_size, 4096, 1ll << 30), .default_value = "1M",
	  .help = "splice pipe capacity" },
	{ .key = "busy-send-buffer", CUSTOM(set_busy_send_buffer), .default_value = "auto", .value_name = "SIZE",
	  .help = "auto mode: send buffer of a large response by sendfile in a busy loop (--busy-after); "
		  "auto: 32K where the connections pace (bbr), else 0 (the connection's own)" },
	{ .key = "send-buffer", CUSTOM(set_send_buffer), .default_value = "auto", .value_name = "SIZE",
	  .help = "socket send buffer of every connection: auto (128K on a master whose congestion control "
		  "paces, bbr; else the kernel's sizing), 0 (the kernel sizes it) or a size" },
	{ .key = "pacing-rate", CUSTOM(set_pacing_rate), .default_value = "auto", .value_name = "RATE",
	  .help = "pace a body of --pacing-from or more, once its reader acknowledges nearly every segment, "
		  "at up to RATE bytes a second: 0 (never), auto (400M where the connections do not pace)" },
	{ .key = "pacing-from", BYTES(pacing.from_bytes, 0, 0), .default_value = "4M",
	  .help = "smallest body --pacing-rate applies to" },
	{ .key = "pacing-scope", CHOICE(pacing.scope, pacing_scope_names), .default_value = "network",
	  .help = "which such readers are paced: network (across a network device, or on this host while it "
		  "steers loopback packets) or any" },
	{ .key = "tcp-memory-gate", CUSTOM(set_tcp_memory_gate), .default_value = "auto", .value_name = "SIZE",
	  .help = "hold image sends while the host's TCP memory is at or over this: auto (net.ipv4.tcp_mem's "
		  "low mark), 0 (never) or a size" },

	{ .key = "congestion-control", TEXT(congestion_control), .minimum = 1, .maximum = 15,
	  .default_value = "auto", .value_name = "NAME",
	  .help = "TCP congestion control of every connection: auto (a master: cubic where the host's "
		  "default is bbr, else the host's), system (the host's) or a name (cubic, bbr, reno...)" },

	/* receiving images and their pieces */
	{ .key = "piece-size", CUSTOM(set_piece_size), .default_value = "1M", .value_name = "SIZE",
	  .help = "piece size of the lists at /pieces/NAME (0: none)" },
	{ .key = "relay-wait-timeout", TIME(relay_wait_timeout_ms, 100, DAY_MS), .default_value = "10s",
	  .help = "receiving image: close a reader waiting this long for verified bytes" },

	/* the eBPF group egress meter */
	{ .key = "meter", .type = SETTING_BOOL, .offset = AT(meter), .default_value = "true",
	  .help = "attach the eBPF group egress meter" },
	{ .key = "no-meter", .type = SETTING_NEGATION, .offset = AT(meter), .help = "the same as --meter false" },
	{ .key = "meter-interface", TEXT(meter_interface), .minimum = 1, .maximum = 15, .default_value = "lo",
	  .value_name = "IF", .help = "interface whose egress the meter counts" },
	{ .key = "bpf-pin-dir", CUSTOM(set_bpf_pin_dir), .default_value = METER_DEFAULT_PIN_DIR, .value_name = "DIR",
	  .help = "where the meter's maps are pinned" },
	{ .key = "group", CUSTOM(set_group), .value_name = "PREFIX=ID", .flags = SETTING_REPEATABLE,
	  .help = "count traffic to PREFIX for group ID (repeatable; in the file, the [groups] section)" },

	{ .key = "log-level", CHOICE(log_level, log_level_names), .default_value = "info",
	  .help = "least important messages logged" },
};

static const struct settings_program master_settings = {
	.name = "cascade-master",
	.synopsis = "--images DIR [--origin] [--config FILE] [options]",
	.summary = "the cascade image server: verified images over io_uring HTTP/1.1 with zero-copy sends",
	.description = "cascade-master serves the verified images of DIR (listed in DIR/SHA256SUMS) at /images/NAME\n"
		       "over HTTP/1.1 with io_uring and zero-copy sends, and their piece lists at /pieces/NAME.\n"
		       "It is the origin with --origin, or a group's master next to its cascade-cpe, which may\n"
		       "hand it images to relay while they arrive. Also /-/stats (JSON), /metrics (Prometheus)\n"
		       "and POST /-/reload. SIGHUP reloads the manifest, SIGTERM drains.",
	.own_sections = own_sections,
	.settings = settings,
	.count = sizeof(settings) / sizeof(settings[0]),
	.free_sections = free_sections,
	.free_section_count = sizeof(free_sections) / sizeof(free_sections[0]),
	.notes = "Config file keys are the flag names, at the top of the file or in a [master] or [origin]\n"
		 "section. SIZE takes K, M, G; DURATION ms, s, m, h (a bare number is seconds).",
	.files = "DIR/SHA256SUMS (--images): the manifest of the images served.",
	.man_section = 8,
};

void master_config_defaults(struct master_config *config)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(config, 0, sizeof(*config));
	if (settings_defaults(&master_settings, config) < 0)
		abort(); /* a bad default in the table above: a bug the unit tests catch */
	config->threads = cpus > 0 ? (unsigned int)cpus : 1;
	if (config->threads > 256)
		config->threads = 256;
}

int master_config_set(struct master_config *config, const char *key, const char *value)
{
	char why[256];

	return settings_set(&master_settings, config, key, value, why, sizeof(why));
}

/* The line number of settings_load_file's "PATH:LINE: why". */
static int error_line_of(const char *why, const char *path)
{
	size_t length = strlen(path);

	if (strncmp(why, path, length) != 0 || why[length] != ':')
		return 0;
	return atoi(why + length + 1);
}

int master_config_load(struct master_config *config, const char *path, int *error_line)
{
	char why[512] = "";
	int result = settings_load_file(&master_settings, config, path, why, sizeof(why));

	*error_line = 0;
	if (result == -EIO)
		return -EIO;
	if (result < 0)
		*error_line = error_line_of(why, path);
	return result;
}

int master_config_from_arguments(struct master_config *config, int argc, char **argv)
{
	int result = settings_from_arguments(&master_settings, config, argc, argv, NULL);

	if (result != 0)
		return result;
	return master_config_finish(config);
}

int master_config_finish(struct master_config *config)
{
	char why[160];

	if (config->images[0] == '\0') {
		fprintf(stderr, "cascade-master: --images DIR is required (see --help)\n");
		return -EINVAL;
	}
	if (config->admin_token_file[0] != '\0' &&
	    admin_token_load(config->admin_token_file, config->admin_token) != 0)
		return -EINVAL;
	if (congestion_resolve(config->congestion_control, config->origin, &config->congestion, why,
			       sizeof(why)) != 0) {
		fprintf(stderr, "cascade-master: --congestion-control: %s\n", why);
		return -EINVAL;
	}
	if (config->send_buffer_auto)
		config->send_buffer = !config->origin && config->congestion.paces ? MASTER_AUTO_SEND_BUFFER : 0;
	if (config->copy_max_size_auto)
		config->copy_max_size = config->congestion.paces ? MASTER_AUTO_COPY_MAX_SIZE : 0;
	if (config->busy_send_buffer_auto)
		config->busy_send_buffer = config->congestion.paces ? MASTER_AUTO_BUSY_SEND_BUFFER : 0;
	if (config->pacing_rate_auto)
		config->pacing.rate = !config->origin && !config->congestion.paces ? MASTER_AUTO_PACING_RATE : 0;
	if (!config->listen_set) {
		struct sockaddr_in *address = (struct sockaddr_in *)&config->listen_address;

		memset(&config->listen_address, 0, sizeof(config->listen_address));
		address->sin_family = AF_INET;
		address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		address->sin_port = htons(config->origin ? ORIGIN_DEFAULT_PORT : MASTER_DEFAULT_PORT);
		config->listen_length = sizeof(*address);
	}
	return 0;
}

void master_config_usage(FILE *out)
{
	settings_print_help(&master_settings, out);
}
