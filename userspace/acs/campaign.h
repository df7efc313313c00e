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

#endif
