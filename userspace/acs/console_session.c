/* Web console sessions (see console_session.h). */
#include "acs/console_session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void console_sessions_init(struct console_sessions *sessions, uint64_t lifetime_ms)
{
	memset(sessions, 0, sizeof(*sessions));
	pthread_mutex_init(&sessions->lock, NULL);
	sessions->lifetime_ms = lifetime_ms;
	sessions->ready = true;
}

void console_sessions_destroy(struct console_sessions *sessions)
{
	if (!sessions->ready)
		return;
	pthread_mutex_destroy(&sessions->lock);
	memset(sessions, 0, sizeof(*sessions));
}

static int random_hex(char text[CONSOLE_TOKEN_SIZE])
{
	unsigned char bytes[(CONSOLE_TOKEN_SIZE - 1) / 2];

	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return -EIO;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(text + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

bool console_secret_equal(const char *expected, const char *given)
{
	size_t expected_length = strlen(expected), given_length = given ? strlen(given) : 0;
	unsigned char difference = given_length != expected_length;

	for (size_t i = 0; i < expected_length; i++)
		difference |= (unsigned char)(expected[i] ^ (i < given_length ? given[i] : 0));
	return difference == 0;
}

int console_session_open(struct console_sessions *sessions, uint64_t now_ms, char id[CONSOLE_TOKEN_SIZE],
			 char csrf[CONSOLE_TOKEN_SIZE])
{
	struct console_session *slot = NULL;

	if (random_hex(id) < 0 || random_hex(csrf) < 0)
		return -EIO;
	pthread_mutex_lock(&sessions->lock);
	/* a free or expired slot, else the oldest session makes room */
	for (size_t i = 0; i < CONSOLE_SESSIONS; i++) {
		struct console_session *candidate = &sessions->slots[i];

		if (!candidate->used || candidate->expires_ms <= now_ms) {
			slot = candidate;
			break;
		}
		if (!slot || candidate->created_ms < slot->created_ms)
			slot = candidate;
	}
	memcpy(slot->id, id, CONSOLE_TOKEN_SIZE);
	memcpy(slot->csrf, csrf, CONSOLE_TOKEN_SIZE);
	slot->created_ms = now_ms;
	slot->expires_ms = now_ms + sessions->lifetime_ms;
	slot->used = true;
	pthread_mutex_unlock(&sessions->lock);
	return 0;
}

/* The live session named id, or NULL; lock held. Every slot is compared,
 * so the time taken says nothing about which one matched. */
static struct console_session *lookup(struct console_sessions *sessions, const char *id, uint64_t now_ms)
{
	struct console_session *found = NULL;

	if (!id || strlen(id) != CONSOLE_TOKEN_SIZE - 1)
		return NULL;
	for (size_t i = 0; i < CONSOLE_SESSIONS; i++) {
		struct console_session *slot = &sessions->slots[i];
		bool match = console_secret_equal(slot->id, id);

		if (match && slot->used && slot->expires_ms > now_ms)
			found = slot;
	}
	return found;
}

bool console_session_find(struct console_sessions *sessions, const char *id, uint64_t now_ms,
			  char csrf[CONSOLE_TOKEN_SIZE])
{
	struct console_session *session;

	pthread_mutex_lock(&sessions->lock);
	session = lookup(sessions, id, now_ms);
	if (session && csrf)
		memcpy(csrf, session->csrf, CONSOLE_TOKEN_SIZE);
	pthread_mutex_unlock(&sessions->lock);
	return session != NULL;
}

void console_session_close(struct console_sessions *sessions, const char *id)
{
	struct console_session *session;

	pthread_mutex_lock(&sessions->lock);
	session = lookup(sessions, id, 0);
	if (session)
		memset(session, 0, sizeof(*session));
	pthread_mutex_unlock(&sessions->lock);
}
