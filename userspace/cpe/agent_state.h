/* The agent's own durable facts in DATA_DIR/state.json: which ACS URL has
 * acknowledged a BOOTSTRAP Inform (a new URL bootstraps again, as TR-069
 * asks), how many times the agent started, and the images it verified and
 * installed (by SHA-256), so a repeated Download of an image already in
 * place finishes without fetching it again. Thread-safe. */
#ifndef CASCADE_CPE_AGENT_STATE_H
#define CASCADE_CPE_AGENT_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpe/config.h"

#define AGENT_STATE_IMAGES 8

struct installed_image {
	char sha256[65];
	char path[CPE_PATH_MAX];
};

struct agent_state {
	pthread_mutex_t lock;
	char path[CPE_PATH_MAX + 32];
	char bootstrapped_acs[CPE_URL_MAX];
	uint64_t boot_count;
	struct installed_image images[AGENT_STATE_IMAGES]; /* newest first */
	size_t image_count;
};

/* Loads DATA_DIR/state.json (missing: a first start). */
int agent_state_open(struct agent_state *state, const char *data_dir);
void agent_state_close(struct agent_state *state);
bool agent_state_needs_bootstrap(struct agent_state *state, const char *acs_url);
int agent_state_set_bootstrapped(struct agent_state *state, const char *acs_url);
/* Counts this start and saves; returns the new count. */
uint64_t agent_state_count_boot(struct agent_state *state);
int agent_state_add_image(struct agent_state *state, const char *sha256, const char *path);
/* The installed image with this hash (path copied out), if any. */
bool agent_state_find_image(struct agent_state *state, const char *sha256, char *path, size_t size);

#endif
