/* What happens to a fetched image: verification (size and SHA-256 against
 * the Download's FileSize and X_CASCADE_ImageSHA256), then, only when it
 * passed, the move into place - DATA_DIR/images/NAME, or on a master
 * cascade-master's image folder through manifest_publish_image followed by
 * POST <file server>/-/reload so it is served at once - and the configured
 * install command. Each step's failure is a TR-069 fault and a log line. */
#ifndef CASCADE_CPE_DOWNLOAD_INSTALL_H
#define CASCADE_CPE_DOWNLOAD_INSTALL_H

#include <stdbool.h>
#include <stddef.h>

#include "cpe/config.h"
#include "cpe/download_queue.h"

/* Returns 0 when path has request's FileSize (if given) and SHA-256 (if
 * given), else 9018 with why; actual_sha256 gets the file's hash (hex). */
unsigned int download_verify(const char *path, const struct download_request *request, char actual_sha256[65],
			     char *why, size_t why_size);

/* Moves the verified file at verified_path into place (publish: into the
 * master's image folder and manifest, then reload cascade-master) and runs
 * the install command on it. announced_list: the relay's piece list of
 * the image (download_relay.h), removed once the image is published, or
 * NULL. final_path gets where the image now is. Returns 0 or a fault code
 * with why. */
unsigned int download_install(const struct cpe_config *config, bool publish, const struct download_request *request,
			      const char *verified_path, const char *announced_list, const char *sha256_hex,
			      char *final_path, size_t final_size, char *why, size_t why_size);

/* Runs sh -c 'COMMAND "$1"' with the image path as $1 (and
 * CASCADE_IMAGE_PATH, CASCADE_IMAGE_SHA256, CASCADE_COMMAND_KEY in the
 * environment), killing it after timeout_ms. 0, or a fault with why. */
unsigned int install_command_run(const char *command, const char *image_path, const char *sha256_hex,
				 const char *command_key, uint64_t timeout_ms, char *why, size_t why_size);

/* Asks cascade-master at base_url to reload its images (POST /-/reload,
 * which answers once the reload is done), with "Authorization: Bearer
 * <token>" when admin_token_file is set (--master-admin-token-file). 0 or
 * a negative errno. */
int master_reload(const char *base_url, const char *ca_file, const char *admin_token_file, char *why,
		  size_t why_size);

#endif
