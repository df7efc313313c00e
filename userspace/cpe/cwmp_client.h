/* The HTTP side of a CWMP session with libcurl: one easy handle per
 * session, so the connection is kept alive and the ACS's session cookie
 * is sent back on every POST; Basic or Digest authentication; SOAP POSTs
 * and empty POSTs; a cap on the reply size; Retry-After of a 503. */
#ifndef CASCADE_CPE_CWMP_CLIENT_H
#define CASCADE_CPE_CWMP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/byte_buffer.h"
#include "cpe/config.h"

#define CWMP_REPLY_MAX_BYTES (1u << 20)

struct cwmp_client {
	void *easy;                  /* CURL * */
	struct curl_slist *headers;     /* for an empty POST */
	struct curl_slist *xml_headers; /* for a SOAP POST */
	struct byte_buffer body;     /* the reply being received */
	int too_large;
	char error[256];
	bool (*stopping)(void *context); /* polled during a transfer; true aborts it */
	void *stopping_context;
};

struct cwmp_http_reply {
	long status;                 /* HTTP status, 0: none */
	const char *body;            /* owned by the client, valid until the next post */
	size_t length;
	uint64_t retry_after_ms;     /* from a Retry-After header, 0: none */
};

int cwmp_client_open(struct cwmp_client *client, const struct cpe_config *config, bool (*stopping)(void *context),
		     void *stopping_context);
/* POSTs body (length 0: an empty POST). Returns 0 when an HTTP reply came
 * back (any status), or -EIO / -E2BIG with client->error saying why. */
int cwmp_client_post(struct cwmp_client *client, const char *body, size_t length, struct cwmp_http_reply *reply);
void cwmp_client_close(struct cwmp_client *client);

#endif
