/* Who may use cascade-master's admin operations (POST /-/reload): with
 * --admin-token-file, a request carrying "Authorization: Bearer TOKEN";
 * without it, only clients on the loopback interface (cascade-cpe on the
 * same device), never the network. */
#ifndef CASCADE_MASTER_ADMIN_TOKEN_H
#define CASCADE_MASTER_ADMIN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "master/http_request.h"

#define ADMIN_TOKEN_MAX 256
#define ADMIN_TOKEN_MIN 16

/* Reads the token from path (surrounding whitespace and newlines dropped):
 * 0, or -errno with the reason printed on stderr (unreadable, shorter than
 * ADMIN_TOKEN_MIN, longer than ADMIN_TOKEN_MAX, characters other than
 * visible ASCII). */
int admin_token_load(const char *path, char token[ADMIN_TOKEN_MAX + 1]);
/* true when the request may run an admin operation: token "" means
 * loopback peers only; otherwise the Authorization header must carry the
 * token (compared in constant time), from any peer. */
bool admin_request_allowed(const char *token, const struct sockaddr *peer, struct http_string authorization);
/* true for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool address_is_loopback(const struct sockaddr *address);

#endif
