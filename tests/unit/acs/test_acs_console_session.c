/* Unit tests for the web console's logins: random ids and CSRF tokens,
 * lookup only of live sessions (expiry), logout, the oldest session making
 * room when the table is full, and the constant-time comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "acs/console_session.h"

static void test_open_find_close(void **state)
{
	struct console_sessions sessions;
	char id[CONSOLE_TOKEN_SIZE], csrf[CONSOLE_TOKEN_SIZE], found[CONSOLE_TOKEN_SIZE];
	char other_id[CONSOLE_TOKEN_SIZE], other_csrf[CONSOLE_TOKEN_SIZE];

	(void)state;
	console_sessions_init(&sessions, 1000);
	assert_int_equal(console_session_open(&sessions, 5000, id, csrf), 0);
	assert_int_equal(strlen(id), 32);
	assert_int_equal(strspn(id, "0123456789abcdef"), 32);
	assert_string_not_equal(id, csrf);
	assert_true(console_session_find(&sessions, id, 5999, found));
	assert_string_equal(found, csrf);
	assert_false(console_session_find(&sessions, id, 6000, NULL)); /* expired */
	assert_false(console_session_find(&sessions, csrf, 5500, NULL)); /* the CSRF token is no session id */
	assert_false(console_session_find(&sessions, "", 5500, NULL));
	assert_false(console_session_find(&sessions, NULL, 5500, NULL));
	id[31] = id[31] == '0' ? '1' : '0';
	assert_false(console_session_find(&sessions, id, 5500, NULL)); /* one digit off */
	assert_int_equal(console_session_open(&sessions, 5000, other_id, other_csrf), 0);
	assert_string_not_equal(other_id, id);
	console_session_close(&sessions, other_id);
	assert_false(console_session_find(&sessions, other_id, 5500, NULL));
	console_sessions_destroy(&sessions);
}

static void test_full_table_drops_the_oldest(void **state)
{
	struct console_sessions sessions;
	char ids[CONSOLE_SESSIONS + 1][CONSOLE_TOKEN_SIZE], csrf[CONSOLE_TOKEN_SIZE];

	(void)state;
	console_sessions_init(&sessions, 1000000);
	for (int i = 0; i <= CONSOLE_SESSIONS; i++)
		assert_int_equal(console_session_open(&sessions, (uint64_t)(100 + i), ids[i], csrf), 0);
	assert_false(console_session_find(&sessions, ids[0], 200, NULL)); /* the oldest made room */
	for (int i = 1; i <= CONSOLE_SESSIONS; i++)
		assert_true(console_session_find(&sessions, ids[i], 200, NULL));
	console_sessions_destroy(&sessions);
}

static void test_secret_equal(void **state)
{
	(void)state;
	assert_true(console_secret_equal("abc", "abc"));
	assert_false(console_secret_equal("abc", "abd"));
	assert_false(console_secret_equal("abc", "ab"));
	assert_false(console_secret_equal("abc", "abcd"));
	assert_false(console_secret_equal("abc", NULL));
	assert_false(console_secret_equal("", "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_find_close),
		cmocka_unit_test(test_full_table_drops_the_oldest),
		cmocka_unit_test(test_secret_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
