/* Connection Requests (TR-069 3.2.2): asking a device to open a CWMP session
 * now, by an HTTP GET with Digest authentication to its
 * ConnectionRequestURL, from one thread of the controller (see
 * connection_request.c). */
#ifndef CASCADE_ACS_CONNECTION_REQUEST_H
#define CASCADE_ACS_CONNECTION_REQUEST_H

#include "acs/model.h"

/* Starts the requester thread; 0 or a negative errno. */
int connection_requester_start(struct controller *controller);
/* Stops it; requests still queued are dropped. */
void connection_requester_stop(struct controller *controller);
/* Asks the device to open a session now (rate-limited, asynchronous). */
void connection_request(struct controller *controller, struct device *device);

#endif
