/* http:// URLs for cascade-load: numeric or resolvable host, port, and the
 * request target (path and query) sent as is. */
#ifndef CASCADE_LOAD_URL_H
#define CASCADE_LOAD_URL_H

#include <sys/socket.h>

struct url {
	struct sockaddr_storage address;
	socklen_t address_length;
	char host[256];        /* Host header value, port included when given */
	char target[4096];     /* "/path?query" */
};

/* Parses "http://HOST[:PORT]/PATH"; returns 0 or -EINVAL (with a reason). */
int url_parse(const char *text, struct url *url, const char **reason);

#endif
