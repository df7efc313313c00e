/* HTTP Basic and Digest authentication of CWMP devices, against a shared
 * credential or a per-device credentials file. Digest is cascade's own
 * (common/digest_auth.h: random expiring nonces, nc strictly increasing,
 * replays refused as stale), not libmicrohttpd's per-second nonces. */
#include "acs/auth.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "acs/hashmap.h"
#include "common/clock.h"
#include "common/log.h"

struct credential {
	char *username, *password, *device_key;
};

/* Read-only once loaded, so the request threads share it without a lock. */
struct credentials {
	struct credential *entries;
	size_t count, capacity;
	struct hashmap by_username; /* username -> entry index + 1 (the file's first line wins) */
};

void credentials_free(struct credentials *credentials)
{
	if (!credentials)
		return;
	for (size_t i = 0; i < credentials->count; i++) {
		free(credentials->entries[i].username);
		free(credentials->entries[i].password);
		free(credentials->entries[i].device_key);
	}
	hashmap_destroy(&credentials->by_username);
	free(credentials->entries);
	free(credentials);
}

int credentials_load(const char *path, struct credentials **result)
{
	struct credentials *credentials = calloc(1, sizeof(*credentials));
	char line[1024];
	unsigned int number = 0;
	FILE *file;

	*result = NULL;
	if (!credentials)
		return -ENOMEM;
	if (!path || !*path) {
		*result = credentials;
		return 0;
	}
	file = fopen(path, "r");
	if (!file) {
		log_error("cannot read credentials file %s: %s", path, strerror(errno));
		free(credentials);
		return -errno;
	}
	while (fgets(line, sizeof(line), file) && number < 10000000) {
		char username[256], password[256], device_key[512];
		struct credential *bigger, *entry;
		int fields;

		number++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		device_key[0] = '\0';
		fields = sscanf(line, "%255s %255s %511s", username, password, device_key);
		if (fields < 2) {
			log_error("%s:%u: expected USERNAME PASSWORD [DEVICE-KEY]", path, number);
			fclose(file);
			credentials_free(credentials);
			return -EINVAL;
		}
		if (credentials->count == credentials->capacity) {
			size_t capacity = credentials->capacity ? credentials->capacity * 2 : 64;

			bigger = realloc(credentials->entries, capacity * sizeof(*bigger));
			if (!bigger)
				goto out_of_memory;
			credentials->entries = bigger;
			credentials->capacity = capacity;
		}
		entry = &credentials->entries[credentials->count++];
		entry->username = strdup(username);
		entry->password = strdup(password);
		entry->device_key = device_key[0] ? strdup(device_key) : NULL;
		if (!entry->username || !entry->password || (device_key[0] && !entry->device_key))
			goto out_of_memory;
	}
	fclose(file);
	file = NULL;
	if (hashmap_init(&credentials->by_username, credentials->count) < 0)
		goto out_of_memory;
	for (size_t i = 0; i < credentials->count; i++) {
		const char *username = credentials->entries[i].username;

		if (!hashmap_get(&credentials->by_username, username) &&
		    hashmap_put(&credentials->by_username, username, (void *)(uintptr_t)(i + 1)) < 0)
			goto out_of_memory;
	}
	*result = credentials;
	return 0;
out_of_memory:
	if (file)
		fclose(file);
	credentials_free(credentials);
	return -ENOMEM;
}

/* The password for username (and the device it is bound to), or NULL. */
static const char *password_for(const struct acs_config *config, const struct credentials *credentials,
				const char *username, const char **device_key)
{
	*device_key = NULL;
	if (!username)
		return NULL;
	if (credentials && credentials->count > 0) {
		uintptr_t index = (uintptr_t)hashmap_get(&credentials->by_username, username);

		if (index != 0) {
			*device_key = credentials->entries[index - 1].device_key;
			return credentials->entries[index - 1].password;
		}
	}
	if (config->auth_username[0] && strcmp(config->auth_username, username) == 0)
		return config->auth_password;
	return NULL;
}

/* 401 with a challenge for every scheme the config allows: a Digest one
 * per algorithm (preferred first, one fresh nonce), then Basic. */
static enum auth_result challenge(const struct acs_config *config, struct digest_nonces *nonces,
				  struct MHD_Connection *connection, bool stale)
{
	static const char text[] = "authentication required\n";
	struct MHD_Response *response =
		MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	char values[2][DIGEST_CHALLENGE_SIZE], header[160];
	enum MHD_Result queued;
	int count = 0;

	if (!response)
		return AUTH_ERROR;
	if ((config->auth_mode & ACS_AUTH_DIGEST) && nonces)
		count = digest_challenges(nonces, config->auth_realm, config->digest_algorithms,
					  config->digest_algorithm_count, stale, monotonic_ms(), values);
	for (int i = 0; i < count; i++)
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, values[i]);
	if (config->auth_mode & ACS_AUTH_BASIC) {
		snprintf(header, sizeof(header), "Basic realm=\"%s\"", config->auth_realm);
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, header);
	}
	queued = MHD_queue_response(connection, MHD_HTTP_UNAUTHORIZED, response);
	MHD_destroy_response(response);
	return queued == MHD_YES ? AUTH_REJECTED : AUTH_ERROR;
}

/* Challenges again; a request that presented credentials is a failed login. */
static enum auth_result refuse(const struct acs_config *config, struct digest_nonces *nonces,
			       struct MHD_Connection *connection)
{
	enum auth_result result = challenge(config, nonces, connection, false);

	return result == AUTH_REJECTED ? AUTH_BAD_CREDENTIALS : result;
}

static enum auth_result check_basic(const struct acs_config *config, const struct credentials *credentials,
				    struct digest_nonces *nonces, struct MHD_Connection *connection,
				    const char **device_key)
{
	char *username, *password = NULL;
	const char *expected;
	bool good;

	username = MHD_basic_auth_get_username_password(connection, &password);
	expected = password_for(config, credentials, username, device_key);
	good = expected && password && strlen(expected) == strlen(password) &&
	       CRYPTO_memcmp(expected, password, strlen(expected)) == 0;
	if (username)
		MHD_free(username);
	if (password)
		MHD_free(password);
	return good ? AUTH_OK : refuse(config, nonces, connection);
}

static enum auth_result check_digest(const struct acs_config *config, const struct credentials *credentials,
				     struct digest_nonces *nonces, struct MHD_Connection *connection,
				     const char *header, const char *method, const char *path, const char **device_key)
{
	struct digest_authorization authorization;
	unsigned int algorithms = 0;
	const char *expected;

	if (!nonces || digest_parse_authorization(header, &authorization) < 0)
		return refuse(config, nonces, connection);
	expected = password_for(config, credentials, authorization.username, device_key);
	if (!expected)
		return refuse(config, nonces, connection);
	for (size_t i = 0; i < config->digest_algorithm_count; i++)
		algorithms |= config->digest_algorithms[i];
	switch (digest_verify(nonces, &authorization, method, path, config->auth_realm, algorithms, expected,
			      monotonic_ms())) {
	case DIGEST_ACCEPTED:
		return AUTH_OK;
	case DIGEST_STALE: /* the device knows the password: a new nonce, not a failed login */
		*device_key = NULL;
		return challenge(config, nonces, connection, true);
	default:
		*device_key = NULL;
		return refuse(config, nonces, connection);
	}
}

enum auth_result auth_check(const struct acs_config *config, const struct credentials *credentials,
			    struct digest_nonces *nonces, struct MHD_Connection *connection, const char *method,
			    const char *path, const char **device_key)
{
	const char *header;

	*device_key = NULL;
	if (config->auth_mode == ACS_AUTH_NONE)
		return AUTH_OK;
	header = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!header)
		return challenge(config, nonces, connection, false);
	while (*header == ' ')
		header++;
	if ((config->auth_mode & ACS_AUTH_BASIC) && strncasecmp(header, "Basic ", 6) == 0)
		return check_basic(config, credentials, nonces, connection, device_key);
	if ((config->auth_mode & ACS_AUTH_DIGEST) && strncasecmp(header, "Digest ", 7) == 0)
		return check_digest(config, credentials, nonces, connection, header, method, path, device_key);
	return refuse(config, nonces, connection);
}
