/* The Connection Request listener (TR-069 3.2.2): an HTTP GET on the
 * advertised URL, authenticated with Digest (MD5 or SHA-256, cascade's own
 * nonces: random, expiring, each count accepted once, so a captured
 * request cannot be replayed; common/digest_auth.h) against
 * ManagementServer.ConnectionRequestUsername/Password, rate limited by a
 * token bucket (503 + Retry-After beyond it, and a second bucket for
 * unauthenticated attempts), with failed logins limited per address (429 +
 * Retry-After after CONNECTION_REQUEST_MAX_FAILURES in a minute), that
 * asks the agent for a session with
 * "6 CONNECTION REQUEST". libmicrohttpd, one internal thread. */
#ifndef CASCADE_CPE_CONNECTION_REQUEST_H
#define CASCADE_CPE_CONNECTION_REQUEST_H

#include <stdint.h>

#include "cpe/config.h"
#include "cpe/parameter_store.h"
#include "common/digest_auth.h"
#include "common/login_limit.h"
#include "cpe/rate_limit.h"

/* Wrong credentials from one address before it is refused for a minute. */
#define CONNECTION_REQUEST_MAX_FAILURES 10
#define CONNECTION_REQUEST_FAILURE_WINDOW_MS 60000
/* Digest nonces outstanding, and how long one stays valid. */
#define CONNECTION_REQUEST_NONCES 256
#define CONNECTION_REQUEST_NONCE_LIFETIME_MS 300000

struct MHD_Daemon;

struct connection_request_listener {
	struct MHD_Daemon *daemon;
	int socket_fd;
	struct parameter_store *parameters;
	struct rate_limit accepted;       /* authenticated requests */
	struct rate_limit challenged;     /* requests without valid credentials */
	struct login_limit failures;      /* wrong credentials per address */
	void (*on_request)(void *context);
	void *context;
	char url[CPE_URL_MAX];            /* advertised ConnectionRequestURL */
	char path[256];                   /* the only path answered */
	struct digest_nonces *nonces;     /* Digest nonces issued by this listener */
};

/* Binds config->connection_request_address, fills listener->url, starts
 * the thread. Returns 0 or a negative errno (logged). */
int connection_request_start(struct connection_request_listener *listener, const struct cpe_config *config,
			     struct parameter_store *parameters, void (*on_request)(void *context), void *context);
void connection_request_stop(struct connection_request_listener *listener);

#endif
