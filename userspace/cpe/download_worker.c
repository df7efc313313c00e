/* The download worker thread (see download_worker.h). */
#include "cpe/download_worker.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/sha256.h"
#include "cpe/data_model.h"
#include "cpe/download_fetch.h"
#include "cpe/download_install.h"
#include "cpe/download_pieces.h"
#include "cpe/download_relay.h"
#include "cpe/faults.h"
#include "cpe/signature.h"

#define STALE_PARTIAL_SECONDS (24 * 3600)

/* The running fetch stops at a shutdown, and when a newer Download of the
 * same image superseded it (the ACS moved this device to another source). */
static bool cancelled(void *context)
{
	return download_queue_stopping_or_superseded(context);
}

/* The file at path hashes to request->sha256. */
static bool file_matches_request(const char *path, const struct download_request *request)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1];

	if (sha256_file(path, digest, NULL) < 0)
		return false;
	sha256_to_hex(digest, hex);
	return strcasecmp(hex, request->sha256) == 0;
}

/* An image with this hash already installed and still intact. */
static bool already_installed(struct download_worker *worker, const struct download_request *request, bool publish,
			      char *path, size_t size)
{
	if (!request->sha256[0] || !agent_state_find_image(worker->state, request->sha256, path, size))
		return false;
	if (publish && strncmp(path, worker->config->image_dir, strlen(worker->config->image_dir)) != 0)
		return false;
	return file_matches_request(path, request);
}

/* A slave's verified image already placed by an earlier attempt whose
 * install command failed: worth installing again, not fetching again. */
static bool already_placed(struct download_worker *worker, const struct download_request *request, char *path,
			   size_t size)
{
	if (!request->sha256[0] ||
	    snprintf(path, size, "%s/images/%s", worker->config->data_dir, request->target_name) >= (int)size)
		return false;
	return file_matches_request(path, request);
}

/* path is one of a queued request's files: its partial file, progress
 * record or piece list, in the data folder or (relayed) in .partial. */
static bool belongs_to_queued(const struct cpe_config *config, const struct download_request *queued, size_t count,
			      const char *path)
{
	char partial[CPE_PATH_MAX + 300], progress[CPE_PATH_MAX + 128], list[CPE_PATH_MAX + 300];

	for (size_t i = 0; i < count; i++) {
		if (download_partial_paths(config->data_dir, &queued[i], partial, sizeof(partial), progress,
					   sizeof(progress)) == 0) {
			snprintf(list, sizeof(list), "%.*s.pieces", (int)(strlen(partial) - strlen(".part")), partial);
			if (strcmp(path, partial) == 0 || strcmp(path, progress) == 0 || strcmp(path, list) == 0)
				return true;
		}
		if (config->image_dir[0] &&
		    download_relay_paths(config, &queued[i], partial, sizeof(partial), list, sizeof(list)) == 0 &&
		    (strcmp(path, partial) == 0 || strcmp(path, list) == 0))
			return true;
	}
	return false;
}

static void remove_stale_in(struct download_worker *worker, const char *folder,
			    const struct download_request *queued, size_t queued_count)
{
	char path[CPE_PATH_MAX + 300];
	time_t now = time(NULL);
	struct dirent *entry;
	struct stat status;
	DIR *directory = opendir(folder);
	unsigned int seen = 0;

	if (!directory)
		return;
	while ((entry = readdir(directory)) && seen++ < 10000) {
		if (entry->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", folder, entry->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &status) == 0 && S_ISREG(status.st_mode) && now - status.st_mtime > STALE_PARTIAL_SECONDS &&
		    !belongs_to_queued(worker->config, queued, queued_count, path)) {
			log_info("removing stale partial download %s", path);
			unlink(path);
		}
	}
	closedir(directory);
}

void download_worker_remove_stale_partials(struct download_worker *worker)
{
	char folder[CPE_PATH_MAX + 16];
	struct download_request queued[DOWNLOAD_QUEUE_MAX];
	size_t queued_count = download_queue_list(worker->queue, queued);

	snprintf(folder, sizeof(folder), "%s/downloads", worker->config->data_dir);
	remove_stale_in(worker, folder, queued, queued_count);
	if (worker->config->image_dir[0]) {
		snprintf(folder, sizeof(folder), "%s/%s", worker->config->image_dir, RELAY_PARTIAL_FOLDER);
		remove_stale_in(worker, folder, queued, queued_count);
	}
}

static void fill_fault(struct transfer_record *record, unsigned int code, const char *why)
{
	record->fault_code = code;
	snprintf(record->fault_string, sizeof(record->fault_string), "%s", code ? why : "");
}

/* Where this download's bytes go and whether its pieces are checked (and
 * relayed by the local cascade-master) on the way. */
struct fetch_plan {
	char partial[CPE_PATH_MAX + 300];
	char progress[CPE_PATH_MAX + 128];
	struct image_pieces pieces;
	bool checking;                   /* pieces checked as they arrive */
	char *list;                      /* the list's text (relaying only) */
	size_t list_length;
	bool relaying;                   /* partial in IMAGE_DIR/.partial, announced */
	char announced_list[CPE_PATH_MAX + 300];
};

static void plan_free(struct fetch_plan *plan)
{
	image_pieces_free(&plan->pieces);
	free(plan->list);
	plan->list = NULL;
}

/* Drops the partial file (and its announcement): it is of no use. */
static void discard_partial(const struct fetch_plan *plan)
{
	if (plan->relaying)
		download_relay_withdraw(plan->partial, plan->announced_list);
	else
		unlink(plan->partial);
	unlink(plan->progress);
}

/* Paths, piece list and announcement. Returns 0, -ECANCELED, or a fault
 * code with why. */
static int plan_fetch(struct download_worker *worker, const struct download_request *request, bool publish,
		      const struct fetch_options *options, struct fetch_plan *plan, char *why, size_t why_size)
{
	const struct cpe_config *config = worker->config;
	char list_cache[CPE_PATH_MAX + 128], relay_partial[CPE_PATH_MAX + 300];
	int result = download_partial_paths(config->data_dir, request, plan->partial, sizeof(plan->partial),
					    plan->progress, sizeof(plan->progress));

	if (result < 0) {
		snprintf(why, why_size, "cannot prepare the download folder: %s", strerror(-result));
		return result == -ENOSPC ? FAULT_DOWNLOAD_FAILURE : FAULT_INTERNAL_ERROR;
	}
	if (!request->pieces_sha256[0])
		return 0;
	/* downloads/KEY.part -> downloads/KEY.pieces */
	snprintf(list_cache, sizeof(list_cache), "%.*s.pieces", (int)(strlen(plan->partial) - strlen(".part")),
		 plan->partial);
	result = download_pieces_get(request, options, list_cache, &plan->pieces, publish ? &plan->list : NULL,
				     &plan->list_length, why, why_size);
	if (result == -ENOENT)
		return 0;   /* no list at this source: checked at the end, as without one */
	if (result != 0)
		return result;
	plan->checking = true;
	if (!publish)
		return 0;
	result = download_relay_paths(config, request, relay_partial, sizeof(relay_partial), plan->announced_list,
				      sizeof(plan->announced_list));
	if (result < 0) {
		log_warn("download %s: cannot relay it while it arrives (%s); relaying once published",
			 request->command_key, strerror(-result));
		return 0;
	}
	snprintf(plan->partial, sizeof(plan->partial), "%s", relay_partial);
	plan->relaying = true;
	return 0;
}

/* Tells the local cascade-master about the download (before each fetch:
 * a round that starts over creates the file again). */
static void announce(const struct cpe_config *config, const struct download_request *request,
		     const struct fetch_plan *plan)
{
	char why[300] = "";

	if (!plan->relaying)
		return;
	if (download_relay_announce(config, plan->partial, plan->announced_list, plan->list, plan->list_length, why,
				    sizeof(why)) < 0)
		log_warn("download %s: cascade-master does not relay it while it arrives: %s", request->command_key, why);
	else
		log_info("download %s: announced to cascade-master at %s, which relays its checked pieces",
			 request->command_key, config->file_server_url);
}

int download_worker_run_one(struct download_worker *worker, const struct download_request *request,
			    struct transfer_record *record)
{
	const struct cpe_config *config = worker->config;
	struct fetch_options options = {
		.stall_ms = config->download_stall_ms,
		.connect_timeout_ms = config->download_connect_timeout_ms,
		.retries = config->download_retries,
		.rate_limit = config->download_rate_limit,
		.max_image_size = config->max_image_size,
		.ca_file = config->ca_file,
		.cancelled = cancelled,
		.cancel_context = worker->queue,
	};
	struct fetch_plan plan = { 0 };
	char final_path[CPE_PATH_MAX + 300], source[CPE_URL_MAX];
	char actual[SHA256_HEX_LENGTH + 1], why[300] = "";
	bool publish = cpe_config_is_master(config) &&
		       parameter_store_get_bool(worker->parameters, PARAM_FILE_SERVER_ENABLE, false);
	struct fetch_result fetched;
	unsigned int fault;
	int result;

	memset(record, 0, sizeof(*record));
	snprintf(record->command_key, sizeof(record->command_key), "%s", request->command_key);
	record->start_time = request->started_at ? request->started_at : realtime_seconds();
	/* Again here: the record came from disk, the key may have changed. */
	fault = download_signature_check(config, request, why, sizeof(why));
	if (fault) {
		fill_fault(record, fault, why);
		goto done;
	}
	if (already_installed(worker, request, publish, final_path, sizeof(final_path))) {
		log_info("download %s: image %.16s... already installed at %s", request->command_key, request->sha256,
			 final_path);
		fill_fault(record, 0, "");
		goto done;
	}
	if (!publish && already_placed(worker, request, final_path, sizeof(final_path))) {
		log_info("download %s: verified image already at %s, installing it again", request->command_key,
			 final_path);
		fault = config->install_command[0] ? install_command_run(config->install_command, final_path,
									 request->sha256, request->command_key,
									 config->install_timeout_ms, why, sizeof(why))
						   : 0;
		fill_fault(record, fault, why);
		if (fault == 0)
			agent_state_add_image(worker->state, request->sha256, final_path);
		goto done;
	}
	result = plan_fetch(worker, request, publish, &options, &plan, why, sizeof(why));
	if (result == -ECANCELED) {
		plan_free(&plan);
		return -ECANCELED;
	}
	if (result > 0) {
		log_warn("download %s failed (fault %d): %s", request->command_key, result, why);
		fill_fault(record, (unsigned int)result, why);
		goto done;
	}
	options.pieces = plan.checking ? &plan.pieces : NULL;
	download_source_name(request->url, source, sizeof(source));
	for (unsigned int round = 0; round < 2; round++) {
		announce(config, request, &plan);
		result = download_fetch(request, plan.partial, plan.progress, &options, &fetched);
		if (result == -ECANCELED) {
			plan_free(&plan);
			return -ECANCELED;
		}
		if (result < 0) {
			snprintf(why, sizeof(why), "cannot write the partial file: %s", strerror(-result));
			fill_fault(record, result == -ENOSPC || result == -EDQUOT ? FAULT_DOWNLOAD_FAILURE
										  : FAULT_INTERNAL_ERROR,
				   why);
			goto done;
		}
		log_info("download %s: %" PRIu64 " bytes received from %s in %u requests (resumed at byte %" PRIu64
			 "), %" PRIu64 " discarded, %" PRIu64 " of %" PRIu64 " bytes held%s",
			 request->command_key, fetched.fetched, source, fetched.attempts, fetched.resumed_from,
			 fetched.discarded, fetched.size, request->file_size, plan.checking ? ", every piece checked" : "");
		if (fetched.fault_code) {
			log_warn("download %s failed (fault %u): %s", request->command_key, fetched.fault_code,
				 fetched.fault_string);
			fill_fault(record, fetched.fault_code, fetched.fault_string);
			/* A corrupt file is useless, an empty one not worth
			 * keeping, one over --max-image-size never usable; on a
			 * full disk its space is needed more (the records must
			 * still be written). A bad piece was cut off: the
			 * checked pieces before it are kept. */
			if ((fetched.fault_code == FAULT_FILE_CORRUPTED && !fetched.bad_piece_found) || fetched.no_space ||
			    fetched.over_limit || fetched.size == 0)
				discard_partial(&plan);
			goto done;
		}
		fault = download_verify(plan.partial, request, actual, why, sizeof(why));
		if (fault == 0)
			break;
		log_warn("download %s: %s; deleting the file", request->command_key, why);
		discard_partial(&plan);
		/* Bytes from two servers (a resume) may not belong together:
		 * one clean fetch from the start before calling it corrupt. */
		if (round == 0 && fetched.resumed_from > 0 && fault == FAULT_FILE_CORRUPTED) {
			log_info("download %s: fetching again from the start", request->command_key);
			continue;
		}
		fill_fault(record, fault, why);
		goto done;
	}
	log_info("download %s verified: %s, sha256 %s", request->command_key, request->target_name, actual);
	fault = download_install(config, publish, request, plan.partial, plan.relaying ? plan.announced_list : NULL,
				 actual, final_path, sizeof(final_path), why, sizeof(why));
	unlink(plan.progress);
	if (fault) {
		log_error("download %s: %s", request->command_key, why);
		fill_fault(record, fault, why);
		goto done;
	}
	agent_state_add_image(worker->state, actual, final_path);
	log_info("download %s installed: %s", request->command_key, final_path);
	fill_fault(record, 0, "");
done:
	plan_free(&plan);
	record->complete_time = realtime_seconds();
	return 0;
}

static void *worker_main(void *argument)
{
	struct download_worker *worker = argument;

	while (!download_queue_stopping(worker->queue)) {
		struct download_request request;
		struct transfer_record record;
		uint64_t now;

		if (!download_queue_wait(worker->queue, 1000) || !download_queue_first(worker->queue, &request))
			continue;
		now = realtime_seconds();
		if (request.not_before > now) {
			log_info("download %s starts in %llu s (DelaySeconds)", request.command_key,
				 (unsigned long long)(request.not_before - now));
			download_queue_sleep(worker->queue, (request.not_before - now) * 1000);
			continue;
		}
		if (!request.started_at) {
			request.started_at = now;
			download_queue_update(worker->queue, &request);
		}
		download_worker_remove_stale_partials(worker);
		if (download_worker_run_one(worker, &request, &record) == -ECANCELED) {
			char by[COMMAND_KEY_MAX + 1];

			if (download_queue_stopping(worker->queue) ||
			    !download_queue_superseded(worker->queue, by, true)) {
				log_info("download %s interrupted by shutdown; it resumes at the next start",
					 request.command_key);
				break;
			}
			/* Its bytes stay in the partial file, which the newer
			 * request (same image, hence same file) resumes from. */
			log_info("download %s superseded by Download %s of the same image; that one resumes from "
				 "the bytes already here", request.command_key, by);
			memset(&record, 0, sizeof(record));
			snprintf(record.command_key, sizeof(record.command_key), "%s", request.command_key);
			record.start_time = request.started_at;
			record.complete_time = realtime_seconds();
			fill_fault(&record, FAULT_DOWNLOAD_FAILURE, "superseded by a newer Download of the same image");
		}
		download_queue_superseded(worker->queue, NULL, true); /* the mark was for this first */
		/* The record first: a crash between the two steps re-sends, never loses. */
		transfer_store_add(worker->transfers, &record);
		download_queue_remove(worker->queue, request.command_key);
		log_info("download %s finished: fault %u%s%s", request.command_key, record.fault_code,
			 record.fault_code ? ", " : "", record.fault_string);
		if (worker->on_transfer_complete)
			worker->on_transfer_complete(worker->context);
	}
	return NULL;
}

int download_worker_start(struct download_worker *worker)
{
	int result = pthread_create(&worker->thread, NULL, worker_main, worker);

	if (result != 0)
		return -result;
	worker->started = true;
	return 0;
}

void download_worker_stop(struct download_worker *worker)
{
	if (worker->queue)
		download_queue_stop(worker->queue);
	if (worker->started)
		pthread_join(worker->thread, NULL);
	worker->started = false;
}
