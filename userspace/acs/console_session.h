/* Logins of the web console: the operator gives the API token once, in a
 * form, and gets a session: a random 128-bit id in an HttpOnly,
 * SameSite=Strict cookie, and a second random value, the CSRF token, that
 * the page sends back in the X-CSRF-Token header of every change. Sessions
 * live in memory (a restart logs everyone out), at most CONSOLE_SESSIONS at
 * once (the oldest goes first), each for [acs] console-session-lifetime.
 * Thread-safe. */
#ifndef CASCADE_ACS_CONSOLE_SESSION_H
#define CASCADE_ACS_CONSOLE_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define CONSOLE_SESSIONS 64
#define CONSOLE_TOKEN_SIZE 33 /* 32 hex digits and the NUL */
#define CONSOLE_COOKIE_NAME "cascade_console"

struct console_session {
	char id[CONSOLE_TOKEN_SIZE];
	char csrf[CONSOLE_TOKEN_SIZE];
	uint64_t created_ms, expires_ms; /* monotonic */
	bool used;
};

struct console_sessions {
	pthread_mutex_t lock;
	uint64_t lifetime_ms;
	struct console_session slots[CONSOLE_SESSIONS];
	bool ready;
};

void console_sessions_init(struct console_sessions *sessions, uint64_t lifetime_ms);
void console_sessions_destroy(struct console_sessions *sessions);
/* A new session: its id and CSRF token. Returns 0 or -EIO (no randomness). */
int console_session_open(struct console_sessions *sessions, uint64_t now_ms, char id[CONSOLE_TOKEN_SIZE],
			 char csrf[CONSOLE_TOKEN_SIZE]);
/* Whether id names a live session; its CSRF token goes to csrf (may be NULL). */
bool console_session_find(struct console_sessions *sessions, const char *id, uint64_t now_ms,
			  char csrf[CONSOLE_TOKEN_SIZE]);
void console_session_close(struct console_sessions *sessions, const char *id);
/* Compares two secrets in a time that does not depend on where they differ. */
bool console_secret_equal(const char *expected, const char *given);

#endif
