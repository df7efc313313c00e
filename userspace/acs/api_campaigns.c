/* The operator API's campaigns:
 *   GET  /api/campaigns                 POST /api/campaigns (JSON body)
 *   GET  /api/campaigns/ID[?devices=1]  GET  /api/campaigns/ID/report
 *   POST /api/campaigns/ID/pause|resume|cancel
 * A change is made and committed with the controller lock held, so no
 * device session acts on it before it is durable; when the commit fails it
 * is undone (api_undo.h) and answered 500, so the model never holds what the
 * database refused. */
#include "acs/api_http.h"
#include "acs/api_json.h"
#include "acs/api_undo.h"
#include "acs/campaign.h"
#include "acs/campaign_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"

static enum MHD_Result start_campaign(struct controller *controller, struct MHD_Connection *connection,
				      const struct api_request *request)
{
	struct campaign_request wanted = { 0 };
	struct membership_snapshot before;
	struct campaign *campaign = NULL;
	struct store_batch *batch;
	json_error_t json_error;
	json_t *document;
	const char *mode = "url";
	char error[256];
	json_int_t size = 0, fanout = 0, group = 0;
	int result;

	document = api_body_object(request, error, sizeof(error));
	if (!document)
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, error);
	if (json_unpack_ex(document, &json_error, 0, "{s:s, s:s, s:s, s:I, s?s, s?I, s?I, s?s, s?s, s?s}", "image",
			   &wanted.image_name, "origin_url", &wanted.origin_url, "sha256", &wanted.sha256, "size", &size,
			   "mode", &mode, "fanout", &fanout, "group", &group, "selector", &wanted.selector, "signature",
			   &wanted.signature, "pieces_sha256", &wanted.pieces_sha256) < 0) {
		snprintf(error, sizeof(error), "campaign needs image, origin_url, sha256, size (optional mode, fanout, "
					       "group, selector, signature, pieces_sha256): %.120s",
			 json_error.text);
		json_decref(document);
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, error);
	}
	if (campaign_request_rollout_from_json(document, &wanted, error, sizeof(error)) < 0) {
		json_decref(document);
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, error);
	}
	if (strcmp(mode, "url") == 0) {
		wanted.mode = CAMPAIGN_MODE_URL;
	} else if (strcmp(mode, "spv") == 0) {
		wanted.mode = CAMPAIGN_MODE_SPV;
	} else {
		json_decref(document);
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, "mode must be \"url\" or \"spv\"");
	}
	if (size <= 0 || fanout < 0 || fanout > 100000 || group < 0 || group > UINT32_MAX) {
		json_decref(document);
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST,
				   "size must be positive, fanout within 0..100000, group a group id");
	}
	wanted.image_size = (uint64_t)size;
	wanted.fanout = (unsigned int)fanout;
	wanted.group_id = (uint32_t)group;
	batch = store_batch_new();
	if (!batch) {
		json_decref(document);
		return MHD_NO;
	}
	pthread_mutex_lock(&controller->lock);
	if (membership_snapshot_take(controller, &before) < 0) {
		pthread_mutex_unlock(&controller->lock);
		store_batch_free(batch);
		json_decref(document);
		return api_reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	result = campaign_start(controller, &wanted, batch, &campaign, error, sizeof(error));
	json_decref(document);
	if (result < 0) {
		pthread_mutex_unlock(&controller->lock);
		membership_snapshot_free(&before);
		store_batch_free(batch);
		return api_reply_error(connection, result == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST, error);
	}
	result = api_commit_and_wait(controller, batch);
	if (result < 0) {
		api_undo_campaign_start(controller, campaign, &before);
		pthread_mutex_unlock(&controller->lock);
		membership_snapshot_free(&before);
		return api_reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "campaign could not be saved: nothing was started");
	}
	membership_snapshot_free(&before);
	campaign->masters_queued_ms = monotonic_ms() - campaign->started_monotonic_ms;
	batch = store_batch_new();
	if (batch) {
		store_batch_campaign(batch, campaign);
		if (api_commit_and_wait(controller, batch) < 0)
			campaign->masters_queued_ms = 0; /* the figure was not saved: not shown either */
	}
	document = api_campaign_json(controller, campaign, true, false);
	pthread_mutex_unlock(&controller->lock);
	return api_reply_json(connection, MHD_HTTP_CREATED, document);
}

static enum MHD_Result control_campaign(struct controller *controller, struct MHD_Connection *connection,
					uint32_t id, const char *action)
{
	struct store_batch *batch = store_batch_new();
	struct campaign_snapshot before;
	struct campaign *campaign;
	json_t *document = NULL;
	char message[128];
	int result;

	if (!batch)
		return MHD_NO;
	pthread_mutex_lock(&controller->lock);
	campaign = campaign_by_id(controller, id);
	result = !campaign ? -ENOENT : campaign_snapshot_take(campaign, &before);
	if (result == 0) {
		result = campaign_control(controller, campaign, action, batch);
		if (result == 0) {
			int committed = api_commit_and_wait(controller, batch);

			batch = NULL; /* the store's now */
			if (committed < 0) {
				campaign_snapshot_restore(campaign, &before);
				result = -EIO;
			}
		}
		campaign_snapshot_free(&before);
	}
	snprintf(message, sizeof(message), "campaign %u is %s: cannot %s", id,
		 campaign ? campaign_state_name(campaign->state) : "?", action);
	if (result == 0)
		document = api_campaign_json(controller, campaign, false, false);
	pthread_mutex_unlock(&controller->lock);
	store_batch_free(batch);
	if (result == -ENOENT || result == -EINVAL)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND,
				   result == -ENOENT ? "no such campaign" : "no such action");
	if (result == -EALREADY)
		return api_reply_error(connection, MHD_HTTP_CONFLICT, message);
	if (result < 0)
		return api_reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   result == -ENOMEM ? "out of memory"
							   : "change could not be saved: nothing was changed");
	return api_reply_json(connection, MHD_HTTP_OK, document);
}

static enum MHD_Result route_campaign(struct controller *controller, struct MHD_Connection *connection,
				      const char *method, const char *path)
{
	const char *rest;
	uint32_t id;
	json_t *document;
	struct campaign *campaign;
	bool report;

	if (!api_parse_id(path, &id, &rest))
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "campaign id must be a positive number");
	if (*rest == '/' && strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return control_campaign(controller, connection, id, rest + 1);
	report = strcmp(rest, "/report") == 0;
	if ((*rest && !report) || strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such resource");
	pthread_mutex_lock(&controller->lock);
	campaign = campaign_by_id(controller, id);
	if (campaign && report)
		document = campaign_report_json(controller, campaign);
	else if (campaign)
		document = api_campaign_json(controller, campaign, true, api_query_number(connection, "devices", 0) != 0);
	else
		document = NULL;
	pthread_mutex_unlock(&controller->lock);
	if (!campaign)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such campaign");
	return api_reply_json(connection, MHD_HTTP_OK, document);
}


enum MHD_Result api_campaigns_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				    const char *path, const struct api_request *request)
{
	struct controller *controller = server->controller;
	json_t *document;

	if (*path == '/')
		return route_campaign(controller, connection, method, path + 1);
	if (*path)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such resource");
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return start_campaign(controller, connection, request);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return api_reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET or POST");
	pthread_mutex_lock(&controller->lock);
	document = api_campaigns_json(controller);
	pthread_mutex_unlock(&controller->lock);
	return api_reply_json(connection, MHD_HTTP_OK, document);
}
