/* Building store batches: each function snapshots one row of the model
 * (device, group, campaign, campaign member, campaign group, fault,
 * transfer) into an operation bound at commit time. */
#include "acs/campaign.h"
#include "acs/store.h"
#include "acs/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

struct store_batch *store_batch_new(void)
{
	return calloc(1, sizeof(struct store_batch));
}

void store_batch_free(struct store_batch *batch)
{
	struct store_operation *operation, *next;

	if (!batch)
		return;
	for (operation = batch->head; operation; operation = next) {
		next = operation->next;
		for (unsigned int i = 0; i < operation->count; i++)
			free(operation->values[i].text);
		free(operation);
	}
	free(batch);
}

bool store_batch_empty(const struct store_batch *batch)
{
	return !batch || !batch->head;
}

bool store_batch_must_wait(const struct store_batch *batch)
{
	return batch && batch->must_wait > 0;
}

static struct store_operation *begin(struct store_batch *batch, enum store_statement statement)
{
	struct store_operation *operation = calloc(1, sizeof(*operation));

	if (!operation) {
		batch->failed = -ENOMEM;
		return NULL;
	}
	operation->statement = statement;
	return operation;
}

static void add_integer(struct store_operation *operation, int64_t value)
{
	operation->values[operation->count++].integer = value;
}

static void add_text(struct store_batch *batch, struct store_operation *operation, const char *value)
{
	struct store_value *slot = &operation->values[operation->count++];

	slot->is_text = true;
	slot->text = strdup(value ? value : "");
	if (!slot->text)
		batch->failed = -ENOMEM;
}

static int finish(struct store_batch *batch, struct store_operation *operation)
{
	if (!operation)
		return -ENOMEM;
	if (operation->statement != SQL_EVENT && operation->statement != SQL_EVENT_TRIM)
		batch->must_wait++;
	if (batch->tail)
		batch->tail->next = operation;
	else
		batch->head = operation;
	batch->tail = operation;
	return batch->failed;
}

static uint64_t hash_bytes(uint64_t hash, const void *data, size_t length)
{
	const unsigned char *bytes = data;

	for (size_t i = 0; i < length; i++) {
		hash ^= bytes[i];
		hash *= 1099511628211ull;
	}
	return hash;
}

static uint64_t hash_text(uint64_t hash, const char *text)
{
	return hash_bytes(hash, text ? text : "", text ? strlen(text) + 1 : 1);
}

uint64_t store_device_hash(const struct device *device)
{
	const char *texts[] = { device->key, device->manufacturer, device->oui, device->product_class,
				device->serial_number, device->hardware_version, device->software_version,
				device->location, device->connection_request_url, device->file_server_url,
				device->root, device->last_fault_string };
	uint64_t numbers[] = { device->file_server_enable, device->cascade_capable, device->attributes_probed,
			       device->has_occupancy, device->cpu_occupancy, device->cache_size, device->bandwidth,
			       device->last_fault_code, device->group ? device->group->id : 0 };
	uint64_t hash = 1469598103934665603ull;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		hash = hash_text(hash, texts[i]);
	hash = hash_bytes(hash, numbers, sizeof(numbers));
	return hash ? hash : 1;
}

int store_batch_device(struct store *store, struct store_batch *batch, struct device *device)
{
	uint64_t hash = store_device_hash(device), failed_commits = store_failed_commits(store);
	struct store_operation *operation;
	bool unchanged = hash == device->row_hash && failed_commits == device->row_failed_commits;

	operation = begin(batch, unchanged ? SQL_DEVICE_SEEN : SQL_DEVICE);
	if (!operation)
		return -ENOMEM;
	device->row_hash = hash;
	device->row_failed_commits = failed_commits;
	add_integer(operation, device->id);
	add_text(batch, operation, device->key);
	add_text(batch, operation, device->manufacturer);
	add_text(batch, operation, device->oui);
	add_text(batch, operation, device->product_class);
	add_text(batch, operation, device->serial_number);
	add_text(batch, operation, device->hardware_version);
	add_text(batch, operation, device->software_version);
	add_text(batch, operation, device->location);
	add_text(batch, operation, device->connection_request_url);
	add_text(batch, operation, device->file_server_url);
	add_text(batch, operation, device->root);
	add_text(batch, operation, device->last_address);
	add_text(batch, operation, device->last_events);
	add_text(batch, operation, device->last_fault_string);
	add_integer(operation, device->file_server_enable);
	add_integer(operation, device->cascade_capable);
	add_integer(operation, device->attributes_probed);
	add_integer(operation, device->has_occupancy);
	add_integer(operation, device->cpu_occupancy);
	add_integer(operation, (int64_t)device->cache_size);
	add_integer(operation, device->bandwidth);
	add_integer(operation, (int64_t)device->last_inform);
	add_integer(operation, (int64_t)device->inform_count);
	add_integer(operation, device->last_fault_code);
	add_integer(operation, device->group ? device->group->id : 0);
	return finish(batch, operation);
}

int store_batch_group(struct store_batch *batch, const struct group *group)
{
	struct store_operation *operation = begin(batch, SQL_GROUP);

	if (!operation)
		return -ENOMEM;
	add_integer(operation, group->id);
	add_text(batch, operation, group->key);
	return finish(batch, operation);
}

int store_batch_campaign(struct store_batch *batch, const struct campaign *campaign)
{
	struct store_operation *operation = begin(batch, SQL_CAMPAIGN);
	char rollout[CAMPAIGN_ROLLOUT_TEXT_SIZE];

	if (!operation)
		return -ENOMEM;
	add_integer(operation, campaign->id);
	add_text(batch, operation, campaign->image_name);
	add_text(batch, operation, campaign->origin_url);
	add_text(batch, operation, campaign->sha256);
	add_text(batch, operation, campaign->selector);
	add_integer(operation, (int64_t)campaign->image_size);
	add_integer(operation, campaign->mode);
	add_integer(operation, campaign->fanout);
	add_integer(operation, campaign->state);
	add_integer(operation, (int64_t)campaign->created_at);
	add_integer(operation, (int64_t)campaign->masters_queued_ms);
	add_text(batch, operation, campaign->signature ? campaign->signature : "");
	add_text(batch, operation, campaign->pieces_sha256 ? campaign->pieces_sha256 : "");
	add_integer(operation, (int64_t)campaign->started_ms);
	add_integer(operation, (int64_t)campaign->finished_ms);
	campaign_rollout_format(campaign, rollout, sizeof(rollout));
	add_text(batch, operation, rollout);
	return finish(batch, operation);
}

int store_batch_member(struct store_batch *batch, const struct campaign *campaign,
		       const struct campaign_member *member)
{
	struct store_operation *operation = begin(batch, SQL_MEMBER);

	if (!operation)
		return -ENOMEM;
	add_integer(operation, campaign->id);
	add_integer(operation, member->device->id);
	add_integer(operation, member->group->group->id);
	add_integer(operation, member->role);
	add_integer(operation, member->state);
	add_integer(operation, member->attempts);
	add_integer(operation, member->fault_code);
	add_integer(operation, member->source_device_id);
	add_integer(operation, member->was_master);
	add_integer(operation, member->origin_downloads);
	return finish(batch, operation);
}

int store_batch_campaign_group(struct store_batch *batch, const struct campaign_group *group)
{
	struct store_operation *operation = begin(batch, SQL_CAMPAIGN_GROUP);
	char bad[4096];
	size_t used = 0;

	if (!operation)
		return -ENOMEM;
	bad[0] = '\0';
	for (size_t i = 0; i < group->bad_master_count && used + 12 < sizeof(bad); i++)
		used += (size_t)snprintf(bad + used, sizeof(bad) - used, "%s%u", i ? "," : "", group->bad_masters[i]);
	add_integer(operation, group->campaign->id);
	add_integer(operation, group->group->id);
	add_integer(operation, group->master ? group->master->device->id : 0);
	add_integer(operation, group->failed_masters);
	add_integer(operation, group->fallback_origin);
	add_text(batch, operation, bad);
	return finish(batch, operation);
}

int store_batch_fault(struct store_batch *batch, uint32_t device_id, uint32_t campaign_id, uint32_t code,
		      const char *string, const char *context)
{
	struct store_operation *operation = begin(batch, SQL_FAULT);

	if (!operation)
		return -ENOMEM;
	add_integer(operation, device_id);
	add_integer(operation, (int64_t)realtime_seconds());
	add_integer(operation, code);
	add_text(batch, operation, string);
	add_text(batch, operation, context);
	add_integer(operation, campaign_id);
	return finish(batch, operation);
}

int store_batch_fault_clear(struct store_batch *batch, const struct fault_filter *filter)
{
	struct store_operation *operation = begin(batch, SQL_FAULT_CLEAR);

	if (!operation)
		return -ENOMEM;
	add_integer(operation, (int64_t)realtime_seconds());
	add_integer(operation, (int64_t)filter->up_to_id);
	add_integer(operation, filter->device_id);
	add_integer(operation, filter->code);
	add_integer(operation, filter->campaign_id);
	add_integer(operation, (int64_t)filter->id);
	return finish(batch, operation);
}

int store_batch_event(struct store_batch *batch, const struct device_event_row *event, unsigned int keep)
{
	struct store_operation *operation = begin(batch, SQL_EVENT);
	int result;

	if (!operation)
		return -ENOMEM;
	add_integer(operation, event->device_id);
	add_integer(operation, (int64_t)event->sequence);
	add_integer(operation, (int64_t)event->at_ms);
	add_integer(operation, event->kind);
	add_integer(operation, event->code);
	add_text(batch, operation, event->detail);
	result = finish(batch, operation);
	if (result < 0 || event->sequence <= keep)
		return result;
	operation = begin(batch, SQL_EVENT_TRIM); /* the one that fell out of the window */
	if (!operation)
		return -ENOMEM;
	add_integer(operation, event->device_id);
	add_integer(operation, (int64_t)(event->sequence - keep));
	return finish(batch, operation);
}

int store_batch_transfer(struct store_batch *batch, uint32_t device_id, const struct cwmp_transfer_complete *transfer)
{
	struct store_operation *operation = begin(batch, SQL_TRANSFER);

	if (!operation)
		return -ENOMEM;
	add_integer(operation, device_id);
	add_text(batch, operation, transfer->command_key);
	add_integer(operation, transfer->fault.code);
	add_text(batch, operation, transfer->fault.string);
	add_text(batch, operation, transfer->start_time);
	add_text(batch, operation, transfer->complete_time);
	add_integer(operation, (int64_t)realtime_seconds());
	return finish(batch, operation);
}
