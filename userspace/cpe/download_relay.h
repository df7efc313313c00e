/* A master device relays what it receives (cut-through): with a checked
 * piece list and the file server enabled, the agent downloads into
 * IMAGE_DIR/.partial/NAME instead of its data folder, writes the list to
 * IMAGE_DIR/.partial/NAME.pieces and asks its cascade-master to reload, so
 * the master serves the image while it arrives (only the pieces it has
 * checked itself). Publishing renames .partial/NAME into the folder as
 * usual (the same file, so streams in flight go on) and removes the list;
 * giving up removes both, and the master ends its streams. */
#ifndef CASCADE_CPE_DOWNLOAD_RELAY_H
#define CASCADE_CPE_DOWNLOAD_RELAY_H

#include <stddef.h>

#include "cpe/config.h"
#include "cpe/download_queue.h"

#define RELAY_PARTIAL_FOLDER ".partial"

/* IMAGE_DIR/.partial/NAME and .../NAME.pieces (creates .partial). 0 or a
 * negative errno. */
int download_relay_paths(const struct cpe_config *config, const struct download_request *request, char *partial,
			 size_t partial_size, char *list_path, size_t list_size);

/* Makes sure the partial file exists and the list is written, then reloads
 * the local cascade-master. 0, or a negative errno with why. */
int download_relay_announce(const struct cpe_config *config, const char *partial, const char *list_path,
			    const char *list, size_t list_length, char *why, size_t why_size);

/* Gives the image up: removes the partial file and the list. */
void download_relay_withdraw(const char *partial, const char *list_path);

#endif
