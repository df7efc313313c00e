/* HTTP Digest authentication (RFC 7616, qop=auth, MD5 and SHA-256) with
 * nonces issued and tracked by cascade, for its servers (cascade-acs's CWMP
 * port, cascade-cpe's connection-request listener, cascade-swarm's) and for
 * clients that compute their own Authorization header.
 *
 * Nonces are random (128 bits), expire after a lifetime, and remember the
 * highest nonce count (nc) accepted with them: a request must carry an nc
 * above every one accepted before with the same nonce, so a captured
 * Authorization header is refused when replayed, from any address, at any
 * time. A request whose digest is right but whose nonce is unknown, expired
 * or replayed is "stale": the server answers 401 with stale=true and a new
 * nonce, and it is not a failed login (the client knows the password). The
 * table is fixed-size (a ring: a new nonce replaces the oldest), so memory
 * stays bounded whatever clients do. Thread-safe. */
#ifndef CASCADE_COMMON_DIGEST_AUTH_H
#define CASCADE_COMMON_DIGEST_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum digest_algorithm {
	DIGEST_MD5 = 1 << 0,
	DIGEST_SHA256 = 1 << 1,
};

/* 8 hex digits of slot + 32 of random, and the NUL. */
#define DIGEST_NONCE_SIZE 41

/* ---- nonce table (digest_nonces.c) ---------------------------------------- */
struct digest_nonces;

/* capacity nonces outstanding at most, each valid lifetime_ms after it was
 * issued. Returns 0 or -ENOMEM / -EINVAL / -EIO. */
int digest_nonces_new(size_t capacity, uint64_t lifetime_ms, struct digest_nonces **nonces);
void digest_nonces_free(struct digest_nonces *nonces);
/* Issues a fresh nonce into nonce; 0 or -EIO (no randomness). */
int digest_nonce_issue(struct digest_nonces *nonces, uint64_t now_ms, char nonce[DIGEST_NONCE_SIZE]);
/* Records a use of nonce with count nc: 0 when the nonce is one of ours,
 * not expired, and nc is above every count accepted with it before (nc is
 * then remembered); -ESTALE otherwise. */
int digest_nonce_use(struct digest_nonces *nonces, const char *nonce, uint32_t nc, uint64_t now_ms);
/* The opaque value every challenge of this table carries. */
const char *digest_nonces_opaque(const struct digest_nonces *nonces);

/* ---- server side (digest_auth.c) --------------------------------------------- */
struct digest_authorization {
	char username[256];
	char realm[128];
	char nonce[128];
	char uri[1024];
	char response[160];
	char cnonce[160];
	char opaque[128];
	char qop[32];
	char algorithm[32];
	char nc_text[16];
	uint32_t nc;
	bool userhash;
};

enum digest_verdict {
	DIGEST_ACCEPTED = 0,
	DIGEST_STALE,   /* right digest, but the nonce is not ours, expired, or nc was used already */
	DIGEST_REFUSED, /* wrong digest, realm, URI, algorithm or qop: a failed login */
};

/* Parses the value of an Authorization header ("Digest k=v, ..."). Returns
 * 0, or -EINVAL when it is not a well-formed Digest authorization (another
 * scheme, a field too long or given twice, a missing response/nonce/...). */
int digest_parse_authorization(const char *header, struct digest_authorization *authorization);
/* Checks a parsed authorization of a request (method, request path without
 * the query) against the password, for one of the allowed algorithms, and
 * records the nonce use. */
enum digest_verdict digest_verify(struct digest_nonces *nonces, const struct digest_authorization *authorization,
				  const char *method, const char *path, const char *realm, unsigned int algorithms,
				  const char *password, uint64_t now_ms);
/* Formats one WWW-Authenticate value: Digest realm, qop="auth", the
 * algorithm, nonce, opaque and, when stale, stale=true. 0 or -ENOSPC. */
int digest_challenge(const char *realm, enum digest_algorithm algorithm, const char *nonce, const char *opaque,
		     bool stale, char *out, size_t size);
#define DIGEST_CHALLENGE_SIZE 512
/* Issues one nonce and formats a challenge per algorithm (in the order
 * given) into values; returns how many, or a negative errno. */
int digest_challenges(struct digest_nonces *nonces, const char *realm, const enum digest_algorithm *algorithms,
		      size_t count, bool stale, uint64_t now_ms, char values[][DIGEST_CHALLENGE_SIZE]);
/* Parses "MD5,SHA-256" (order = preference, first offered first) into
 * algorithms[] (count set); 0 or -EINVAL. */
int digest_parse_algorithm_list(const char *text, enum digest_algorithm *algorithms, size_t capacity,
				size_t *count);
const char *digest_algorithm_name(enum digest_algorithm algorithm);

/* ---- client side (digest_auth.c) --------------------------------------------- */
struct digest_challenge_fields {
	char realm[128];
	char nonce[128];
	char opaque[128];
	char qop[64];
	char algorithm[32];
	bool stale;
};

/* Parses the value of a WWW-Authenticate header ("Digest k=v, ..."); 0 or
 * -EINVAL (another scheme, no nonce, an algorithm other than MD5/SHA-256,
 * no qop=auth). */
int digest_parse_challenge(const char *header, struct digest_challenge_fields *challenge);
/* Formats the Authorization value answering challenge for method and uri
 * with count nc and the client nonce cnonce. 0, -EINVAL or -ENOSPC. */
int digest_authorization(const struct digest_challenge_fields *challenge, const char *username,
			 const char *password, const char *method, const char *uri, uint32_t nc, const char *cnonce,
			 char *out, size_t size);

#endif
