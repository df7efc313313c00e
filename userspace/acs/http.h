/* The libmicrohttpd servers of cascade-acs: CWMP (devices), the operator
 * JSON API with the web console, and an optional /metrics-only listener,
 * plus the helpers they share. */
#ifndef CASCADE_ACS_HTTP_H
#define CASCADE_ACS_HTTP_H

#include <microhttpd.h>
#include <stdint.h>

#include "acs/model.h"

/* Starts the CWMP server on config.cwmp_address; *port gets the bound port. */
int cwmp_server_start(struct controller *controller, struct MHD_Daemon **daemon, uint16_t *port);
/* Starts the API server on config.api_address; token may be NULL (no auth). */
int api_server_start(struct controller *controller, const char *token, struct MHD_Daemon **daemon, uint16_t *port);
/* Starts the /metrics-only listener on config.metrics_address (no token). */
int metrics_server_start(struct controller *controller, struct MHD_Daemon **daemon, uint16_t *port);

/* Binds an MHD daemon to "HOST:PORT" with the given flags and options
 * terminated by MHD_OPTION_END (at most 18 option pairs). */
struct MHD_Daemon *http_start_daemon(const char *address, unsigned int flags, MHD_AccessHandlerCallback handler,
				     void *handler_argument, const struct MHD_OptionItem *options, uint16_t *port);
/* Queues a response with a copy of body (may be NULL for empty). */
enum MHD_Result http_reply(struct MHD_Connection *connection, unsigned int status, const char *content_type,
			   const char *body, size_t length);

#endif
