/* DATA_DIR/state.json (see agent_state.h). */
#include "cpe/agent_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/log_limit.h"
#include "cpe/json_file.h"

static int save_locked(struct agent_state *state)
{
	json_t *images = json_array(), *document;
	int result;

	for (size_t i = 0; images && i < state->image_count; i++) {
		if (json_array_append_new(images, json_pack("{s:s, s:s}", "sha256", state->images[i].sha256, "path",
							    state->images[i].path)) < 0) {
			json_decref(images);
			return -ENOMEM;
		}
	}
	document = json_pack("{s:i, s:s, s:I, s:o}", "format", 1, "bootstrapped_acs", state->bootstrapped_acs,
			     "boot_count", (json_int_t)state->boot_count, "images", images);
	if (!document)
		return -ENOMEM;
	result = json_file_save(state->path, document);
	json_decref(document);
	if (result < 0)
		log_error_limited("cannot save %s: %s", state->path, strerror(-result));
	return result;
}

int agent_state_open(struct agent_state *state, const char *data_dir)
{
	json_t *document = NULL, *image;
	size_t index;
	int result;

	memset(state, 0, sizeof(*state));
	pthread_mutex_init(&state->lock, NULL);
	result = json_file_open_state(data_dir, "state.json", state->path, sizeof(state->path), &document);
	if (result < 0 || !document)
		return result;
	snprintf(state->bootstrapped_acs, sizeof(state->bootstrapped_acs), "%s",
		 json_member_string(document, "bootstrapped_acs", ""));
	state->boot_count = json_member_unsigned(document, "boot_count", 0);
	json_array_foreach(json_object_get(document, "images"), index, image)
	{
		struct installed_image *entry = &state->images[state->image_count];

		if (state->image_count == AGENT_STATE_IMAGES)
			break;
		snprintf(entry->sha256, sizeof(entry->sha256), "%s", json_member_string(image, "sha256", ""));
		snprintf(entry->path, sizeof(entry->path), "%s", json_member_string(image, "path", ""));
		if (entry->sha256[0] && entry->path[0])
			state->image_count++;
	}
	json_decref(document);
	return 0;
}

void agent_state_close(struct agent_state *state)
{
	pthread_mutex_destroy(&state->lock);
}

bool agent_state_needs_bootstrap(struct agent_state *state, const char *acs_url)
{
	bool needed;

	pthread_mutex_lock(&state->lock);
	needed = strcmp(state->bootstrapped_acs, acs_url) != 0;
	pthread_mutex_unlock(&state->lock);
	return needed;
}

int agent_state_set_bootstrapped(struct agent_state *state, const char *acs_url)
{
	int result;

	pthread_mutex_lock(&state->lock);
	snprintf(state->bootstrapped_acs, sizeof(state->bootstrapped_acs), "%s", acs_url);
	result = save_locked(state);
	pthread_mutex_unlock(&state->lock);
	return result;
}

uint64_t agent_state_count_boot(struct agent_state *state)
{
	uint64_t count;

	pthread_mutex_lock(&state->lock);
	count = ++state->boot_count;
	save_locked(state);
	pthread_mutex_unlock(&state->lock);
	return count;
}

int agent_state_add_image(struct agent_state *state, const char *sha256, const char *path)
{
	struct installed_image entry = { 0 }, older[AGENT_STATE_IMAGES];
	size_t kept = 0;
	int result;

	snprintf(entry.sha256, sizeof(entry.sha256), "%s", sha256);
	snprintf(entry.path, sizeof(entry.path), "%s", path);
	pthread_mutex_lock(&state->lock);
	/* Newest first; drop an older entry for the same hash or path. */
	for (size_t i = 0; i < state->image_count; i++) {
		if (strcasecmp(state->images[i].sha256, sha256) == 0 || strcmp(state->images[i].path, path) == 0)
			continue;
		if (kept + 1 < AGENT_STATE_IMAGES)
			older[kept++] = state->images[i];
	}
	state->images[0] = entry;
	memcpy(&state->images[1], older, kept * sizeof(older[0]));
	state->image_count = kept + 1;
	result = save_locked(state);
	pthread_mutex_unlock(&state->lock);
	return result;
}

bool agent_state_find_image(struct agent_state *state, const char *sha256, char *path, size_t size)
{
	bool found = false;

	pthread_mutex_lock(&state->lock);
	for (size_t i = 0; i < state->image_count && !found; i++) {
		if (strcasecmp(state->images[i].sha256, sha256) == 0) {
			snprintf(path, size, "%s", state->images[i].path);
			found = true;
		}
	}
	pthread_mutex_unlock(&state->lock);
	return found;
}
