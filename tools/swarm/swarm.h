/* cascade-swarm's model: options, simulated devices and the single-threaded
 * event loop (epoll + libcurl multi socket interface + libmicrohttpd in
 * external epoll mode) that drives them. No thread per device. */
#ifndef CASCADE_SWARM_SWARM_H
#define CASCADE_SWARM_SWARM_H

#include <curl/curl.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/clock.h"
#include "common/digest_auth.h"
#include "common/image_pieces.h"
#include "common/sha256.h"
#include "cwmp/cwmp.h"

struct swarm_options {
	const char *acs_url;
	const char *listen;          /* connection-request and file server, HOST:PORT */
	const char *advertise_host;  /* host in URLs given to the ACS (default: listen host) */
	unsigned int devices;
	unsigned int groups;
	unsigned int first_index;
	const char *oui, *product_class, *serial_prefix, *manufacturer, *hardware_prefix, *software_version;
	const char *location_prefix;
	unsigned int locations;
	double file_server_ratio;    /* share of cascade devices that can serve (per group, the first ones) */
	double stock_ratio;          /* share of devices without X_CASCADE_ parameters */
	double tr098_ratio;          /* share using InternetGatewayDevice. */
	bool no_attributes;          /* Informs carry no attributes: the ACS must probe */
	unsigned int max_occupancy;  /* percent x100 upper bound of random occupancy */
	uint64_t cache_size;
	unsigned int concurrency;    /* sessions in flight */
	unsigned int download_concurrency;
	double periodic_seconds;     /* 0: no periodic Inform */
	double ramp_seconds;         /* spread of the first Informs */
	double duration_seconds;     /* 0: until SIGTERM */
	bool exit_after_bootstrap;
	bool sessions_only;          /* benchmark: Inform, empty POST, 204, again */
	bool no_cookies;
	const char *username, *password;          /* towards the ACS */
	const char *cr_username, *cr_password;    /* expected on connection requests */
	const char *store_dir;       /* where file-server devices keep images */
	const char *fault_devices;   /* "1,5,9": downloads end in fault 9010 */
	const char *stall_devices;   /* accept Download, never finish */
	const char *dead_servers;    /* file servers answering 503 */
	const char *corrupt_servers; /* file servers sending one flipped byte (the middle one) */
	const char *occupancy_list;  /* "I=V,...": fixed occupancy for some devices */
	const char *ack_log;         /* file: one line per acknowledged Inform / TransferComplete */
	/* source addresses: "auto" (a loopback ACS: 127.64.0.0/10), "none", or A.B.C.D/BITS */
	const char *source_range;
	const char *prefix_file;     /* file: "GROUP HARDWARE_VERSION PREFIX" per group */
	const char *report_path;     /* file: one JSON line per finished download attempt */
	unsigned int hash_every;     /* hash every Kth device's downloads (1: all) */
	uint64_t download_rate;      /* bytes/s per download, 0: unlimited */
	uint64_t upload_rate;        /* bytes/s a file-server device sends in all, 0: unlimited (its uplink) */
	unsigned int bandwidth_kbps; /* X_CASCADE_Bandwidth of every device, 0: from upload_rate, else random */
	double relay_wait_seconds;   /* a reader waiting this long for new checked bytes is cut */
	const char *slow_devices;    /* these devices download at slow_rate */
	uint64_t slow_rate;
	const char *flaky_devices;   /* these devices cut their connection once per image */
	uint64_t cut_after;          /* ... after this many bytes, then resume with Range */
	unsigned int download_retries; /* in-place resumes after a cut connection */
	uint64_t receive_buffer;     /* SO_RCVBUF of download sockets, 0: the kernel's default */
	unsigned int retry_max_seconds; /* cap of the session back-off */
	const char *profiles;        /* "NAME=SHARE,...": stock-device behaviours (profiles.c) */
	double drop_delay_seconds;   /* a dropping / restarting device calls in again after this */
	unsigned int seed;
	bool verbose;
};

/* Timers in the swarm's heap: a device's next session (periodic Inform,
 * retry after a failure) and next download resume, and a served stream's
 * wake-up (its device's uplink has room again, or it waited too long for
 * bytes the device is still receiving). */
enum timer_kind { TIMER_SESSION = 0, TIMER_DOWNLOAD, TIMER_STREAM };

struct served_stream;

struct device_timer {
	uint64_t due_ms;
	size_t heap_index;
	struct swarm_device *device;
	enum timer_kind kind;
	struct served_stream *stream; /* TIMER_STREAM */
};

/* Responses of the swarm's server in flight at once (its connection limit). */
#define SWARM_MAX_STREAMS 4000

enum device_phase { PHASE_IDLE = 0, PHASE_SESSION, PHASE_WAITING };

/* Stock-device behaviours (docs/swarm.md, docs/interop.md); a profile's
 * devices are split evenly over its variants. */
enum swarm_profile {
	PROFILE_IDEAL = 0,
	PROFILE_PARTIAL_PATH,    /* stock; a partial-path GetParameterValues: fault / dropped connection / agent restart */
	PROFILE_SLOPPY_FAULT,    /* faults SetParameterValues and partial paths in envelopes with undeclared prefixes */
	PROFILE_LATE_TRANSFER,   /* reports TransferComplete at its next periodic Inform unless a connection request comes */
	PROFILE_STALLING,        /* the first Download of an image is accepted and never progresses */
	PROFILE_SPV_FAULT,       /* an empty-URL Download: fault 9003 / TransferComplete 9010 */
	PROFILE_NONCE_REUSE,     /* Digest: re-sends its last nonce with nc=00000001 in every new session */
	PROFILE_LEGACY,          /* cookie echoed whole / no cookie / cwmp-1-0 only / Basic only / no image check */
	PROFILE_COUNT
};

/* The variants of the partial-path and legacy profiles. */
enum { PARTIAL_PATH_FAULT = 0, PARTIAL_PATH_DROP, PARTIAL_PATH_RESTART };
enum { LEGACY_COOKIE_ECHO = 0, LEGACY_NO_COOKIES, LEGACY_CWMP_1_0, LEGACY_BASIC_ONLY, LEGACY_NO_IMAGE_CHECK };

struct swarm;

struct swarm_device {
	unsigned int index;
	char serial[48];
	char root[24];
	unsigned int group;
	bool cascade, file_server, stock;
	bool fault_downloads, stall_downloads, dead_server, slow, flaky, corrupt_server;
	enum swarm_profile profile;
	unsigned int variant;        /* which behaviour of the profile */
	char *stalled_image;         /* stalling: the image whose first Download it sat on */
	bool download_by_master_url; /* the Download had no URL (spv mode) */
	bool restarted;              /* partial-path restart: next Inform carries 1 BOOT */
	uint64_t transfer_done_ms;   /* monotonic: when the download ended (TransferComplete delay) */
	char set_cookie[160];        /* the whole Set-Cookie value (cookie-echo) */
	struct digest_challenge_fields *challenge; /* nonce-reuse: the last Digest challenge */
	char interface[24];          /* "host!127.64.0.5" for CURLOPT_INTERFACE, "" when not bound */
	uint32_t occupancy;
	uint32_t bandwidth;
	enum device_phase phase;
	bool bootstrapped;
	bool session_wanted;
	bool connection_requested;
	bool hold_requests;
	char cookie[64];
	uint64_t session_started_ns;
	unsigned int next_id;
	/* a TransferComplete to report */
	bool transfer_pending;
	char *transfer_command_key;
	unsigned int transfer_fault;
	char transfer_start[32], transfer_complete[32];
	/* Download accepted in the session, started when it ends */
	bool download_scheduled, downloading;
	char *download_url, *download_key, *download_name;
	uint64_t download_size;
	bool hashing;                /* this device hashes (see --hash-every) */
	struct sha256_stream *hash;
	uint64_t downloaded;
	char *partial_name; /* image of the partial download kept for Range resume */
	int store_fd;
	CURL *download_easy;
	/* accounting of one image across requests, attempts and re-pointing */
	char *counted_image;
	uint64_t received, discarded, request_start;
	unsigned int requests, range_requests, resumes_in_place, restarts;
	unsigned int attempt_resumes; /* in-place resumes of the current attempt */
	bool cut_done;
	uint64_t attempt_started_ms;
	/* parameters written by the ACS */
	char *master_url, *image_sha256;
	char *image_signature;            /* kept, not checked: the swarm holds no public key */
	char *served_image; /* image name this device can serve */
	/* relaying (file servers given a piece list, relay.c): the list of the
	 * image being received or served, checked pieces, readers in flight */
	char *pieces_digest;          /* X_CASCADE_ImagePiecesSHA256, NULL or "": none */
	char *pieces_image;           /* the image the list below belongs to, NULL: none */
	struct image_pieces pieces;
	char *pieces_text;            /* the list as fetched (served at /d/N/pieces/NAME) */
	size_t pieces_text_length;
	struct sha256_stream *piece_hash; /* the current piece's bytes so far */
	uint64_t verified;            /* bytes of checked pieces from the start */
	bool relaying;                /* serves the image while it receives it */
	struct served_stream *streams; /* its server's responses in flight (serve.c) */
	/* its uplink (--upload-rate) and what it sent */
	uint64_t upload_start_ms, upload_counted, bytes_sent;
	/* timers and session back-off */
	struct device_timer session_timer, download_timer;
	unsigned int session_failures, exchanges;
	uint64_t acknowledged_informs;
};

struct profile_stats {
	unsigned int devices;
	uint64_t downloads_ok, downloads_failed, transfer_completes, drops, restarts, stale_nonces;
	uint64_t *delays_ms; /* download end to TransferComplete acknowledged */
	size_t delay_count, delay_capacity;
};

struct swarm_stats {
	uint64_t sessions, informs, failed_sessions, overloads, http_errors;
	uint64_t rpcs, downloads_ok, downloads_failed, bytes_downloaded, transfer_completes;
	uint64_t connection_requests;
	uint64_t hashed_downloads, unhashed_downloads, bytes_received, bytes_discarded;
	uint64_t range_requests, resumes_in_place, flaky_cuts;
	uint64_t wrong_namespace; /* replies not in the namespace a cwmp-1-0 device speaks */
	uint64_t *latencies_us;
	size_t latency_count, latency_capacity;
	struct profile_stats profiles[PROFILE_COUNT];
};

/* A libcurl multi handle the loop drives. */
struct curl_driver {
	struct swarm *swarm;
	CURLM *multi;
	long timeout_ms; /* monotonic time its timer is due, -1: none */
};

struct swarm {
	struct swarm_options options;
	struct swarm_device *devices;
	int epoll_fd;
	CURLM *multi;        /* downloads and most sessions (drivers[0]) */
	CURLM *kept_multi;   /* sessions that must keep their connection: no cookie (drivers[1]) */
	struct curl_driver drivers[2];
	struct MHD_Daemon *server;
	struct digest_nonces *nonces; /* of the connection-request server, with --cr-username */
	uint16_t server_port;
	char base_url[128]; /* http://HOST:PORT of our server */
	unsigned int sessions_running, downloads_running;
	struct device_timer **heap;  /* two timers per device */
	size_t heap_count;
	struct swarm_device **waiting; /* devices wanting a session slot, FIFO ring */
	size_t waiting_head, waiting_count;
	uint64_t started_ms;
	bool stopping;
	bool server_resumed; /* a suspended connection was resumed: libmicrohttpd must run again */
	unsigned int bootstrapped;
	unsigned int random_state; /* back-off jitter */
	FILE *ack_log;
	FILE *report;
	unsigned int source_addresses;
	struct swarm_stats stats;
};

/* options.c: parses the command line: 0 to run, 1 after --help, --version
 * or --man, -EINVAL after printing why. */
int swarm_parse_options(int argc, char **argv, struct swarm_options *options);

/* loop.c */
int swarm_loop_init(struct swarm *swarm);
int swarm_run(struct swarm *swarm);
void swarm_loop_destroy(struct swarm *swarm);
/* The device's session timer (replacing an earlier due time). */
void swarm_schedule(struct swarm *swarm, struct swarm_device *device, uint64_t due_ms);
void swarm_unschedule(struct swarm *swarm, struct swarm_device *device);
/* Any timer: arm (replacing an earlier due time) or disarm. */
void swarm_timer_arm(struct swarm *swarm, struct device_timer *timer, uint64_t due_ms);
void swarm_timer_disarm(struct swarm *swarm, struct device_timer *timer);

/* session.c */
void swarm_device_want_session(struct swarm *swarm, struct swarm_device *device);
void swarm_device_timer_fired(struct swarm *swarm, struct swarm_device *device);
void swarm_start_waiting_sessions(struct swarm *swarm);
/* Called by the loop when one of our transfers finished. */
void swarm_transfer_finished(struct swarm *swarm, CURL *easy, CURLcode result);

/* parameters.c */
/* Fills parameters for an Inform (or all of them); returns the count. */
size_t swarm_device_parameters(struct swarm *swarm, struct swarm_device *device, bool inform,
			       struct cwmp_parameter_value *parameters, char values[][256], char names[][128],
			       size_t capacity);
/* Answers an ACS request (GPV, GPN, SPV, Download, Reboot, GetRPCMethods)
 * into response; strings live in storage until the next call. */
enum answer_action {
	ANSWER_SEND = 0,  /* post response */
	ANSWER_RAW,       /* post the raw envelope instead */
	ANSWER_DROP,      /* close the connection without answering; call in again later */
	ANSWER_RESTART,   /* the same, as an agent that restarts (next Inform: 1 BOOT) */
};
enum answer_action swarm_device_answer(struct swarm *swarm, struct swarm_device *device,
				       const struct cwmp_message *request, struct cwmp_message *response, char **raw,
				       size_t *raw_length);

/* download.c */
int swarm_download_start(struct swarm *swarm, struct swarm_device *device);
/* The first (or next) image request, once the piece list is in; a failure is reported. */
void swarm_download_request_or_fail(struct swarm *swarm, struct swarm_device *device);
/* Ends the download with fault_code (0: success) and reports it. */
void swarm_download_complete(struct swarm *swarm, struct swarm_device *device, unsigned int fault_code);
void swarm_download_finished(struct swarm *swarm, struct swarm_device *device, CURL *easy, CURLcode result);
/* The download timer fired: resume the cut transfer in place, or a
 * transfer paused by the device's rate. */
void swarm_download_resume_due(struct swarm *swarm, struct swarm_device *device);
/* Where a device keeps image name in --store: "DIR/INDEX-NAME", with
 * ".part" while partial. */
void swarm_image_path(const struct swarm *swarm, const struct swarm_device *device, const char *name, bool partial,
		      char *path, size_t size);

/* addresses.c: gives every device its own source address (CURLOPT_INTERFACE),
 * a block per group, and writes --prefix-file; 0 or -EINVAL. */
int swarm_addresses_assign(struct swarm *swarm);

/* report.c: one JSON line per finished download attempt (--report). */
void swarm_report_download(struct swarm *swarm, const struct swarm_device *device, unsigned int fault_code);

/* profiles.c */
/* Assigns the --profile shares to devices that are not file servers;
 * 0 or -EINVAL (an unknown name, shares over the devices available). */
int swarm_profiles_assign(struct swarm *swarm);
const char *swarm_profile_name(enum swarm_profile profile);
/* A fault envelope with undeclared prefixes (variant picks the shape); malloc'd. */
char *swarm_sloppy_fault_envelope(unsigned int variant, const char *id, unsigned int code, size_t *length);
/* Whether the device sends the session cookie back, and how. */
bool swarm_profile_sends_cookie(const struct swarm *swarm, const struct swarm_device *device);
bool swarm_profile_echoes_cookie(const struct swarm_device *device);
/* The CWMP version the device speaks. */
enum cwmp_version swarm_profile_version(const struct swarm_device *device);

/* server.c */
int swarm_server_start(struct swarm *swarm);
void swarm_server_stop(struct swarm *swarm);
/* An empty answer with status, and a 200 with a copy of text. */
enum MHD_Result swarm_server_reply(struct MHD_Connection *connection, unsigned int status);
enum MHD_Result swarm_server_reply_text(struct MHD_Connection *connection, const char *text, size_t length,
				  const char *content_type);

/* serve.c: a file-server device's images, piece lists and figures. */
enum MHD_Result swarm_serve_image(struct swarm *swarm, struct MHD_Connection *connection, struct swarm_device *device,
			    const char *name);
enum MHD_Result swarm_serve_pieces(struct MHD_Connection *connection, struct swarm_device *device, const char *name);
enum MHD_Result swarm_serve_device_stats(struct MHD_Connection *connection, struct swarm_device *device);
/* The device has new checked bytes (or the whole image): its waiting readers go on. */
void swarm_serve_wake(struct swarm *swarm, struct swarm_device *device);
/* The device threw its partial image away: readers of it are cut. */
void swarm_serve_break(struct swarm *swarm, struct swarm_device *device);
/* A stream's timer fired. */
void swarm_serve_timer_fired(struct swarm *swarm, struct served_stream *stream);
/* Resumes every suspended stream (before the server stops). */
void swarm_serve_resume_all(struct swarm *swarm);

/* relay.c: piece lists and piece checks of file-server devices. */
/* Before a download's first request: 1 when the piece list is being
 * fetched (the request follows), 0 to go on, or a TR-069 fault (> 0). */
int swarm_relay_prepare(struct swarm *swarm, struct swarm_device *device);
/* The piece list's GET ended. */
void swarm_relay_list_finished(struct swarm *swarm, struct swarm_device *device, CURL *easy, CURLcode result);
/* Feeds received bytes (at offset device->downloaded) to the piece check:
 * 0, or -EBADMSG when they complete a bad piece (*bad_piece says which). */
int swarm_relay_received(struct swarm *swarm, struct swarm_device *device, const char *data, size_t bytes,
		   uint32_t *bad_piece);
/* The partial image restarts from byte 0 (discarded or the server ignored Range). */
void swarm_relay_restart(struct swarm *swarm, struct swarm_device *device);
/* Cuts the partial file back to the start of bad_piece, which the piece
 * check refused; 0 or a negative errno. */
int swarm_relay_cut_back(struct swarm *swarm, struct swarm_device *device, uint32_t bad_piece);
/* The device holds the whole image now. */
void swarm_relay_complete(struct swarm *swarm, struct swarm_device *device);

/* stats.c */
void swarm_stats_record_latency(struct swarm_stats *stats, uint64_t microseconds);
/* A TransferComplete the ACS acknowledged delay_ms after the download ended. */
void swarm_stats_record_transfer_complete(struct swarm_stats *stats, enum swarm_profile profile, uint64_t delay_ms);
void swarm_stats_print(const struct swarm *swarm, double seconds);
/* The summary as one JSON line into text; its length or -ENOSPC. */
int swarm_stats_format(const struct swarm *swarm, double seconds, char *text, size_t size);

#endif
