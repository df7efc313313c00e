/* TLS material and options of the CWMP listener (see tls.h). */
#include "acs/tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/log.h"

#define PEM_MAX (256u << 10)

static char *certificate_pem, *key_pem;

void acs_tls_release(void)
{
	free(certificate_pem);
	if (key_pem)
		explicit_bzero(key_pem, strlen(key_pem));
	free(key_pem);
	certificate_pem = key_pem = NULL;
}

static int read_pem(const char *what, const char *path, char **text)
{
	size_t length;
	int result = read_whole_file(path, PEM_MAX, text, &length);

	if (result < 0) {
		log_error("cannot read the TLS %s %s: %s", what, path, strerror(-result));
		return result;
	}
	if (!strstr(*text, "-----BEGIN ")) {
		log_error("TLS %s %s is not a PEM file", what, path);
		free(*text);
		*text = NULL;
		return -EINVAL;
	}
	return 0;
}

int acs_tls_options(const struct acs_config *config, struct MHD_OptionItem *options, size_t *count,
		    size_t capacity, unsigned int *flags)
{
	int result;

	if (!config->tls_certificate[0])
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error("this libmicrohttpd has no TLS support: cannot serve CWMP over HTTPS");
		return -ENOTSUP;
	}
	if (*count + 3 > capacity)
		return -E2BIG;
	acs_tls_release();
	result = read_pem("certificate", config->tls_certificate, &certificate_pem);
	if (result == 0)
		result = read_pem("key", config->tls_key, &key_pem);
	if (result < 0) {
		acs_tls_release();
		return result;
	}
	options[(*count)++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, certificate_pem };
	options[(*count)++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key_pem };
	options[(*count)++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)ACS_TLS_PRIORITIES };
	*flags |= MHD_USE_TLS;
	return 0;
}
