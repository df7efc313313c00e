/* Starting and steering campaigns: device selection, per-group master
 * election, pause / resume / cancel, and the RPCs a member's device is sent
 * (SetParameterValues of X_CASCADE_ImageSHA256, X_CASCADE_ImageSignature
 * for a signed campaign, X_CASCADE_ImagePiecesSHA256 for devices that check
 * pieces and, in spv mode, X_CASCADE_MasterURL, then the Download). */
#include "acs/campaign.h"
#include "acs/campaign_cancel.h"
#include "acs/campaign_report.h"
#include "acs/connection_request.h"
#include "acs/device_attributes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/image_signature.h"
#include "common/log.h"

struct campaign *campaign_by_id(struct controller *controller, uint32_t id)
{
	if (id == 0 || id > controller->campaign_count)
		return NULL;
	return controller->campaigns[id - 1];
}

void campaign_free(struct campaign *campaign)
{
	if (!campaign)
		return;
	for (size_t i = 0; i < campaign->group_count; i++) {
		free(campaign->groups[i].members);
		free(campaign->groups[i].bad_masters);
	}
	free(campaign->groups);
	free(campaign->members);
	free(campaign->image_name);
	free(campaign->origin_url);
	free(campaign->sha256);
	free(campaign->selector);
	free(campaign->signature);
	free(campaign->pieces_sha256);
	free(campaign);
}

/* One "field=value" term of a selector matched against a device. */
static int selector_term_matches(const struct device *device, const char *term, bool *matches)
{
	const char *equals = strchr(term, '=');
	const struct device_attribute *attribute;
	const char *value;

	if (!equals || !(attribute = device_attribute_named(term, (size_t)(equals - term))))
		return -EINVAL;
	value = device_attribute_value(device, attribute);
	*matches = value && strcmp(value, equals + 1) == 0;
	return 0;
}

static int selector_matches(const struct device *device, const char *selector, bool *matches)
{
	char copy[1024], *term, *save = NULL;

	*matches = true;
	if (!selector || !*selector)
		return 0;
	if (snprintf(copy, sizeof(copy), "%s", selector) >= (int)sizeof(copy))
		return -EINVAL;
	for (term = strtok_r(copy, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
		bool term_matches;
		int result = selector_term_matches(device, term, &term_matches);

		if (result < 0)
			return result;
		if (!term_matches)
			*matches = false;
	}
	return 0;
}

static bool device_selected(const struct device *device, const struct campaign_request *request)
{
	bool matches;

	if (!device || !device->group || member_active(device->member) || member_running_after_cancel(device->member))
		return false;
	if (request->group_id && device->group->id != request->group_id)
		return false;
	return selector_matches(device, request->selector, &matches) == 0 && matches;
}

static int validate(const struct controller *controller, const struct campaign_request *request, char *error,
		    size_t error_size)
{
	struct device probe = { 0 };
	uint8_t signature[IMAGE_SIGNATURE_BYTES];
	struct campaign_waves waves;
	char why[160];
	bool ignored;

	if (!request->image_name || !*request->image_name || strchr(request->image_name, '/') ||
	    strchr(request->image_name, '?') || strlen(request->image_name) > 200) {
		snprintf(error, error_size, "image name must be a plain file name (no '/' or '?')");
		return -EINVAL;
	}
	if (!request->origin_url || strncmp(request->origin_url, "http", 4) != 0 || strlen(request->origin_url) > 900) {
		snprintf(error, error_size, "origin_url must be an http:// or https:// URL");
		return -EINVAL;
	}
	if (!request->sha256 || strlen(request->sha256) != 64 ||
	    strspn(request->sha256, "0123456789abcdefABCDEF") != 64) {
		snprintf(error, error_size, "sha256 must be 64 hex digits");
		return -EINVAL;
	}
	if (request->pieces_sha256 && request->pieces_sha256[0] &&
	    (strlen(request->pieces_sha256) != 64 || strspn(request->pieces_sha256, "0123456789abcdefABCDEF") != 64)) {
		snprintf(error, error_size, "pieces_sha256 must be 64 hex digits (the SHA-256 of the piece list)");
		return -EINVAL;
	}
	if (request->image_size == 0) {
		snprintf(error, error_size, "size must be a positive number of bytes");
		return -EINVAL;
	}
	if (request->signature && request->signature[0] && image_signature_decode(request->signature, signature) != 0) {
		snprintf(error, error_size, "signature must be the %d base64 characters cascadectl sign prints",
			 IMAGE_SIGNATURE_BASE64_LENGTH);
		return -EINVAL;
	}
	if (request->group_id && !group_by_id((struct controller *)controller, request->group_id)) {
		snprintf(error, error_size, "no group %u", request->group_id);
		return -ENOENT;
	}
	if (request->waves && campaign_waves_parse(request->waves, &waves, why, sizeof(why)) < 0) {
		snprintf(error, error_size, "waves: %s", why);
		return -EINVAL;
	}
	if ((request->has_wave_success && request->wave_success_percent > 100) ||
	    (request->has_wave_error && (request->wave_error_percent < 1 || request->wave_error_percent > 100))) {
		snprintf(error, error_size, "wave thresholds are percentages: success 0..100, error 1..100");
		return -EINVAL;
	}
	if (request->sources != SOURCES_DEFAULT && request->sources != SOURCES_TREE &&
	    request->sources != SOURCES_MASTER) {
		snprintf(error, error_size, "sources must be tree or master");
		return -EINVAL;
	}
	if (selector_matches(&probe, request->selector, &ignored) < 0) {
		snprintf(error, error_size,
			 "selector must be field=value[,field=value] over manufacturer, oui, product_class, "
			 "hardware_version, software_version, location");
		return -EINVAL;
	}
	return 0;
}

static int build_members(struct controller *controller, struct campaign *campaign,
			 const struct campaign_request *request)
{
	size_t selected = 0, group_slots = controller->group_count + 1;
	int32_t *group_index = malloc(group_slots * sizeof(*group_index));
	size_t *group_sizes;

	if (!group_index)
		return -ENOMEM;
	memset(group_index, 0xff, group_slots * sizeof(*group_index));
	for (size_t i = 0; i < controller->device_count; i++) {
		struct device *device = controller->devices[i];

		if (!device_selected(device, request))
			continue;
		selected++;
		if (group_index[device->group->id] < 0)
			group_index[device->group->id] = (int32_t)campaign->group_count++;
	}
	campaign->members = calloc(selected ? selected : 1, sizeof(*campaign->members));
	campaign->groups = calloc(campaign->group_count ? campaign->group_count : 1, sizeof(*campaign->groups));
	group_sizes = calloc(campaign->group_count ? campaign->group_count : 1, sizeof(*group_sizes));
	if (!campaign->members || !campaign->groups || !group_sizes) {
		free(group_sizes);
		free(group_index);
		return -ENOMEM;
	}
	for (size_t i = 0; i < controller->device_count; i++) {
		struct device *device = controller->devices[i];

		if (device_selected(device, request))
			group_sizes[group_index[device->group->id]]++;
	}
	for (size_t g = 0; g < campaign->group_count; g++) {
		campaign->groups[g].campaign = campaign;
		campaign->groups[g].members = calloc(group_sizes[g] ? group_sizes[g] : 1, sizeof(struct campaign_member *));
		if (!campaign->groups[g].members) {
			free(group_sizes);
			free(group_index);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < controller->device_count; i++) {
		struct device *device = controller->devices[i];
		struct campaign_member *member;
		struct campaign_group *group;

		if (!device_selected(device, request))
			continue;
		group = &campaign->groups[group_index[device->group->id]];
		group->group = device->group;
		member = &campaign->members[campaign->member_count++];
		member->device = device;
		member->group = group;
		member->state = MEMBER_PENDING;
		member->since_ms = monotonic_ms();
		member->group_index = group->member_count;
		group->members[group->member_count++] = member;
		device->member = member;
	}
	campaign->counts[MEMBER_PENDING] = campaign->member_count;
	free(group_sizes);
	free(group_index);
	return 0;
}

/* Sources, waves and egress budget: the request's, else the configured ones. */
static void set_rollout_policy(const struct controller *controller, struct campaign *campaign,
			       const struct campaign_request *request)
{
	const struct acs_config *config = &controller->config;
	char why[160];

	campaign->sources = request->sources != SOURCES_DEFAULT ? request->sources
				: config->campaign_sources == SOURCES_MASTER ? SOURCES_MASTER
									     : SOURCES_TREE;
	if (campaign_waves_parse(request->waves ? request->waves : config->waves, &campaign->waves, why, sizeof(why)) < 0)
		campaign->waves.count = 0; /* validated before */
	campaign->waves.success_bp = 100 * (request->has_wave_success ? request->wave_success_percent
								      : config->wave_success_percent);
	campaign->waves.error_bp = 100 * (request->has_wave_error ? request->wave_error_percent
								  : config->wave_error_percent);
	campaign->waves.open = 1;
	campaign->egress_budget = request->has_egress_budget ? request->egress_budget : config->egress_budget;
}

static int add_campaign(struct controller *controller, struct campaign *campaign)
{
	if (controller->campaign_count == controller->campaign_capacity) {
		size_t wanted = controller->campaign_capacity ? controller->campaign_capacity * 2 : 16;
		struct campaign **bigger = realloc(controller->campaigns, wanted * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		controller->campaigns = bigger;
		controller->campaign_capacity = wanted;
	}
	controller->campaigns[controller->campaign_count++] = campaign;
	return 0;
}

int campaign_start(struct controller *controller, const struct campaign_request *request, struct store_batch *batch,
		   struct campaign **result, char *error, size_t error_size)
{
	struct campaign *campaign;
	int status = validate(controller, request, error, error_size);

	*result = NULL;
	if (status < 0)
		return status;
	campaign = calloc(1, sizeof(*campaign));
	if (!campaign)
		return -ENOMEM;
	campaign->id = (uint32_t)controller->campaign_count + 1;
	campaign->image_name = strdup(request->image_name);
	campaign->origin_url = strdup(request->origin_url);
	campaign->sha256 = strdup(request->sha256);
	campaign->selector = strdup(request->selector ? request->selector : "");
	campaign->signature = strdup(request->signature ? request->signature : "");
	campaign->pieces_sha256 = strdup(request->pieces_sha256 ? request->pieces_sha256 : "");
	campaign->image_size = request->image_size;
	campaign->mode = request->mode;
	campaign->fanout = request->fanout ? request->fanout : controller->config.default_fanout;
	campaign->state = CAMPAIGN_RUNNING;
	set_rollout_policy(controller, campaign, request);
	campaign->created_at = realtime_seconds();
	campaign->started_ms = campaign_clock_ms();
	campaign->started_monotonic_ms = monotonic_ms();
	for (char *c = campaign->sha256; c && *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	for (char *c = campaign->pieces_sha256; c && *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	if (!campaign->image_name || !campaign->origin_url || !campaign->sha256 || !campaign->selector ||
	    !campaign->signature || !campaign->pieces_sha256 || build_members(controller, campaign, request) < 0 || add_campaign(controller, campaign) < 0) {
		for (size_t i = 0; i < campaign->member_count; i++)
			campaign->members[i].device->member = NULL;
		campaign_free(campaign);
		snprintf(error, error_size, "out of memory");
		return -ENOMEM;
	}
	if (campaign->member_count == 0) {
		campaign->state = CAMPAIGN_DONE;
		campaign->finished_ms = campaign->started_ms;
	}
	store_batch_campaign(batch, campaign);
	/* Masters first: every group's master gets its Download queued now. */
	for (size_t g = 0; g < campaign->group_count; g++) {
		struct campaign_group *group = &campaign->groups[g];
		struct campaign_member *master = campaign_elect(controller, group);

		if (master) {
			master->role = ROLE_MASTER;
			master->was_master = true;
			group->master = master;
			member_dispatch(controller, master, batch);
			campaign->masters_to_save++;
		} else {
			group->fallback_origin = true;
		}
		store_batch_campaign_group(batch, group);
	}
	for (size_t i = 0; i < campaign->member_count; i++)
		if (campaign->members[i].role == ROLE_SLAVE)
			store_batch_member(batch, campaign, &campaign->members[i]);
	for (size_t g = 0; g < campaign->group_count; g++)
		group_pump(controller, &campaign->groups[g], batch);
	{
		char waves[160];

		campaign_waves_format(&campaign->waves, waves, sizeof(waves));
		log_info("campaign %u started: %s, %zu devices in %zu groups, mode %s, fan-out %u, sources %s%s%s",
			 campaign->id, campaign->image_name, campaign->member_count, campaign->group_count,
			 campaign_mode_name(campaign->mode), campaign->fanout, campaign_sources_name(campaign->sources),
			 waves[0] ? ", waves " : "", waves);
	}
	*result = campaign;
	return 0;
}

int campaign_control(struct controller *controller, struct campaign *campaign, const char *action,
		     struct store_batch *batch)
{
	if (strcmp(action, "pause") == 0) {
		if (campaign->state != CAMPAIGN_RUNNING)
			return -EALREADY;
		campaign->state = CAMPAIGN_PAUSED;
	} else if (strcmp(action, "resume") == 0) {
		if (campaign->state != CAMPAIGN_PAUSED)
			return -EALREADY;
		campaign->state = CAMPAIGN_RUNNING;
		for (size_t i = 0; i < campaign->member_count; i++)
			if (campaign->members[i].state == MEMBER_QUEUED)
				connection_request(controller, campaign->members[i].device);
		for (size_t g = 0; g < campaign->group_count; g++)
			group_pump(controller, &campaign->groups[g], batch);
	} else if (strcmp(action, "cancel") == 0) {
		if (campaign->state == CAMPAIGN_CANCELLED || campaign->state == CAMPAIGN_DONE)
			return -EALREADY;
		campaign_cancel(controller, campaign, batch);
	} else {
		return -EINVAL;
	}
	log_info("campaign %u: %s", campaign->id, campaign_state_name(campaign->state));
	store_batch_campaign(batch, campaign);
	campaign_check_done(controller, campaign, batch);
	return 0;
}

/* The URL this member downloads from now. */
static void member_url(struct controller *controller, const struct campaign_member *member, char *url, size_t size)
{
	struct campaign *campaign = member->group->campaign;
	struct device *source = member->source_device_id ? device_by_id(controller, member->source_device_id) : NULL;
	size_t base_length;

	if (!source || !source->file_server_url || !*source->file_server_url) {
		snprintf(url, size, "%s", campaign->origin_url);
		return;
	}
	base_length = strlen(source->file_server_url);
	while (base_length && source->file_server_url[base_length - 1] == '/')
		base_length--;
	snprintf(url, size, "%.*s/images/%s?group=%u", (int)base_length, source->file_server_url, campaign->image_name,
		 member->group->group->id);
}

/* Whether a slave's Download goes by X_CASCADE_MasterURL and an empty URL. */
static bool member_uses_spv(const struct campaign_member *member)
{
	const struct device *device = member->device;

	return member->group->campaign->mode == CAMPAIGN_MODE_SPV && member->role == ROLE_SLAVE &&
	       device->cascade_capable && !member->plain_download && !device->spv_refused;
}

const char *campaign_sources_name(enum campaign_sources sources)
{
	return sources == SOURCES_MASTER ? "master" : "tree";
}

const char *member_mode_name(const struct campaign_member *member)
{
	return member_uses_spv(member) ? "spv" : "url";
}

/* A master that reported an integrity failure of the origin's image. */
static bool integrity_failure(const struct campaign_member *member)
{
	return member->state == MEMBER_FAILED && member->role == ROLE_MASTER && member->source_device_id == 0 &&
	       (member->fault_code == 9018 || member->fault_code == 9019);
}

void campaign_halt_reason(const struct campaign *campaign, char *text, size_t size,
			  void (*visit)(const struct campaign_member *member, void *context), void *context)
{
	unsigned int count = 0, code = 0;

	for (size_t i = 0; i < campaign->member_count; i++) {
		if (!integrity_failure(&campaign->members[i]))
			continue;
		count++;
		code = campaign->members[i].fault_code;
		if (visit)
			visit(&campaign->members[i], context);
	}
	if (count)
		snprintf(text, size, "integrity failure: the origin's image was refused with fault %u (%s) by %u device%s",
			 code, cwmp_fault_string(code), count, count == 1 ? "" : "s");
	else if (campaign_waves_halted(campaign))
		campaign_waves_reason(campaign, text, size);
	else
		snprintf(text, size, "integrity failure");
}

enum awaiting campaign_next_rpc(struct controller *controller, struct device *device, struct cwmp_message *message,
				struct rpc_scratch *scratch)
{
	struct campaign_member *member = device->member;
	struct campaign *campaign;
	bool spv;

	if (!member_active(member) || member->state != MEMBER_QUEUED || member->step == STEP_SENT)
		return AWAIT_NOTHING;
	campaign = member->group->campaign;
	if (campaign->state != CAMPAIGN_RUNNING)
		return AWAIT_NOTHING;
	member_url(controller, member, scratch->url, sizeof(scratch->url));
	spv = member_uses_spv(member);
	snprintf(scratch->command_key, sizeof(scratch->command_key), CAMPAIGN_COMMAND_KEY_FORMAT, campaign->id,
		 device->id, member->attempts, member->source_device_id);
	if (member->step == STEP_SET_PARAMETERS) {
		size_t count = 0;

		snprintf(scratch->names[0], sizeof(scratch->names[0]), "%sX_CASCADE_ImageSHA256", device->root);
		scratch->parameters[count++] = (struct cwmp_parameter_value){ scratch->names[0], campaign->sha256,
									      "xsd:string" };
		if (spv) {
			snprintf(scratch->names[1], sizeof(scratch->names[1]), "%sX_CASCADE_MasterURL", device->root);
			scratch->parameters[count++] = (struct cwmp_parameter_value){ scratch->names[1], scratch->url,
										      "xsd:string" };
		}
		if (campaign->signature && campaign->signature[0]) {
			snprintf(scratch->names[2], sizeof(scratch->names[2]), "%sX_CASCADE_ImageSignature",
				 device->root);
			scratch->parameters[count++] = (struct cwmp_parameter_value){ scratch->names[2],
										      campaign->signature, "xsd:string" };
		}
		/* Always to a device that knows it: "" clears an older campaign's. */
		if (device->checks_pieces) {
			snprintf(scratch->names[3], sizeof(scratch->names[3]), "%sX_CASCADE_ImagePiecesSHA256",
				 device->root);
			scratch->parameters[count++] = (struct cwmp_parameter_value){
				scratch->names[3], campaign->pieces_sha256 ? campaign->pieces_sha256 : "", "xsd:string"
			};
		}
		message->type = CWMP_SET_PARAMETER_VALUES;
		message->body.set_parameter_values.parameters = scratch->parameters;
		message->body.set_parameter_values.parameter_count = count;
		message->body.set_parameter_values.parameter_key = scratch->command_key;
		return AWAIT_SET_PARAMETERS;
	}
	message->type = CWMP_DOWNLOAD;
	message->body.download = (struct cwmp_download){
		.command_key = scratch->command_key,
		.file_type = CWMP_FILE_TYPE_FIRMWARE,
		.url = spv ? "" : scratch->url,
		.username = "",
		.password = "",
		.file_size = campaign->image_size,
		.target_file_name = campaign->image_name,
		.delay_seconds = 0,
		.success_url = "",
		.failure_url = "",
	};
	member->step = STEP_SENT;
	member->download_url_empty = spv;
	return AWAIT_DOWNLOAD;
}
