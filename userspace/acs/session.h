/* The CWMP session engine of cascade-acs: one HTTP POST body in, one reply
 * out. Inform opens a new session (always, whatever cookie the device
 * re-sends); TransferComplete and GetRPCMethods are answered; an empty POST
 * or a response to our request gets the next queued RPC (attribute probe by
 * GetParameterValues / GetParameterNames, then campaign SetParameterValues
 * and Download) or an empty 204 that ends the session. Sessions are found by
 * the HTTP connection first and by the cascade_session cookie second. */
#ifndef CASCADE_ACS_SESSION_H
#define CASCADE_ACS_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "acs/model.h"
#include "acs/store.h"

#define SESSION_COOKIE_NAME "cascade_session"

struct cwmp_exchange {
	const char *body;     /* may be empty (empty POST) */
	size_t length;
	const char *cookie;   /* value of the cascade_session cookie, or NULL */
	const char *address;  /* peer address, for the registry */
	const char *bound_device_key; /* device the authenticated credentials belong to, or NULL */
	bool session_authenticated; /* credentials were not checked: the request belongs to an
				     * open session (session_known), whose binding holds */
	struct session **connection_session; /* the HTTP connection's session slot */
};

struct cwmp_reply {
	int http_status;     /* 200, 204, 403, 500, 503 */
	char *body;          /* malloc'd SOAP envelope, or NULL */
	size_t length;
	char cookie[64];     /* set: send Set-Cookie with this token */
	unsigned int retry_after; /* 503: seconds */
};

/* Handles one request; *batch receives the rows to commit before the reply
 * may be sent (NULL when nothing changed). Returns 0 or -ENOMEM. */
int session_handle(struct controller *controller, const struct cwmp_exchange *exchange, struct cwmp_reply *reply,
		   struct store_batch **batch);
/* True when the request belongs to an open session (by connection or
 * cookie): such requests were authenticated with the session's Inform. */
bool session_known(struct controller *controller, struct session *connection_session, const char *cookie);
/* A connection that held the session closed. */
void session_release(struct controller *controller, struct session *session);
/* Ends sessions idle for longer than the session timeout (lock held). */
void sessions_expire(struct controller *controller);

#endif
