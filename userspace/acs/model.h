/* The controller's in-memory model: devices, groups, campaigns and CWMP
 * sessions, all guarded by one lock (struct controller.lock). SQLite (see
 * store.h) is the durable copy; the model is rebuilt from it at start. */
#ifndef CASCADE_ACS_MODEL_H
#define CASCADE_ACS_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acs/campaign_waves.h"
#include "acs/config.h"
#include "acs/hashmap.h"
#include "common/digest_auth.h"
#include "cwmp/cwmp.h"

struct group;
struct campaign_member;

/* What a source's file server said about itself (GET FILE_SERVER_URL/-/stats,
 * campaign_sources.c), in memory: its egress to its group and its CPU
 * occupancy, and the rate between the last two readings. */
struct source_measurement {
	uint64_t bytes;           /* egress counter at the last reading (group meter, or body bytes) */
	uint64_t at_ms;           /* monotonic time of the last reading, 0: none */
	uint64_t rate;            /* bytes/s between the last two readings */
	uint64_t window_start_ms; /* when the rate's window began (the reading before) */
	bool has_rate;
	bool has_occupancy;
	uint32_t occupancy;       /* percent x100, from the same reading */
	uint64_t requested_ms;    /* monotonic time the last reading was asked for */
};

struct device {
	uint32_t id;
	char *key; /* OUI-ProductClass-SerialNumber (device_key) */
	char *manufacturer, *oui, *product_class, *serial_number;
	char *hardware_version, *software_version, *location;
	char *connection_request_url, *file_server_url;
	char *root; /* "Device." or "InternetGatewayDevice." */
	char *last_address, *last_events, *last_fault_string;
	bool file_server_enable;
	bool cascade_capable;   /* reported X_CASCADE_ parameters */
	bool checks_pieces;     /* reported X_CASCADE_ImagePiecesSHA256: checks pieces as they arrive */
	bool attributes_probed; /* GetParameterValues fallback ran */
	bool has_occupancy;
	uint32_t cpu_occupancy; /* percent x100 */
	uint64_t cache_size;
	uint32_t bandwidth;
	uint64_t last_inform; /* unix seconds */
	uint64_t inform_count;
	uint32_t last_fault_code;
	uint32_t open_faults; /* faults in the faults table not cleared by an operator */
	uint64_t event_sequence; /* of its newest row in device_events (device_events.h) */
	struct group *group;
	size_t group_index;
	struct campaign_member *member; /* active campaign membership, or NULL */
	uint64_t connection_requested_ms;
	bool connection_request_waiting; /* atomic: a request for it waits in the queue, not sent yet */
	uint64_t row_hash; /* hash of the columns last written in full (see store_batch_device) */
	uint64_t row_failed_commits; /* store_failed_commits(store) when row_hash was taken */
	/* in memory only (docs/interop.md) */
	struct session *session;     /* its open CWMP session, NULL when none */
	unsigned int probe_failures; /* attribute probes faulted or dropped in a row */
	uint64_t probe_retry_at;     /* realtime seconds: no probe before then */
	bool reply_warned;           /* an unreadable reply of it was logged (once) */
	bool spv_refused;            /* faulted an empty-URL Download or its TransferComplete: url mode */
	struct source_measurement measured; /* as a source in a campaign tree (in memory) */
};

struct group {
	uint32_t id;
	char *key; /* policy key, "#N" partition suffix when split */
	struct device *master; /* in memory: the sitting master (election hysteresis), NULL: none yet */
	struct device **devices;
	size_t count, capacity;
};

enum member_state {
	MEMBER_PENDING = 0, /* waiting (slave: for its master) */
	MEMBER_QUEUED,      /* RPCs ready for the device's next session */
	MEMBER_DOWNLOADING, /* Download accepted, TransferComplete awaited */
	MEMBER_DONE,
	MEMBER_FAILED,
	MEMBER_CANCELLED,
	MEMBER_STATE_COUNT
};

enum member_role { ROLE_SLAVE = 0, ROLE_MASTER = 1 };

enum campaign_mode { CAMPAIGN_MODE_URL = 0, CAMPAIGN_MODE_SPV = 1 };

/* Why a running group takes no new dispatches (campaign_gates.c). */
enum group_hold { HOLD_NONE = 0, HOLD_EGRESS, HOLD_OCCUPANCY };

/* halted: an integrity failure (9018/9019) of the origin's image; nothing
 * more is sent until an operator cancels it. */
enum campaign_state { CAMPAIGN_RUNNING = 0, CAMPAIGN_PAUSED, CAMPAIGN_CANCELLED, CAMPAIGN_DONE, CAMPAIGN_HALTED };

/* RPC steps of a queued member, in order. */
enum member_step { STEP_SET_PARAMETERS = 0, STEP_DOWNLOAD, STEP_SENT };

struct campaign_group;

struct campaign_member {
	struct device *device;
	struct campaign_group *group;
	enum member_state state;
	enum member_role role;
	enum member_step step;
	unsigned int attempts;
	uint64_t since_ms; /* monotonic time of the last state change */
	uint32_t fault_code;
	uint32_t source_device_id; /* master this attempt downloads from; 0: origin */
	/* In memory: the master this slave last failed against and how many of
	 * its attempts failed there; refunded if that master is found bad. */
	uint32_t failed_source_id;
	unsigned int failures_against_source;
	bool was_master;
	unsigned int origin_downloads; /* Downloads from the origin it accepted (campaign report) */
	bool plain_download; /* SetParameterValues faulted: Download with the URL */
	unsigned int dispatch; /* in memory, bumped by every dispatch: a response to a replaced one is ignored */
	/* in memory, per dispatch: */
	bool download_url_empty; /* the Download sent was spv mode's empty-URL one */
	bool slot_released;      /* overdue: its fan-out slot went to the next slave */
	unsigned int pokes;      /* connection requests sent because its TransferComplete is overdue */
	uint64_t next_poke_ms;   /* monotonic: the next one is due */
	/* in memory, as a source of the group's tree (campaign_tree.c): */
	size_t group_index;          /* its place in group->members (waves count by it) */
	unsigned int children_limit; /* children it may serve at once (0: not decided yet) */
	uint64_t children_limit_since_ms; /* monotonic: when that limit was set (or it became done) */
	unsigned int children;       /* downloading from it at the last pump */
};

struct campaign_group {
	struct campaign *campaign;
	struct group *group;
	struct campaign_member **members;
	size_t member_count;
	struct campaign_member *master; /* NULL: slaves use the origin */
	unsigned int failed_masters;
	unsigned int serve_failures; /* distinct slaves that failed against the current master */
	bool fallback_origin;
	uint32_t *bad_masters;
	size_t bad_master_count;
	size_t next_pending; /* scan hint */
	unsigned int in_flight;   /* slaves queued or downloading, holding a fan-out slot */
	unsigned int released;    /* slaves still downloading whose slot was released (overdue) */
	/* in memory (campaign_tree.c, campaign_gates.c): */
	unsigned int sources;     /* members serving others now (the master included) */
	unsigned int max_depth;   /* the tree's deepest chain of sources below the master */
	uint64_t egress;          /* bytes/s its sources measured together (fresh readings) */
	enum group_hold hold;     /* why it takes no new dispatch now */
	uint32_t hold_occupancy;  /* the master's occupancy when held for it */
	unsigned int rebalanced;  /* children moved to an idle source in the end game (campaign_tree.c) */
};

struct campaign {
	uint32_t id;
	char *image_name, *origin_url, *sha256, *selector;
	char *signature;             /* base64 Ed25519 over the image statement, "": none */
	char *pieces_sha256;         /* SHA-256 of the image's piece list (cascade-pieces-v1), "": none */
	uint64_t image_size;
	enum campaign_mode mode;
	unsigned int fanout;
	enum campaign_state state;
	uint64_t created_at;         /* unix seconds */
	uint64_t started_ms;         /* unix milliseconds (campaign report) */
	uint64_t finished_ms;        /* unix milliseconds it became done, cancelled or halted; 0: not yet */
	uint64_t masters_queued_ms;  /* start to every master's Download queued and saved */
	uint64_t started_monotonic_ms;
	struct campaign_member *members;
	size_t member_count;
	struct campaign_group *groups;
	size_t group_count;
	size_t counts[MEMBER_STATE_COUNT];
	size_t masters_to_save; /* master rows not yet committed since start */
	enum campaign_sources sources;
	struct campaign_waves waves;
	uint64_t egress_budget;      /* bytes/s a group's sources may send together, 0: no budget */
	/* download times of TransferCompletes that came unprompted (in memory) */
	uint64_t download_ms_total;
	unsigned int download_samples;
};

/* Which request of ours the device's next message answers. */
enum awaiting {
	AWAIT_NOTHING = 0,
	AWAIT_PROBE_VALUES,   /* GPV of the attributes' leaves (or DeviceInfo. in the partial style) */
	AWAIT_PROBE_REQUIRED, /* GPV of the mandatory leaves only, after a fault */
	AWAIT_PROBE_NAMES,    /* GPN of ROOT. next level */
	AWAIT_PROBE_CASCADE,  /* GPV of the X_CASCADE_ names */
	AWAIT_SET_PARAMETERS,
	AWAIT_DOWNLOAD,
};

struct session {
	char token[40];
	struct device *device;
	/* the device the authenticating credentials are bound to (then
	 * device), NULL for a shared credential or no authentication */
	const struct device *bound_device;
	enum cwmp_version version;
	uint64_t last_used_ms;
	unsigned int references; /* open HTTP connections using it */
	unsigned int next_id;
	enum awaiting awaiting;
	unsigned int awaiting_dispatch; /* the campaign member's dispatch the awaited RPC belongs to */
	enum awaiting probe_next; /* the probe request to send next; AWAIT_NOTHING: no probe (left) */
	bool probe_leaves;        /* its first GetParameterValues asks leaf names (partial style: after a fault) */
	bool ended;
	char **cascade_names; /* found by the GPN probe */
	size_t cascade_name_count;
};

struct metrics {
	uint64_t http_requests, informs, sessions, sessions_ended, transfer_completes;
	uint64_t faults_received, faults_sent, overload_rejections, auth_failures;
	uint64_t rpcs_sent, connection_requests, connection_request_failures;
	uint64_t commits, commit_rows;
	uint64_t replies_waiting; /* replies held for a commit right now */
};

struct store;
struct connection_requester;
struct source_poller;
struct credentials;

struct controller {
	pthread_mutex_t lock;
	struct acs_config config;
	struct store *store;
	struct connection_requester *requester;
	struct source_poller *source_poller; /* reads sources' /-/stats (NULL: none, as in unit tests) */
	struct credentials *credentials;
	struct digest_nonces *digest_nonces; /* Digest nonces of the CWMP port (digest mode), NULL otherwise */

	struct hashmap devices_by_key;
	struct device **devices; /* by id - 1 */
	size_t device_count, device_capacity;

	struct hashmap groups_by_key;
	struct group **groups; /* by id - 1 */
	size_t group_count, group_capacity;

	struct campaign **campaigns; /* by id - 1 */
	size_t campaign_count, campaign_capacity;

	struct hashmap sessions;
	size_t open_sessions;

	struct metrics metrics;

	/* hostile clients (docs/security.md); set up by main, NULL in tests */
	struct connection_guard *guard;      /* CWMP request deadlines */
	struct login_limit *cwmp_logins;     /* failed device logins per address */
	struct login_limit *api_logins;      /* failed API tokens per address */
};

/* registry.c */
int controller_init(struct controller *controller, const struct acs_config *config);
void controller_destroy(struct controller *controller);
/* The unambiguous key of a DeviceId: OUI-ProductClass-SerialNumber with
 * '%' and '-' inside a field written %25 and %2D (so ("A-B","X","C") and
 * ("A","B","X-C") differ); without those characters the plain join.
 * Returns 0, or -ENAMETOOLONG when it does not fit in size. */
#define DEVICE_KEY_SIZE 1024
int device_key(const struct cwmp_device_id *identity, char *key, size_t size);
struct device *device_find(struct controller *controller, const char *key);
struct device *device_by_id(struct controller *controller, uint32_t id);
/* Creates a device with identity fields; id 0 assigns the next id. */
struct device *device_create(struct controller *controller, uint32_t id, const struct cwmp_device_id *identity);
/* Replaces *field with a copy of value when different; returns true if changed. */
bool set_text(char **field, const char *value);
/* Applies standard and X_CASCADE_ parameters; returns true if any attribute
 * used by grouping changed. */
bool device_apply_parameters(struct device *device, const struct cwmp_parameter_value *parameters, size_t count);
/* Whether a device's X_CASCADE_FileServer.URL may be stored and handed to
 * slaves: http:// or https:// with a host, no blanks or control characters. */
bool file_server_url_acceptable(const char *url);
/* True when the parameters carry the attributes the controller needs. */
bool parameters_have_attributes(const struct cwmp_parameter_value *parameters, size_t count);
struct group *group_by_id(struct controller *controller, uint32_t id);
struct group *group_find_or_create(struct controller *controller, const char *key, uint32_t id);
void group_add_device(struct group *group, struct device *device);
void group_remove_device(struct device *device);

/* policy.c */
/* The device's group key under the grouping policy (without partition). */
void policy_group_key(const struct acs_config *config, const struct device *device, char *key, size_t size);
/* Places the device in its group (new or existing partition); returns true
 * when its group changed. */
bool policy_assign_group(struct controller *controller, struct device *device);
/* policy_assign_group, and a newly created group recorded in batch. */
struct store_batch;
void device_regroup(struct controller *controller, struct device *device, struct store_batch *batch);
/* Whether device may be a master for an image of image_size bytes. */
bool policy_eligible(const struct acs_config *config, const struct device *device, uint64_t image_size,
		     uint64_t now_seconds);
/* The same, with why not (or "eligible") written into why when not NULL. */
bool policy_check_eligible(const struct acs_config *config, const struct device *device, uint64_t image_size,
			   uint64_t now_seconds, char *why, size_t why_size);
/* Orders two eligible candidates: negative when a is the better master. */
int policy_compare(const struct device *a, const struct device *b);
/* Whether challenger replaces the sitting master (both eligible): better
 * by policy_compare and, with [election] hysteresis H, less busy by H. */
bool policy_displaces(const struct acs_config *config, const struct device *challenger, const struct device *sitting);
/* The master among devices: the best eligible one, unless sitting (may be
 * NULL) is eligible and not displaced by it. NULL when none is eligible. */
struct device *policy_choose(const struct acs_config *config, struct device *const *devices, size_t count,
			     const struct device *sitting, uint64_t image_size, uint64_t now_seconds);
/* policy_choose over the group's devices with its sitting master; the
 * choice becomes the group's master. */
struct device *policy_elect(struct controller *controller, struct group *group, uint64_t image_size);
/* Why candidate (eligible) is or is not master: "elected: ..." or "passed
 * over: ...". runner_up is the best other eligible device (NULL: none);
 * sitting_kept says the master stayed by hysteresis or was sitting. */
void policy_explain(const struct acs_config *config, const struct device *candidate, const struct device *master,
		    const struct device *runner_up, bool sitting_kept, char *why, size_t why_size);

#endif
