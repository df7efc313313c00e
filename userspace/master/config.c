/* Settings: defaults, the key setter shared by flags and the INI file,
 * command-line reading and usage text. */
#include "master/config.h"

#include <errno.h>
#include <ini.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "common/image_pieces.h"
#include "common/parse.h"
#include "meter/meter_pins.h"
#include "meter/meter_values.h"
#include "master/admin_token.h"

struct option_spec {
	const char *key;
	bool takes_value;
	const char *help;
};

static const struct option_spec options[] = {
	{ "listen", true, "ADDR:PORT  address to serve on (default 127.0.0.1:8080, origin 8081; port 0 picks one)" },
	{ "images", true, "DIR        image folder with its SHA256SUMS manifest (required)" },
	{ "origin", false, "          run as the origin server (origin defaults)" },
	{ "config", true, "FILE       INI file; every flag is also a key there" },
	{ "threads", true, "N          event loops, one io_uring each (default: online CPUs)" },
	{ "max-connections", true, "N          open connections before answering 503 (default 16384)" },
	{ "max-connections-per-address", true, "N  per address (IPv6: per /64) before 503 (default 1024, 0: none)" },
	{ "admin-token-file", true, "FILE  POST /-/reload needs the token (default: from loopback only)" },
	{ "idle-timeout", true, "DURATION   close a connection idle or stalled this long (default 60s)" },
	{ "header-timeout", true, "DURATION   a request head must arrive within this (default 10s)" },
	{ "grace", true, "DURATION   on SIGTERM, let transfers finish this long (default 30s)" },
	{ "send-mode", true, "MODE       auto, splice or zc (default auto)" },
	{ "zc-max-size", true, "SIZE       auto mode: images up to this size use send_zc (default 64K)" },
	{ "pipe-size", true, "SIZE       splice pipe capacity (default 1M)" },
	{ "meter", true, "BOOL       attach the eBPF group egress meter (default true)" },
	{ "no-meter", false, "          the same as --meter false" },
	{ "meter-interface", true, "IF         interface whose egress the meter counts (default lo)" },
	{ "bpf-pin-dir", true, "DIR        where the meter's maps are pinned (default /sys/fs/bpf/cascade)" },
	{ "group", true, "PREFIX=ID  count traffic to PREFIX for group ID (repeatable)" },
	{ "piece-size", true, "SIZE       piece size of the lists at /pieces/NAME (default 1M, 0: none)" },
	{ "relay-wait-timeout", true, "DURATION  receiving image: close a reader waiting this long (default 10s)" },
	{ "log-level", true, "LEVEL      error, warn, info or debug (default info)" },
	{ "help", false, "          print this help" },
};

#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

void master_config_defaults(struct master_config *config)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(config, 0, sizeof(*config));
	config->threads = cpus > 0 ? (unsigned int)cpus : 1;
	config->max_connections = 16384;
	config->max_connections_per_address = 1024;
	config->idle_timeout_ms = 60000;
	config->header_timeout_ms = 10000;
	config->grace_ms = 30000;
	config->send_mode = SEND_MODE_AUTO;
	config->zc_max_size = 64 << 10;
	config->pipe_size = 1 << 20;
	config->log_level = LOG_LEVEL_INFO;
	config->meter = true;
	strcpy(config->meter_interface, "lo");
	snprintf(config->bpf_pin_dir, sizeof(config->bpf_pin_dir), "%s", METER_DEFAULT_PIN_DIR);
	config->piece_size = IMAGE_PIECES_DEFAULT_PIECE_SIZE;
	config->relay_wait_timeout_ms = 10000;
}

/* Adds one prefix -> group mapping after checking both. */
static int add_group_prefix(struct master_config *config, const char *prefix, const char *group_text)
{
	struct meter_prefix parsed;
	uint32_t group;
	struct group_prefix *entry;

	if (meter_parse_prefix(prefix, &parsed) != 0 || meter_parse_group(group_text, &group) != 0 ||
	    group == 0 || strlen(prefix) >= sizeof(entry->prefix))
		return -EINVAL;
	if (config->group_prefix_count == MASTER_MAX_GROUP_PREFIXES)
		return -E2BIG;
	entry = &config->group_prefixes[config->group_prefix_count++];
	strcpy(entry->prefix, prefix);
	entry->group = group;
	return 0;
}

/* "PREFIX=ID" from the command line. */
static int set_group(struct master_config *config, const char *value)
{
	char prefix[64];
	const char *equals = strrchr(value, '=');

	if (equals == NULL || (size_t)(equals - value) >= sizeof(prefix))
		return -EINVAL;
	memcpy(prefix, value, (size_t)(equals - value));
	prefix[equals - value] = '\0';
	return add_group_prefix(config, prefix, equals + 1);
}

/* "[groups] ID = PREFIX PREFIX ..." from the config file; all or nothing. */
static int set_group_line(struct master_config *config, const char *group, const char *prefixes)
{
	char copy[1024];
	char *cursor;
	char *token;
	unsigned int before = config->group_prefix_count;

	if (snprintf(copy, sizeof(copy), "%s", prefixes) >= (int)sizeof(copy))
		return -EINVAL;
	cursor = copy;
	while ((token = strsep(&cursor, " ,\t")) != NULL) {
		if (*token == '\0')
			continue;
		if (add_group_prefix(config, token, group) != 0) {
			config->group_prefix_count = before;
			return -EINVAL;
		}
	}
	return config->group_prefix_count > before ? 0 : -EINVAL;
}

const char *send_mode_name(enum send_mode mode)
{
	switch (mode) {
	case SEND_MODE_SPLICE: return "splice";
	case SEND_MODE_ZC: return "zc";
	default: return "auto";
	}
}

static int set_count(const char *value, long long minimum, long long maximum, unsigned int *out)
{
	long long number;

	if (parse_integer(value, minimum, maximum, &number) != 0)
		return -EINVAL;
	*out = (unsigned int)number;
	return 0;
}

static int set_duration(const char *value, uint64_t minimum, uint64_t *out)
{
	uint64_t milliseconds;

	if (parse_duration_ms(value, &milliseconds) != 0 || milliseconds < minimum ||
	    milliseconds > 86400000ull)
		return -EINVAL;
	*out = milliseconds;
	return 0;
}

static int set_send_mode(const char *value, enum send_mode *out)
{
	static const enum send_mode modes[] = { SEND_MODE_AUTO, SEND_MODE_SPLICE, SEND_MODE_ZC };

	for (size_t i = 0; i < 3; i++) {
		if (strcmp(value, send_mode_name(modes[i])) == 0) {
			*out = modes[i];
			return 0;
		}
	}
	return -EINVAL;
}

int master_config_set(struct master_config *config, const char *key, const char *value)
{
	if (strcmp(key, "listen") == 0) {
		if (parse_socket_address(value, &config->listen_address, &config->listen_length) != 0)
			return -EINVAL;
		config->listen_set = true;
		return 0;
	}
	if (strcmp(key, "images") == 0) {
		if (value[0] == '\0' || strlen(value) >= sizeof(config->images))
			return -EINVAL;
		strcpy(config->images, value);
		return 0;
	}
	if (strcmp(key, "origin") == 0)
		return parse_bool(value, &config->origin);
	if (strcmp(key, "threads") == 0)
		return set_count(value, 1, 256, &config->threads);
	if (strcmp(key, "max-connections") == 0)
		return set_count(value, 1, 1000000, &config->max_connections);
	if (strcmp(key, "max-connections-per-address") == 0)
		return set_count(value, 0, 1000000, &config->max_connections_per_address);
	if (strcmp(key, "admin-token-file") == 0)
		return snprintf(config->admin_token_file, sizeof(config->admin_token_file), "%s", value) <
				       (int)sizeof(config->admin_token_file) ? 0 : -EINVAL;
	if (strcmp(key, "idle-timeout") == 0)
		return set_duration(value, 100, &config->idle_timeout_ms);
	if (strcmp(key, "header-timeout") == 0)
		return set_duration(value, 100, &config->header_timeout_ms);
	if (strcmp(key, "grace") == 0)
		return set_duration(value, 0, &config->grace_ms);
	if (strcmp(key, "send-mode") == 0)
		return set_send_mode(value, &config->send_mode);
	if (strcmp(key, "zc-max-size") == 0)
		return parse_size(value, &config->zc_max_size);
	if (strcmp(key, "pipe-size") == 0) {
		uint64_t size;

		if (parse_size(value, &size) != 0 || size < 4096 || size > (1u << 30))
			return -EINVAL;
		config->pipe_size = size;
		return 0;
	}
	if (strcmp(key, "log-level") == 0)
		return log_level_from_name(value, &config->log_level);
	if (strcmp(key, "meter") == 0)
		return parse_bool(value, &config->meter);
	if (strcmp(key, "no-meter") == 0) {
		bool off;

		if (parse_bool(value, &off) != 0)
			return -EINVAL;
		config->meter = !off;
		return 0;
	}
	if (strcmp(key, "meter-interface") == 0) {
		if (value[0] == '\0' || strlen(value) >= 16)
			return -EINVAL;
		strcpy(config->meter_interface, value);
		return 0;
	}
	if (strcmp(key, "bpf-pin-dir") == 0) {
		if (value[0] != '/' || strlen(value) >= sizeof(config->bpf_pin_dir))
			return -EINVAL;
		strcpy(config->bpf_pin_dir, value);
		return 0;
	}
	if (strcmp(key, "group") == 0)
		return set_group(config, value);
	if (strcmp(key, "piece-size") == 0) {
		uint64_t size;

		if (parse_size(value, &size) != 0 ||
		    (size != 0 && (size < IMAGE_PIECES_MIN_PIECE_SIZE || size > IMAGE_PIECES_MAX_PIECE_SIZE)))
			return -EINVAL;
		config->piece_size = (uint32_t)size;
		return 0;
	}
	if (strcmp(key, "relay-wait-timeout") == 0)
		return set_duration(value, 100, &config->relay_wait_timeout_ms);
	return -ENOENT;
}

static int handle_ini_line(void *user, const char *section, const char *key, const char *value)
{
	if (strcmp(section, "groups") == 0)
		return set_group_line(user, key, value) == 0;
	if (section[0] != '\0' && strcmp(section, "master") != 0 && strcmp(section, "origin") != 0)
		return 0;
	if (strcmp(key, "config") == 0 || strcmp(key, "help") == 0)
		return 0;
	return master_config_set(user, key, value) == 0;
}

int master_config_load(struct master_config *config, const char *path, int *error_line)
{
	int result = ini_parse(path, handle_ini_line, config);

	*error_line = result;
	if (result < 0)
		return -EIO;
	return result == 0 ? 0 : -EINVAL;
}

void master_config_usage(FILE *out)
{
	fprintf(out, "Usage: cascade-master --images DIR [options]\n"
		     "Serves the verified images of DIR (listed in DIR/SHA256SUMS) at /images/NAME\n"
		     "over HTTP/1.1 with io_uring and zero-copy sends. Also /-/stats (JSON),\n"
		     "/metrics (Prometheus) and POST /-/reload. SIGHUP reloads, SIGTERM drains.\n\n"
		     "Options:\n");
	for (size_t i = 0; i < OPTION_COUNT; i++)
		fprintf(out, "  --%-16s %s\n", options[i].key, options[i].help);
}

static const struct option_spec *find_option(const char *key, size_t length)
{
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if (strlen(options[i].key) == length && strncmp(options[i].key, key, length) == 0)
			return &options[i];
	}
	return NULL;
}

/* One pass over argv; with config_pass only --config and --help act. */
static int read_arguments(struct master_config *config, int argc, char **argv, bool config_pass)
{
	for (int i = 1; i < argc; i++) {
		const char *argument = argv[i];
		const char *equals;
		const char *value = NULL;
		const struct option_spec *option;
		size_t key_length;
		int result;

		if (strcmp(argument, "-h") == 0)
			argument = "--help";
		if (strncmp(argument, "--", 2) != 0) {
			fprintf(stderr, "cascade-master: unexpected argument '%s' (see --help)\n", argument);
			return -EINVAL;
		}
		argument += 2;
		equals = strchr(argument, '=');
		key_length = equals ? (size_t)(equals - argument) : strlen(argument);
		option = find_option(argument, key_length);
		if (option == NULL) {
			fprintf(stderr, "cascade-master: unknown option '--%.*s' (see --help)\n",
				(int)key_length, argument);
			return -EINVAL;
		}
		if (option->takes_value) {
			if (equals != NULL)
				value = equals + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				fprintf(stderr, "cascade-master: --%s needs a value\n", option->key);
				return -EINVAL;
			}
		} else if (equals != NULL) {
			fprintf(stderr, "cascade-master: --%s takes no value\n", option->key);
			return -EINVAL;
		}
		if (strcmp(option->key, "help") == 0) {
			if (config_pass) {
				master_config_usage(stdout);
				return 1;
			}
			continue;
		}
		if (strcmp(option->key, "config") == 0) {
			int line = 0;

			if (!config_pass)
				continue;
			result = master_config_load(config, value, &line);
			if (result != 0) {
				if (line > 0)
					fprintf(stderr, "cascade-master: %s:%d: unknown key or bad value\n",
						value, line);
				else
					fprintf(stderr, "cascade-master: cannot read config file %s\n", value);
				return -EINVAL;
			}
			continue;
		}
		if (config_pass)
			continue;
		result = master_config_set(config, option->key, option->takes_value ? value : "true");
		if (result != 0) {
			fprintf(stderr, "cascade-master: bad value '%s' for --%s\n",
				value ? value : "", option->key);
			return -EINVAL;
		}
	}
	return 0;
}

int master_config_from_arguments(struct master_config *config, int argc, char **argv)
{
	int result = read_arguments(config, argc, argv, true);

	if (result != 0)
		return result;
	result = read_arguments(config, argc, argv, false);
	if (result != 0)
		return result;
	return master_config_finish(config);
}

int master_config_finish(struct master_config *config)
{
	if (config->images[0] == '\0') {
		fprintf(stderr, "cascade-master: --images DIR is required (see --help)\n");
		return -EINVAL;
	}
	if (config->admin_token_file[0] != '\0' &&
	    admin_token_load(config->admin_token_file, config->admin_token) != 0)
		return -EINVAL;
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
