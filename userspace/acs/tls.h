/* CWMP over HTTPS for cascade-acs: libmicrohttpd with GnuTLS (Debian's
 * libmicrohttpd is built with it), the certificate chain and key from
 * [acs] tls_certificate / tls_key (PEM files, read at start), TLS 1.2 and
 * 1.3 only. Devices check the certificate against their CA (cascade-cpe:
 * --ca-file). */
#ifndef CASCADE_ACS_TLS_H
#define CASCADE_ACS_TLS_H

#include <microhttpd.h>
#include <stddef.h>

#include "acs/config.h"

/* GnuTLS priorities: no SSL 3, TLS 1.0 or 1.1. */
#define ACS_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* Reads the PEM files when TLS is configured and appends libmicrohttpd's
 * options for them to options (from *count, at most capacity; the PEM text
 * stays loaded until acs_tls_release). *flags gets MHD_USE_TLS added.
 * Returns 0 (also when TLS is not configured) or a negative errno, logged:
 * unreadable files, or a libmicrohttpd without TLS. */
int acs_tls_options(const struct acs_config *config, struct MHD_OptionItem *options, size_t *count,
		    size_t capacity, unsigned int *flags);
/* Frees the PEM text (after the daemon stopped). */
void acs_tls_release(void);

#endif
