/* cascade-master's settings, declared once in a table of the common
 * settings layer (common/settings.h): defaults, command-line flags, the INI
 * config file, --help, --version, --man and --example-config. */
#ifndef CASCADE_MASTER_CONFIG_H
#define CASCADE_MASTER_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "common/log.h"
#include "master/congestion.h"
#include "master/pacing.h"

#define MASTER_DEFAULT_PORT 8080
/* --send-buffer auto on a master whose congestion control paces (bbr; the
 * origin and other masters keep the kernel's sizing): why, with the
 * figures, in docs/master.md */
#define MASTER_AUTO_SEND_BUFFER (128u << 10)
/* --copy-max-size auto where the congestion control paces (bbr) */
#define MASTER_AUTO_COPY_MAX_SIZE (1ull << 30)
/* --busy-send-buffer auto where the congestion control paces (bbr) */
#define MASTER_AUTO_BUSY_SEND_BUFFER (32u << 10)
/* --pacing-rate auto (the default) on a master whose connections do
 * not pace on their own: 400 MiB/s (3.4 Gb/s) a connection, above what
 * one slave's link carries, so on a network it only spaces the bursts. */
#define MASTER_AUTO_PACING_RATE (400ull << 20)
#define ORIGIN_DEFAULT_PORT 8081

enum send_mode {
	SEND_MODE_AUTO,     /* per response: the decision table of docs/master.md */
	SEND_MODE_SPLICE,   /* file -> pipe -> socket, linked splice SQEs */
	SEND_MODE_ZC,       /* IORING_OP_SENDMSG_ZC from a read-only mapping */
	SEND_MODE_COPY,     /* IORING_OP_SENDMSG from a read-only mapping */
	SEND_MODE_SENDFILE, /* sendfile in the event loop, POLLOUT through the ring */
};

#define MASTER_MAX_GROUP_PREFIXES 256

/* A destination prefix whose traffic the group meter counts for a group. */
struct group_prefix {
	char prefix[64];
	uint32_t group;
};

struct master_config {
	struct sockaddr_storage listen_address;
	socklen_t listen_length;
	bool listen_set;
	char images[PATH_MAX];
	bool origin;
	unsigned int threads;
	unsigned int max_connections;
	unsigned int max_connections_per_address; /* 0: no per-address cap */
	uint64_t idle_timeout_ms;
	uint64_t header_timeout_ms;
	uint64_t grace_ms;
	enum send_mode send_mode;
	uint64_t zc_max_size;
	uint64_t copy_max_size;
	uint64_t mapped_resident_max;
	unsigned int copy_until;        /* auto: large bodies a loop sends before mapped images go by sendfile */
	unsigned int sendfile_after;    /* auto: large bodies a loop splices before sendfile */
	unsigned int busy_after;        /* auto: large bodies that make a loop busy */
	uint64_t pipe_size;
	uint64_t send_buffer;           /* SO_SNDBUF of every connection; 0: kernel autotuning */
	uint64_t busy_send_buffer;      /* busy loop, large bodies by sendfile; 0: none */
	struct pacing_rule pacing;      /* --pacing-rate (0: never) and --pacing-from */
	bool send_buffer_auto;          /* resolved by master_config_finish */
	char congestion_control[CONGESTION_NAME_MAX]; /* auto, system or a name */
	struct congestion_choice congestion;          /* resolved by master_config_finish */
	bool copy_max_size_auto;        /* resolved by master_config_finish */
	bool busy_send_buffer_auto;     /* resolved by master_config_finish */
	bool pacing_rate_auto;          /* resolved by master_config_finish */
	uint64_t tcp_memory_gate;       /* send gate mark in bytes; 0: off */
	bool tcp_memory_gate_auto;      /* the mark is net.ipv4.tcp_mem's low mark (each loop reads it) */
	enum log_level log_level;
	bool meter;                     /* attach the eBPF group egress meter */
	char meter_interface[32];
	char bpf_pin_dir[256];
	struct group_prefix group_prefixes[MASTER_MAX_GROUP_PREFIXES];
	unsigned int group_prefix_count;
	char admin_token_file[PATH_MAX];
	char admin_token[257];          /* read from admin_token_file; "": loopback only */
	uint32_t piece_size;            /* piece lists of images served whole; 0: none */
	uint64_t relay_wait_timeout_ms; /* receiving images: a reader's wait for verified bytes */
};

void master_config_defaults(struct master_config *config);
/* Sets one setting by its key (the long flag without "--"); returns 0,
 * -ENOENT for an unknown key, -EINVAL for a bad value. */
int master_config_set(struct master_config *config, const char *key, const char *value);
/* Loads an INI file: keys at top level or in [master] / [origin], and a
 * [groups] section of "GROUP_ID = PREFIX [PREFIX...]" lines. Returns
 * 0 or a negative errno; *error_line is the first bad line (0: I/O). */
int master_config_load(struct master_config *config, const char *path, int *error_line);
/* Reads the whole command line (a --config file first, flags on top).
 * Returns 0 to run, 1 when --help, --version, --man or --example-config
 * was printed, or -EINVAL after printing the reason on stderr. */
int master_config_from_arguments(struct master_config *config, int argc, char **argv);
/* Final checks and derived defaults (listen port by role). */
int master_config_finish(struct master_config *config);
void master_config_usage(FILE *out);
const char *send_mode_name(enum send_mode mode);

#endif
