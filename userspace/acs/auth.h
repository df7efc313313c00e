/* Device authentication for the CWMP port: HTTP Basic and/or Digest
 * (RFC 7616, MD5 and SHA-256, nonces tracked by cascade), with one shared
 * credential from the config file and/or per-device credentials from a
 * file of lines "USERNAME PASSWORD [OUI-ProductClass-Serial]" ('#'
 * comments). */
#ifndef CASCADE_ACS_AUTH_H
#define CASCADE_ACS_AUTH_H

#include <microhttpd.h>
#include <stdbool.h>

#include "acs/config.h"
#include "common/digest_auth.h"

struct credentials;

/* Loads the per-device credentials file (path may be empty). */
int credentials_load(const char *path, struct credentials **credentials);
void credentials_free(struct credentials *credentials);

enum auth_result {
	AUTH_OK = 0,       /* proceed; *device_key names the bound device or NULL */
	AUTH_REJECTED = 1, /* a 401 challenge was queued (no credentials, or a stale nonce: stale=true) */
	AUTH_BAD_CREDENTIALS = 2, /* a 401 challenge was queued: credentials were presented and wrong */
	AUTH_ERROR = -1,   /* could not queue a reply: close the connection */
};

/* Checks the request's Authorization (method and path are the request's,
 * for Digest's uri); nonces may be NULL when Digest is off. */
enum auth_result auth_check(const struct acs_config *config, const struct credentials *credentials,
			    struct digest_nonces *nonces, struct MHD_Connection *connection, const char *method,
			    const char *path, const char **device_key);

#endif
