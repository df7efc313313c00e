/* libmicrohttpd's own error lines (every malformed, refused or cut
 * connection writes one) go through cascade's log at most
 * HTTP_LOG_PER_SECOND a second (common/log_limit.h), so a flood of bad
 * connections cannot fill the disk; how many were dropped is said when the
 * next second opens. */
#ifndef CASCADE_ACS_HTTP_LOG_H
#define CASCADE_ACS_HTTP_LOG_H

#include <stdarg.h>

#define HTTP_LOG_PER_SECOND 20

/* An MHD_LogCallback (MHD_OPTION_EXTERNAL_LOGGER); context is unused. */
void http_log_limited(void *context, const char *format, va_list arguments);

#endif
