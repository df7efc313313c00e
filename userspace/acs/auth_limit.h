/* Failed logins on cascade-acs's listeners (credential guessing): device
 * credentials on the CWMP port, the bearer token on the API port. After
 * [auth] max_failures failures from one address (IPv6: one /64) within
 * [auth] failure_window, that address is answered 429 Too Many Requests +
 * Retry-After until the window has passed, before any credential is
 * looked at; the block is logged once with the address. A request that
 * carries no credentials (the first of a Digest exchange) or a stale
 * nonce is not a failure. */
#ifndef CASCADE_ACS_AUTH_LIMIT_H
#define CASCADE_ACS_AUTH_LIMIT_H

#include <microhttpd.h>
#include <stdbool.h>

#include "common/login_limit.h"

/* true when the peer is blocked; then a 429 is queued (*queued says how
 * that went) and the request must not be looked at further. */
bool auth_limit_refuse(struct login_limit *limit, struct MHD_Connection *connection, enum MHD_Result *queued);
/* Counts a failed login of the peer; logs when it blocks the address. */
void auth_limit_failed(struct login_limit *limit, struct MHD_Connection *connection, const char *listener);

#endif
