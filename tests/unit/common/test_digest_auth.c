/* Unit tests for cascade's HTTP Digest (RFC 7616): the RFC's MD5 and
 * SHA-256 examples, a full challenge / authorization / verify round trip,
 * replayed nonce counts refused as stale (and a wrong password not burning
 * a count), expired, evicted and foreign nonces, a wrong password, realm,
 * URI or algorithm refused, and malformed headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/digest_auth.h"

#define REALM "cascade"

/* RFC 7616 section 3.9.1 */
static void rfc_7616_examples(void **state)
{
	struct digest_challenge_fields challenge = {
		.realm = "http-auth@example.org",
		.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		.opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
		.qop = "auth",
	};
	const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	char header[1024];

	(void)state;
	snprintf(challenge.algorithm, sizeof(challenge.algorithm), "MD5");
	assert_int_equal(digest_authorization(&challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1,
					      cnonce, header, sizeof(header)),
			 0);
	assert_non_null(strstr(header, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	assert_non_null(strstr(header, "nc=00000001"));
	snprintf(challenge.algorithm, sizeof(challenge.algorithm), "SHA-256");
	assert_int_equal(digest_authorization(&challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1,
					      cnonce, header, sizeof(header)),
			 0);
	assert_non_null(strstr(header, "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
	assert_non_null(strstr(header, "algorithm=SHA-256"));
}

/* What a client sends after the server's challenge. */
static void answer(struct digest_nonces *nonces, enum digest_algorithm algorithm, const char *password, uint32_t nc,
		   const char *uri, uint64_t now_ms, char *header, size_t size)
{
	char nonce[DIGEST_NONCE_SIZE], challenge_text[512];
	struct digest_challenge_fields challenge;

	assert_int_equal(digest_nonce_issue(nonces, now_ms, nonce), 0);
	assert_int_equal(digest_challenge(REALM, algorithm, nonce, digest_nonces_opaque(nonces), false, challenge_text,
					  sizeof(challenge_text)),
			 0);
	assert_int_equal(digest_parse_challenge(challenge_text, &challenge), 0);
	assert_false(challenge.stale);
	assert_string_equal(challenge.nonce, nonce);
	assert_int_equal(digest_authorization(&challenge, "cpe", password, "POST", uri, nc, "c1", header, size), 0);
}

static enum digest_verdict verify(struct digest_nonces *nonces, const char *header, const char *password,
				  unsigned int algorithms, uint64_t now_ms)
{
	struct digest_authorization authorization;

	assert_int_equal(digest_parse_authorization(header, &authorization), 0);
	return digest_verify(nonces, &authorization, "POST", "/acs", REALM, algorithms, password, now_ms);
}

/* The same nonce with another count: rewrites nc= and the response. */
static void with_count(const char *header, uint32_t nc, const char *password, char *out, size_t size)
{
	struct digest_authorization parsed;
	struct digest_challenge_fields challenge = { .realm = REALM, .qop = "auth" };

	assert_int_equal(digest_parse_authorization(header, &parsed), 0);
	snprintf(challenge.nonce, sizeof(challenge.nonce), "%s", parsed.nonce);
	snprintf(challenge.opaque, sizeof(challenge.opaque), "%s", parsed.opaque);
	snprintf(challenge.algorithm, sizeof(challenge.algorithm), "%s", parsed.algorithm);
	assert_int_equal(digest_authorization(&challenge, "cpe", password, "POST", parsed.uri, nc, "c2", out, size), 0);
}

static void round_trip_and_replay(void **state)
{
	struct digest_nonces *nonces;
	char header[1024], next[1024];

	(void)state;
	assert_int_equal(digest_nonces_new(16, 60000, &nonces), 0);
	for (int pass = 0; pass < 2; pass++) {
		enum digest_algorithm algorithm = pass ? DIGEST_SHA256 : DIGEST_MD5;

		answer(nonces, algorithm, "s3cret", 1, "/acs", 1000, header, sizeof(header));
		assert_int_equal(verify(nonces, header, "s3cret", DIGEST_MD5 | DIGEST_SHA256, 1000), DIGEST_ACCEPTED);
		/* the captured header again, at once or later: refused, but not a failed login */
		assert_int_equal(verify(nonces, header, "s3cret", DIGEST_MD5 | DIGEST_SHA256, 1000), DIGEST_STALE);
		assert_int_equal(verify(nonces, header, "s3cret", DIGEST_MD5 | DIGEST_SHA256, 50000), DIGEST_STALE);
		/* a wrong password is refused and does not use up the next count */
		with_count(header, 2, "wrong", next, sizeof(next));
		assert_int_equal(verify(nonces, next, "s3cret", DIGEST_MD5 | DIGEST_SHA256, 2000), DIGEST_REFUSED);
		with_count(header, 2, "s3cret", next, sizeof(next));
		assert_int_equal(verify(nonces, next, "s3cret", DIGEST_MD5 | DIGEST_SHA256, 2000), DIGEST_ACCEPTED);
		/* counts only go up */
		with_count(header, 1, "s3cret", next, sizeof(next));
		assert_int_equal(verify(nonces, next, "s3cret", DIGEST_MD5 | DIGEST_SHA256, 2000), DIGEST_STALE);
		with_count(header, 7, "s3cret", next, sizeof(next));
		assert_int_equal(verify(nonces, next, "s3cret", DIGEST_MD5 | DIGEST_SHA256, 2000), DIGEST_ACCEPTED);
		/* only the algorithms offered */
		with_count(header, 8, "s3cret", next, sizeof(next));
		assert_int_equal(verify(nonces, next, "s3cret", algorithm == DIGEST_MD5 ? DIGEST_SHA256 : DIGEST_MD5, 2000),
				 DIGEST_REFUSED);
	}
	digest_nonces_free(nonces);
}

static void expired_evicted_and_foreign_nonces(void **state)
{
	struct digest_nonces *nonces;
	char first[1024], header[1024];

	(void)state;
	assert_int_equal(digest_nonces_new(2, 10000, &nonces), 0);
	answer(nonces, DIGEST_MD5, "s3cret", 1, "/acs", 1000, header, sizeof(header));
	assert_int_equal(verify(nonces, header, "s3cret", DIGEST_MD5, 11000), DIGEST_STALE); /* expired */
	answer(nonces, DIGEST_MD5, "s3cret", 1, "/acs", 20000, first, sizeof(first));
	answer(nonces, DIGEST_MD5, "s3cret", 1, "/acs", 20000, header, sizeof(header));
	answer(nonces, DIGEST_MD5, "s3cret", 1, "/acs", 20000, header, sizeof(header));
	assert_int_equal(verify(nonces, first, "s3cret", DIGEST_MD5, 20000), DIGEST_STALE); /* its slot was reused */
	assert_int_equal(verify(nonces, header, "s3cret", DIGEST_MD5, 20000), DIGEST_ACCEPTED);
	/* a nonce this table never issued, with the right digest: stale */
	assert_int_equal(digest_nonce_use(nonces, "00000000ffffffffffffffffffffffffffffffff", 1, 20000), -ESTALE);
	assert_int_equal(digest_nonce_use(nonces, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", 1, 20000), -ESTALE);
	assert_int_equal(digest_nonce_use(nonces, "ffffffff00000000000000000000000000000000", 1, 20000), -ESTALE);
	digest_nonces_free(nonces);
}

static void wrong_realm_uri_and_qop(void **state)
{
	struct digest_nonces *nonces;
	struct digest_authorization authorization;
	char header[1024];

	(void)state;
	assert_int_equal(digest_nonces_new(8, 60000, &nonces), 0);
	answer(nonces, DIGEST_MD5, "s3cret", 1, "/other", 0, header, sizeof(header));
	assert_int_equal(verify(nonces, header, "s3cret", DIGEST_MD5, 0), DIGEST_REFUSED);
	answer(nonces, DIGEST_MD5, "s3cret", 1, "http://acs.example:7547/acs?x=1", 0, header, sizeof(header));
	assert_int_equal(verify(nonces, header, "s3cret", DIGEST_MD5, 0), DIGEST_ACCEPTED); /* absolute URI, query */
	answer(nonces, DIGEST_MD5, "s3cret", 1, "/acs", 0, header, sizeof(header));
	assert_int_equal(digest_parse_authorization(header, &authorization), 0);
	assert_int_equal(digest_verify(nonces, &authorization, "POST", "/acs", "other-realm", DIGEST_MD5, "s3cret", 0),
			 DIGEST_REFUSED);
	authorization.userhash = true;
	assert_int_equal(digest_verify(nonces, &authorization, "POST", "/acs", REALM, DIGEST_MD5, "s3cret", 0),
			 DIGEST_REFUSED);
	/* RFC 2069 style (no qop, no nc): refused */
	assert_int_equal(digest_parse_authorization("Digest username=\"cpe\", realm=\"cascade\", nonce=\"n\", uri=\"/acs\", "
						     "response=\"0123\"",
						     &authorization),
			 0);
	assert_int_equal(digest_verify(nonces, &authorization, "POST", "/acs", REALM, DIGEST_MD5, "s3cret", 0),
			 DIGEST_REFUSED);
	digest_nonces_free(nonces);
}

static void malformed_headers(void **state)
{
	struct digest_authorization authorization;
	struct digest_challenge_fields challenge;
	char long_header[3000];
	static const char *bad[] = {
		"Basic Y3BlOnMzY3JldA==",
		"Digest",
		"Digestusername=\"a\"",
		"Digest username=\"a, realm=\"r\"",
		"Digest username=\"a\", username=\"b\", nonce=\"n\", uri=\"/\", response=\"r\"",
		"Digest username=\"a\", nonce=\"n\", uri=\"/\"",
		"Digest username=\"a\", nonce=\"n\", uri=\"/\", response=\"r\", qop=auth, nc=1, cnonce=\"c\"",
		"Digest username=\"a\", nonce=\"n\", uri=\"/\", response=\"r\", qop=auth, nc=0000000g, cnonce=\"c\"",
		"Digest username=\"a\", nonce=\"n\", uri=\"/\", response=\"r\", qop=auth, nc=00000001",
		"Digest username=\"a\" nonce=\"n\"",
		"Digest =\"a\"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (digest_parse_authorization(bad[i], &authorization) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	snprintf(long_header, sizeof(long_header), "Digest username=\"%02000d\", nonce=\"n\", uri=\"/\", response=\"r\"", 0);
	assert_int_equal(digest_parse_authorization(long_header, &authorization), -EINVAL);
	assert_int_equal(digest_parse_authorization(NULL, &authorization), -EINVAL);
	/* escapes in quoted strings; case-insensitive names */
	assert_int_equal(digest_parse_authorization("digest USERNAME=\"a\\\"b\", Nonce=n1, uri=\"/\", response=\"r\"",
						    &authorization),
			 0);
	assert_string_equal(authorization.username, "a\"b");
	assert_string_equal(authorization.nonce, "n1");
	/* challenges */
	assert_int_equal(digest_parse_challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth,auth-int\", stale=TRUE",
						&challenge),
			 0);
	assert_true(challenge.stale);
	assert_int_equal(digest_parse_challenge("Digest realm=\"r\", nonce=\"n\"", &challenge), -EINVAL); /* no qop */
	assert_int_equal(digest_parse_challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth\", algorithm=SHA-512-256",
						&challenge),
			 -EINVAL);
	assert_int_equal(digest_parse_challenge("Basic realm=\"r\"", &challenge), -EINVAL);
}

static void challenge_text_and_algorithm_lists(void **state)
{
	struct digest_challenge_fields challenge;
	enum digest_algorithm algorithms[4];
	size_t count;
	char text[256];

	(void)state;
	assert_int_equal(digest_challenge("a \"quoted\" realm", DIGEST_SHA256, "abc", "def", true, text, sizeof(text)), 0);
	assert_string_equal(text, "Digest realm=\"a \\\"quoted\\\" realm\", qop=\"auth\", algorithm=SHA-256, "
				  "nonce=\"abc\", opaque=\"def\", stale=true");
	assert_int_equal(digest_parse_challenge(text, &challenge), 0);
	assert_string_equal(challenge.realm, "a \"quoted\" realm");
	assert_string_equal(challenge.algorithm, "SHA-256");
	assert_true(challenge.stale);
	assert_int_equal(digest_challenge("r", DIGEST_MD5, "abc", "def", false, text, 20), -ENOSPC);
	assert_int_equal(digest_parse_algorithm_list("SHA-256, md5", algorithms, 4, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(algorithms[0], DIGEST_SHA256);
	assert_int_equal(algorithms[1], DIGEST_MD5);
	assert_int_equal(digest_parse_algorithm_list("MD5,MD5", algorithms, 4, &count), -EINVAL);
	assert_int_equal(digest_parse_algorithm_list("SHA-1", algorithms, 4, &count), -EINVAL);
	assert_int_equal(digest_parse_algorithm_list("", algorithms, 4, &count), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc_7616_examples),
		cmocka_unit_test(round_trip_and_replay),
		cmocka_unit_test(expired_evicted_and_foreign_nonces),
		cmocka_unit_test(wrong_realm_uri_and_qop),
		cmocka_unit_test(malformed_headers),
		cmocka_unit_test(challenge_text_and_algorithm_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
