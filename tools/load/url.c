/* URL parsing and host resolution for cascade-load. */
#include "url.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int url_parse(const char *text, struct url *url, const char **reason)
{
	const char *authority;
	const char *slash;
	const char *port_text = "80";
	char host[256];
	char port[8];
	size_t host_length;
	struct addrinfo hints;
	struct addrinfo *found = NULL;

	memset(url, 0, sizeof(*url));
	if (strncasecmp(text, "http://", 7) != 0) {
		*reason = "only http:// URLs are supported";
		return -EINVAL;
	}
	authority = text + 7;
	slash = strchr(authority, '/');
	if (slash == NULL)
		slash = authority + strlen(authority);
	if (slash == authority || (size_t)(slash - authority) >= sizeof(url->host)) {
		*reason = "missing or overlong host";
		return -EINVAL;
	}
	memcpy(url->host, authority, (size_t)(slash - authority));
	if (snprintf(url->target, sizeof(url->target), "%s", *slash ? slash : "/") >=
	    (int)sizeof(url->target)) {
		*reason = "path too long";
		return -EINVAL;
	}
	for (const char *c = url->target; *c; c++) {
		if (*c <= ' ' || *c == 0x7f) {
			*reason = "path has spaces or control characters (percent-encode them)";
			return -EINVAL;
		}
	}
	/* [v6]:port, host:port or host */
	if (url->host[0] == '[') {
		const char *close = strchr(url->host, ']');

		if (close == NULL) {
			*reason = "unterminated [IPv6] host";
			return -EINVAL;
		}
		host_length = (size_t)(close - url->host - 1);
		memcpy(host, url->host + 1, host_length);
		if (close[1] == ':')
			port_text = close + 2;
	} else {
		const char *colon = strchr(url->host, ':');

		host_length = colon ? (size_t)(colon - url->host) : strlen(url->host);
		memcpy(host, url->host, host_length);
		if (colon != NULL)
			port_text = colon + 1;
	}
	host[host_length] = '\0';
	snprintf(port, sizeof(port), "%s", port_text);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &found) != 0 || found == NULL) {
		*reason = "cannot resolve host";
		return -EINVAL;
	}
	memcpy(&url->address, found->ai_addr, found->ai_addrlen);
	url->address_length = found->ai_addrlen;
	freeaddrinfo(found);
	return 0;
}
