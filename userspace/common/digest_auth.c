/* HTTP Digest (RFC 7616, qop=auth, MD5 and SHA-256): parsing Authorization
 * and WWW-Authenticate values (auth-params with tokens or quoted strings),
 * computing and checking responses, formatting challenges and client
 * authorizations. Nonces are tracked by digest_nonces.c. */
#include "common/digest_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MAX_HEADER_LENGTH 8192
#define MAX_VALUE_LENGTH 1024
#define HEX_MAX (2 * EVP_MAX_MD_SIZE + 1)

const char *digest_algorithm_name(enum digest_algorithm algorithm)
{
	return algorithm == DIGEST_SHA256 ? "SHA-256" : "MD5";
}

static int algorithm_named(const char *name, enum digest_algorithm *algorithm)
{
	if (!name[0] || strcasecmp(name, "MD5") == 0)
		*algorithm = DIGEST_MD5;
	else if (strcasecmp(name, "SHA-256") == 0)
		*algorithm = DIGEST_SHA256;
	else
		return -EINVAL;
	return 0;
}

int digest_parse_algorithm_list(const char *text, enum digest_algorithm *algorithms, size_t capacity,
				size_t *count)
{
	char copy[128], *word, *save = NULL;
	unsigned int seen = 0;

	*count = 0;
	if (snprintf(copy, sizeof(copy), "%s", text) >= (int)sizeof(copy))
		return -EINVAL;
	for (word = strtok_r(copy, ", ", &save); word; word = strtok_r(NULL, ", ", &save)) {
		enum digest_algorithm algorithm;

		if (!word[0] || algorithm_named(word, &algorithm) < 0 || (seen & algorithm) || *count >= capacity)
			return -EINVAL;
		seen |= algorithm;
		algorithms[(*count)++] = algorithm;
	}
	return *count ? 0 : -EINVAL;
}

static bool is_token_character(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_blanks(const char *cursor)
{
	while (*cursor == ' ' || *cursor == '\t')
		cursor++;
	return cursor;
}

/* Walks the auth-params after scheme, handing each name and (unquoted)
 * value to set; 0 or -EINVAL. */
static int parse_parameters(const char *header, const char *scheme,
			    int (*set)(void *target, const char *name, size_t name_length, const char *value),
			    void *target)
{
	size_t scheme_length = strlen(scheme);
	const char *cursor;
	char value[MAX_VALUE_LENGTH + 1];

	if (!header || strlen(header) > MAX_HEADER_LENGTH)
		return -EINVAL;
	cursor = skip_blanks(header);
	if (strncasecmp(cursor, scheme, scheme_length) != 0 || (cursor[scheme_length] != ' ' && cursor[scheme_length] != '\t'))
		return -EINVAL;
	cursor += scheme_length;
	for (unsigned int fields = 0; fields < 64; fields++) {
		const char *name;
		size_t name_length, used = 0;

		while (*cursor == ' ' || *cursor == '\t' || *cursor == ',')
			cursor++;
		if (!*cursor)
			return 0;
		name = cursor;
		while (is_token_character(*cursor))
			cursor++;
		name_length = (size_t)(cursor - name);
		cursor = skip_blanks(cursor);
		if (name_length == 0 || *cursor != '=')
			return -EINVAL;
		cursor = skip_blanks(cursor + 1);
		if (*cursor == '"') {
			for (cursor++; *cursor && *cursor != '"'; cursor++) {
				if (*cursor == '\\' && cursor[1])
					cursor++;
				if (used >= MAX_VALUE_LENGTH)
					return -EINVAL;
				value[used++] = *cursor;
			}
			if (*cursor != '"')
				return -EINVAL;
			cursor++;
		} else {
			while (is_token_character(*cursor)) {
				if (used >= MAX_VALUE_LENGTH)
					return -EINVAL;
				value[used++] = *cursor++;
			}
		}
		value[used] = '\0';
		if (set(target, name, name_length, value) < 0)
			return -EINVAL;
		cursor = skip_blanks(cursor);
		if (*cursor && *cursor != ',')
			return -EINVAL;
	}
	return -EINVAL;
}

struct field {
	const char *name;
	size_t offset, size;
};

struct field_target {
	void *record;
	const struct field *fields;
	size_t count;
	uint32_t seen;
};

static bool name_is(const char *name, size_t length, const char *wanted)
{
	return strlen(wanted) == length && strncasecmp(name, wanted, length) == 0;
}

/* Copies a known field once (twice is an error); unknown names are ignored. */
static int set_field(void *argument, const char *name, size_t length, const char *value)
{
	struct field_target *target = argument;

	for (size_t i = 0; i < target->count; i++) {
		const struct field *field = &target->fields[i];

		if (!name_is(name, length, field->name))
			continue;
		if (target->seen & (1u << i))
			return -EINVAL;
		target->seen |= 1u << i;
		return snprintf((char *)target->record + field->offset, field->size, "%s", value) < (int)field->size
			       ? 0
			       : -EINVAL;
	}
	return 0;
}

/* What a header's parameters are parsed into: the public record and the
 * flags that are not kept as text. */
struct authorization_record {
	struct digest_authorization fields;
	char userhash[8];
};

struct challenge_record {
	struct digest_challenge_fields fields;
	char stale[8];
};

#define RECORD_FIELD(record, name, member) \
	{ name, offsetof(struct record, member), sizeof(((struct record *)0)->member) }
#define AUTHORIZATION_FIELD(member) RECORD_FIELD(authorization_record, #member, fields.member)
#define CHALLENGE_FIELD(member) RECORD_FIELD(challenge_record, #member, fields.member)

int digest_parse_authorization(const char *header, struct digest_authorization *authorization)
{
	static const struct field fields[] = {
		AUTHORIZATION_FIELD(username), AUTHORIZATION_FIELD(realm),    AUTHORIZATION_FIELD(nonce),
		AUTHORIZATION_FIELD(uri),      AUTHORIZATION_FIELD(response), AUTHORIZATION_FIELD(cnonce),
		AUTHORIZATION_FIELD(opaque),   AUTHORIZATION_FIELD(qop),      AUTHORIZATION_FIELD(algorithm),
		RECORD_FIELD(authorization_record, "nc", fields.nc_text),
		RECORD_FIELD(authorization_record, "userhash", userhash),
	};
	struct authorization_record record;
	struct field_target target = { &record, fields, sizeof(fields) / sizeof(fields[0]), 0 };
	struct digest_authorization *parsed = &record.fields;

	memset(&record, 0, sizeof(record));
	memset(authorization, 0, sizeof(*authorization));
	if (parse_parameters(header, "Digest", set_field, &target) < 0)
		return -EINVAL;
	parsed->userhash = strcasecmp(record.userhash, "true") == 0;
	if (!parsed->username[0] || !parsed->nonce[0] || !parsed->uri[0] || !parsed->response[0])
		return -EINVAL;
	if (parsed->qop[0]) {
		if (strlen(parsed->nc_text) != 8 || strspn(parsed->nc_text, "0123456789abcdefABCDEF") != 8 ||
		    !parsed->cnonce[0])
			return -EINVAL;
		parsed->nc = (uint32_t)strtoul(parsed->nc_text, NULL, 16);
	}
	*authorization = *parsed;
	return 0;
}

/* Lowercase hex of the algorithm's hash of text. */
static int hash_hex(enum digest_algorithm algorithm, const char *text, char hex[HEX_MAX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int length = 0;

	if (EVP_Digest(text, strlen(text), digest, &length, algorithm == DIGEST_SHA256 ? EVP_sha256() : EVP_md5(),
		       NULL) != 1)
		return -EIO;
	for (unsigned int i = 0; i < length; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[2 * length] = '\0';
	return 0;
}

/* response = H(H(user:realm:password):nonce:nc:cnonce:qop:H(method:uri)) */
static int compute_response(enum digest_algorithm algorithm, const char *username, const char *realm,
			    const char *password, const char *method, const char *uri, const char *nonce,
			    const char *nc_text, const char *cnonce, const char *qop, char response[HEX_MAX])
{
	char text[4096], first[HEX_MAX], second[HEX_MAX];
	int result;

	if (snprintf(text, sizeof(text), "%s:%s:%s", username, realm, password) >= (int)sizeof(text) ||
	    (result = hash_hex(algorithm, text, first)) < 0)
		goto fail;
	if (snprintf(text, sizeof(text), "%s:%s", method, uri) >= (int)sizeof(text) ||
	    (result = hash_hex(algorithm, text, second)) < 0)
		goto fail;
	if (snprintf(text, sizeof(text), "%s:%s:%s:%s:%s:%s", first, nonce, nc_text, cnonce, qop, second) >=
	    (int)sizeof(text))
		goto fail;
	result = hash_hex(algorithm, text, response);
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(first, sizeof(first));
	return result;
fail:
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(first, sizeof(first));
	return -EINVAL;
}

/* Whether the authorization's uri names the request's path (absolute URIs
 * and a query string allowed). */
static bool uri_matches(const char *uri, const char *path)
{
	const char *scheme_end = strstr(uri, "://");
	size_t length;

	if (scheme_end && scheme_end < uri + strcspn(uri, "/?")) {
		uri = strchr(scheme_end + 3, '/');
		if (!uri)
			uri = "/";
	}
	length = strcspn(uri, "?#");
	return strlen(path) == length && strncmp(uri, path, length) == 0;
}

enum digest_verdict digest_verify(struct digest_nonces *nonces, const struct digest_authorization *authorization,
				  const char *method, const char *path, const char *realm, unsigned int algorithms,
				  const char *password, uint64_t now_ms)
{
	enum digest_algorithm algorithm;
	char expected[HEX_MAX], presented[HEX_MAX];
	size_t length = strlen(authorization->response);

	if (authorization->userhash || strcmp(authorization->realm, realm) != 0 ||
	    strcasecmp(authorization->qop, "auth") != 0 || algorithm_named(authorization->algorithm, &algorithm) < 0 ||
	    !(algorithms & algorithm) || !uri_matches(authorization->uri, path) || length >= sizeof(presented))
		return DIGEST_REFUSED;
	if (compute_response(algorithm, authorization->username, realm, password, method, authorization->uri,
			     authorization->nonce, authorization->nc_text, authorization->cnonce, authorization->qop,
			     expected) < 0)
		return DIGEST_REFUSED;
	for (size_t i = 0; i <= length; i++)
		presented[i] = (char)tolower((unsigned char)authorization->response[i]);
	if (length != strlen(expected) || CRYPTO_memcmp(expected, presented, length) != 0)
		return DIGEST_REFUSED;
	return digest_nonce_use(nonces, authorization->nonce, authorization->nc, now_ms) == 0 ? DIGEST_ACCEPTED
											      : DIGEST_STALE;
}

/* Appends a quoted-string (escaping '"' and '\'); false when out is full. */
static bool append_quoted(char *out, size_t size, size_t *used, const char *value)
{
	if (*used + 1 >= size)
		return false;
	out[(*used)++] = '"';
	for (const char *c = value; *c; c++) {
		if (*used + 3 >= size)
			return false;
		if (*c == '"' || *c == '\\')
			out[(*used)++] = '\\';
		out[(*used)++] = *c;
	}
	out[(*used)++] = '"';
	out[*used] = '\0';
	return true;
}

static bool append_text(char *out, size_t size, size_t *used, const char *text)
{
	int written = snprintf(out + *used, size - *used, "%s", text);

	if (written < 0 || (size_t)written >= size - *used)
		return false;
	*used += (size_t)written;
	return true;
}

int digest_challenge(const char *realm, enum digest_algorithm algorithm, const char *nonce, const char *opaque,
		     bool stale, char *out, size_t size)
{
	size_t used = 0;
	bool fits = append_text(out, size, &used, "Digest realm=") && append_quoted(out, size, &used, realm) &&
		    append_text(out, size, &used, ", qop=\"auth\", algorithm=") &&
		    append_text(out, size, &used, digest_algorithm_name(algorithm)) &&
		    append_text(out, size, &used, ", nonce=") && append_quoted(out, size, &used, nonce) &&
		    append_text(out, size, &used, ", opaque=") && append_quoted(out, size, &used, opaque) &&
		    (!stale || append_text(out, size, &used, ", stale=true"));

	return fits ? 0 : -ENOSPC;
}

int digest_challenges(struct digest_nonces *nonces, const char *realm, const enum digest_algorithm *algorithms,
		      size_t count, bool stale, uint64_t now_ms, char values[][DIGEST_CHALLENGE_SIZE])
{
	char nonce[DIGEST_NONCE_SIZE];
	int result = digest_nonce_issue(nonces, now_ms, nonce);

	for (size_t i = 0; i < count && result == 0; i++)
		result = digest_challenge(realm, algorithms[i], nonce, digest_nonces_opaque(nonces), stale, values[i],
					  DIGEST_CHALLENGE_SIZE);
	return result < 0 ? result : (int)count;
}

int digest_parse_challenge(const char *header, struct digest_challenge_fields *challenge)
{
	static const struct field fields[] = {
		CHALLENGE_FIELD(realm), CHALLENGE_FIELD(nonce),	    CHALLENGE_FIELD(opaque),
		CHALLENGE_FIELD(qop),	CHALLENGE_FIELD(algorithm), RECORD_FIELD(challenge_record, "stale", stale),
	};
	struct challenge_record record;
	struct field_target target = { &record, fields, sizeof(fields) / sizeof(fields[0]), 0 };
	enum digest_algorithm algorithm;
	char qop[64], *word, *save = NULL;
	bool auth = false;

	memset(&record, 0, sizeof(record));
	memset(challenge, 0, sizeof(*challenge));
	if (parse_parameters(header, "Digest", set_field, &target) < 0)
		return -EINVAL;
	record.fields.stale = strcasecmp(record.stale, "true") == 0;
	snprintf(qop, sizeof(qop), "%s", record.fields.qop);
	for (word = strtok_r(qop, ", ", &save); word; word = strtok_r(NULL, ", ", &save))
		auth |= strcasecmp(word, "auth") == 0;
	if (!record.fields.nonce[0] || !auth || algorithm_named(record.fields.algorithm, &algorithm) < 0)
		return -EINVAL;
	*challenge = record.fields;
	return 0;
}

int digest_authorization(const struct digest_challenge_fields *challenge, const char *username,
			 const char *password, const char *method, const char *uri, uint32_t nc, const char *cnonce,
			 char *out, size_t size)
{
	enum digest_algorithm algorithm;
	char response[HEX_MAX], nc_text[16];
	size_t used = 0;
	bool fits;

	if (algorithm_named(challenge->algorithm, &algorithm) < 0)
		return -EINVAL;
	snprintf(nc_text, sizeof(nc_text), "%08x", nc);
	if (compute_response(algorithm, username, challenge->realm, password, method, uri, challenge->nonce, nc_text,
			     cnonce, "auth", response) < 0)
		return -EINVAL;
	fits = append_text(out, size, &used, "Digest username=") && append_quoted(out, size, &used, username) &&
	       append_text(out, size, &used, ", realm=") && append_quoted(out, size, &used, challenge->realm) &&
	       append_text(out, size, &used, ", nonce=") && append_quoted(out, size, &used, challenge->nonce) &&
	       append_text(out, size, &used, ", uri=") && append_quoted(out, size, &used, uri) &&
	       append_text(out, size, &used, ", algorithm=") &&
	       append_text(out, size, &used, digest_algorithm_name(algorithm)) &&
	       append_text(out, size, &used, ", response=") && append_quoted(out, size, &used, response) &&
	       append_text(out, size, &used, ", qop=auth, nc=") && append_text(out, size, &used, nc_text) &&
	       append_text(out, size, &used, ", cnonce=") && append_quoted(out, size, &used, cnonce) &&
	       (!challenge->opaque[0] ||
		(append_text(out, size, &used, ", opaque=") && append_quoted(out, size, &used, challenge->opaque)));
	return fits ? 0 : -ENOSPC;
}
