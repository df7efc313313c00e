/* Helpers shared by the CWMP and API servers: binding a libmicrohttpd
 * daemon to "HOST:PORT" (IPv4 or IPv6, port 0 allowed) and queuing simple
 * replies. */
#include "acs/http.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/parse.h"

struct MHD_Daemon *http_start_daemon(const char *address, unsigned int flags, MHD_AccessHandlerCallback handler,
				     void *handler_argument, const struct MHD_OptionItem *options, uint16_t *port)
{
	struct sockaddr_storage storage;
	socklen_t length;
	struct MHD_OptionItem all[20];
	struct MHD_Daemon *daemon;
	const union MHD_DaemonInfo *info;
	size_t count = 0;

	if (parse_socket_address(address, &storage, &length) < 0) {
		log_error("invalid address \"%s\" (expected HOST:PORT)", address);
		return NULL;
	}
	if (storage.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The caller's options first: libmicrohttpd wants MHD_OPTION_EXTERNAL_LOGGER
	 * before any other (else it warns, and logs what came before on stderr). */
	for (; options && options[count].option != MHD_OPTION_END && count < 18; count++)
		all[count] = options[count];
	all[count++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &storage };
	all[count] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_argument, MHD_OPTION_ARRAY, all,
				  MHD_OPTION_END);
	if (!daemon) {
		log_error("cannot listen on %s: %s", address, strerror(errno));
		return NULL;
	}
	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : 0;
	return daemon;
}

enum MHD_Result http_reply(struct MHD_Connection *connection, unsigned int status, const char *content_type,
			   const char *body, size_t length)
{
	struct MHD_Response *response =
		MHD_create_response_from_buffer(body ? length : 0, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
	enum MHD_Result result;

	if (!response)
		return MHD_NO;
	if (content_type && body)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}
