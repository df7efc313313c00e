/* Campaigns: selecting devices, electing a master per group, sending
 * masters the origin URL and slaves their master's URL (mode url: in the
 * Download; mode spv: SetParameterValues X_CASCADE_MasterURL then a Download
 * with an empty URL, url mode for a device that faults it), fan-out caps,
 * connection requests for overdue TransferCompletes, failover (a master is
 * blamed only for TransferComplete faults of slaves it was serving), a halt
 * when a master refuses the origin's image (9018/9019), pause/resume/cancel. Every
 * function runs with the controller lock held and adds the rows it changes
 * to the given batch. */
#ifndef CASCADE_ACS_CAMPAIGN_H
#define CASCADE_ACS_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "acs/model.h"
#include "acs/store.h"

struct campaign_request {
	const char *image_name;
	const char *origin_url;
	const char *sha256; /* 64 hex digits */
	uint64_t image_size;
	enum campaign_mode mode;
	unsigned int fanout;   /* 0: the configured default */
	uint32_t group_id;     /* 0: any group */
	const char *selector;  /* "field=value,..." over manufacturer, oui, product_class,
				  hardware_version, software_version, location; NULL or "": all */
	const char *signature; /* cascadectl sign's base64 Ed25519 signature, NULL or "": none;
				  sent to cascade devices as X_CASCADE_ImageSignature */
	const char *pieces_sha256; /* SHA-256 of the image's piece list, NULL or "": none; sent as
				      X_CASCADE_ImagePiecesSHA256 to devices that report it */
	/* Left zero, the fields below take their [campaign] settings. */
	enum campaign_sources sources;
	const char *waves;                   /* "5%,25%,100%", "": one wave */
	bool has_wave_success, has_wave_error, has_egress_budget;
	unsigned int wave_success_percent;   /* 0..100 */
	unsigned int wave_error_percent;     /* 1..100 */
	uint64_t egress_budget;              /* bytes/s per group, 0: none */
};

/* The key of a campaign's RPC (Download CommandKey, SetParameterValues
 * ParameterKey): campaign id, device id, attempt, source device id. The
 * device echoes it in TransferComplete, where sscanf reads it back. */
#define CAMPAIGN_COMMAND_KEY_FORMAT "cascade-c%u-d%u-a%u-s%u"

/* Storage for the strings of one RPC built by campaign_next_rpc. */
struct rpc_scratch {
	char url[1024];
	char command_key[64];
	char names[4][160];
	struct cwmp_parameter_value parameters[4];
};

const char *member_state_name(enum member_state state);
const char *campaign_state_name(enum campaign_state state);
const char *campaign_mode_name(enum campaign_mode mode);
const char *campaign_sources_name(enum campaign_sources sources);
/* "spv" when the member's slave Download goes by X_CASCADE_MasterURL, else "url". */
const char *member_mode_name(const struct campaign_member *member);
/* Why a halted campaign stopped (the fault and how many devices reported
 * it); visit, when not NULL, is called for each of those devices. */
void campaign_halt_reason(const struct campaign *campaign, char *text, size_t size,
			  void (*visit)(const struct campaign_member *member, void *context), void *context);

struct campaign *campaign_by_id(struct controller *controller, uint32_t id);
void campaign_free(struct campaign *campaign);

/* Creates and starts a campaign. On failure returns a negative errno and
 * writes why into error. */
int campaign_start(struct controller *controller, const struct campaign_request *request, struct store_batch *batch,
		   struct campaign **campaign, char *error, size_t error_size);
/* "pause", "resume" or "cancel"; -EINVAL for another word, -EALREADY when
 * the campaign's state does not allow it. */
int campaign_control(struct controller *controller, struct campaign *campaign, const char *action,
		     struct store_batch *batch);

/* The next RPC the device's campaign membership wants sent, built into
 * message (strings in scratch); returns the awaiting kind, or
 * AWAIT_NOTHING. */
enum awaiting campaign_next_rpc(struct controller *controller, struct device *device, struct cwmp_message *message,
				struct rpc_scratch *scratch);
void campaign_on_set_parameters_done(struct controller *controller, struct device *device, bool fault,
				     struct store_batch *batch);
void campaign_on_download_response(struct controller *controller, struct device *device, int status,
				   struct store_batch *batch);
void campaign_on_download_fault(struct controller *controller, struct device *device, uint32_t code,
				struct store_batch *batch);
void campaign_on_transfer_complete(struct controller *controller, struct device *device,
				   const struct cwmp_transfer_complete *transfer, struct store_batch *batch);
/* The session ended before the device answered `awaited` of member
 * dispatch `dispatch`: the RPC goes again in its next session. */
void campaign_on_session_dropped(struct controller *controller, struct device *device, enum awaiting awaited,
				 unsigned int dispatch);
/* Called after an Inform updated the device's attributes. */
void campaign_on_inform(struct controller *controller, struct device *device, struct store_batch *batch);
/* Stalls, disappearances, connection-request retries, overdue
 * TransferCompletes, completion. */
void campaign_tick(struct controller *controller, struct store_batch *batch);

/* campaign_members.c: state changes and dispatch shared by the above. */
void member_set_state(struct campaign *campaign, struct campaign_member *member, enum member_state state,
		      struct store_batch *batch);
void member_dispatch(struct controller *controller, struct campaign_member *member, struct store_batch *batch);
void group_pump(struct controller *controller, struct campaign_group *group, struct store_batch *batch);
/* An overdue slave gives its fan-out slot to the next one. */
void member_release_slot(struct campaign_member *member);
void master_failed(struct controller *controller, struct campaign_group *group, const char *reason,
		   struct store_batch *batch);
bool member_active(const struct campaign_member *member);
/* Elects a new master for the group (not a bad one); NULL when none. */
struct campaign_member *campaign_elect(struct controller *controller, struct campaign_group *group);
void campaign_check_done(struct controller *controller, struct campaign *campaign, struct store_batch *batch);
/* member_dispatch with its source chosen: device id source_device_id (0: the origin). */
void member_dispatch_from(struct controller *controller, struct campaign_member *member, uint32_t source_device_id,
			  struct store_batch *batch);

/* campaign_tree.c: the group's tree of sources. */
struct source_figures {
	bool receiving;             /* not done yet: relays what it receives */
	unsigned int children;      /* downloading from it now */
	unsigned int current_limit; /* its limit so far (0: none yet) */
	uint64_t capacity;          /* bytes/s it may send (its X_CASCADE_Bandwidth), 0: unknown */
	uint64_t egress;            /* bytes/s measured over a window in which these children all ran */
	bool egress_valid;
	bool over_occupancy;        /* CPU occupancy over [campaign] source-max-occupancy */
};
/* How many children a source may serve at once: relay_fanout while it
 * receives; the fan-out when its capacity is unknown; otherwise what its
 * measured egress per child says fills 85% of its capacity (at most twice
 * the children it has, per measurement; no more once 60% of it is used:
 * readings are noisy); the children it has while it is over the occupancy
 * limit. Within 1..fanout. */
unsigned int tree_children_limit(const struct source_figures *figures, unsigned int fanout, unsigned int relay_fanout);
/* Dispatches the group's pending slaves of the open waves to sources with
 * a free slot, file servers first. */
void tree_pump(struct controller *controller, struct campaign_group *group, struct store_batch *batch);
/* A slave's download from a relay (a source other than the master) failed
 * with code: true when the relay left the tree for it (bad bytes, 9018 or
 * 9019; or gone: 9015, 9016, or 9017 once the relay held the whole image);
 * the slave is then pending again, its attempt refunded. */
bool tree_relay_fault(struct controller *controller, struct campaign_member *member, uint32_t code,
		      struct store_batch *batch);
/* Whether device_id failed as a source of the group (master or relay). */
bool campaign_bad_source(const struct campaign_group *group, uint32_t device_id);
/* A source's CPU occupancy (its fresh /-/stats reading, else its Inform)
 * and its measured egress (fresh readings only); false when unknown. */
bool source_occupancy(const struct controller *controller, const struct device *device, uint64_t now_ms,
		      uint32_t *occupancy);
bool source_egress(const struct controller *controller, const struct device *device, uint64_t now_ms, uint64_t *rate);

/* campaign_waves.c (and campaign_waves.h) */
/* Whether the member's wave is open. */
bool campaign_wave_allows(const struct campaign_member *member);
/* Opens the next waves the thresholds allow, or halts the campaign. */
void campaign_waves_update(struct controller *controller, struct campaign *campaign, struct store_batch *batch);
/* Whether the waves' thresholds halted the campaign, and why. */
bool campaign_waves_halted(const struct campaign *campaign);
void campaign_waves_reason(const struct campaign *campaign, char *text, size_t size);

/* campaign_gates.c: dispatch held by what the meters measure. */
/* The occupancy (percent x100) over which a source takes no new child and
 * a master holds its group: [campaign] source-max-occupancy, or when 0 the
 * election's max-occupancy. */
unsigned int campaign_occupancy_limit(const struct acs_config *config);
/* Sums the group's sources' egress and decides group->hold. */
void group_gate_update(struct controller *controller, struct campaign_group *group, uint64_t now_ms);
/* Records a reading of a source's /-/stats: its egress counter and, when
 * has_occupancy, its CPU occupancy. */
void source_measurement_record(struct device *device, uint64_t bytes, bool has_occupancy, uint32_t occupancy,
			       uint64_t now_ms);
/* Asks the source poller for the readings the tick wants (every serving
 * source, each poll interval). */
void campaign_request_readings(struct controller *controller, struct campaign *campaign, uint64_t now_ms);

/* source_poller.c: reads sources' /-/stats in a thread of its own. */
int source_poller_start(struct controller *controller);
void source_poller_stop(struct controller *controller);
/* Queues a reading of device's FILE_SERVER_URL/-/stats (counting group_id's bytes). */
void source_poller_request(struct controller *controller, struct device *device, uint32_t group_id);

/* campaign_rollout.c: the rollout policy as text (database) and JSON (API). */
#define CAMPAIGN_ROLLOUT_TEXT_SIZE 256
void campaign_rollout_format(const struct campaign *campaign, char *text, size_t size);
/* Reads what campaign_rollout_format wrote; "" (older databases): the
 * master alone, one wave, no budget. */
void campaign_rollout_parse(struct campaign *campaign, const char *text);
json_t *campaign_rollout_json(const struct campaign *campaign);
/* The optional "sources", "waves", "wave_success_threshold",
 * "wave_error_threshold" and "egress_budget" of a POST /api/campaigns body
 * into request (strings stay in document). 0, or -EINVAL with why. */
int campaign_request_rollout_from_json(json_t *document, struct campaign_request *request, char *why,
				       size_t why_size);
json_t *campaign_group_rollout_json(const struct campaign_group *group);

#endif
