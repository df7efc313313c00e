/* The Digest nonce table (see digest_auth.h): a ring of slots, each
 * holding one nonce's random part, when it was issued and the highest
 * nonce count accepted with it. A nonce names its slot in its first 8 hex
 * digits, so a lookup is one comparison (constant time) and no hash table
 * is needed; a slot reused for a newer nonce makes the older one unknown
 * (stale). */
#include "common/digest_auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#define RANDOM_BYTES 16

struct nonce_slot {
	unsigned char random[RANDOM_BYTES];
	uint64_t issued_ms;
	uint32_t last_nc; /* 0: not used yet */
	bool used;
};

struct digest_nonces {
	pthread_mutex_t lock;
	struct nonce_slot *slots;
	size_t capacity, next;
	uint64_t lifetime_ms;
	char opaque[33];
};

static void to_hex(const unsigned char *bytes, size_t count, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < count; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * count] = '\0';
}

static int from_hex(const char *hex, unsigned char *bytes, size_t count)
{
	for (size_t i = 0; i < 2 * count; i++) {
		char c = hex[i];
		int value = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (value < 0)
			return -EINVAL;
		if (i % 2 == 0)
			bytes[i / 2] = (unsigned char)(value << 4);
		else
			bytes[i / 2] |= (unsigned char)value;
	}
	return 0;
}

int digest_nonces_new(size_t capacity, uint64_t lifetime_ms, struct digest_nonces **result)
{
	struct digest_nonces *nonces;
	unsigned char opaque[16];

	*result = NULL;
	if (capacity == 0 || capacity > 0xffffffffu || lifetime_ms == 0)
		return -EINVAL;
	if (getrandom(opaque, sizeof(opaque), 0) != sizeof(opaque))
		return -EIO;
	nonces = calloc(1, sizeof(*nonces));
	if (!nonces)
		return -ENOMEM;
	nonces->slots = calloc(capacity, sizeof(*nonces->slots));
	if (!nonces->slots) {
		free(nonces);
		return -ENOMEM;
	}
	pthread_mutex_init(&nonces->lock, NULL);
	nonces->capacity = capacity;
	nonces->lifetime_ms = lifetime_ms;
	to_hex(opaque, sizeof(opaque), nonces->opaque);
	*result = nonces;
	return 0;
}

void digest_nonces_free(struct digest_nonces *nonces)
{
	if (!nonces)
		return;
	pthread_mutex_destroy(&nonces->lock);
	OPENSSL_cleanse(nonces->slots, nonces->capacity * sizeof(*nonces->slots));
	free(nonces->slots);
	free(nonces);
}

const char *digest_nonces_opaque(const struct digest_nonces *nonces)
{
	return nonces->opaque;
}

int digest_nonce_issue(struct digest_nonces *nonces, uint64_t now_ms, char nonce[DIGEST_NONCE_SIZE])
{
	unsigned char random_bytes[RANDOM_BYTES];
	struct nonce_slot *slot;
	size_t index;

	if (getrandom(random_bytes, sizeof(random_bytes), 0) != sizeof(random_bytes))
		return -EIO;
	pthread_mutex_lock(&nonces->lock);
	index = nonces->next;
	nonces->next = (nonces->next + 1) % nonces->capacity;
	slot = &nonces->slots[index];
	memcpy(slot->random, random_bytes, sizeof(random_bytes));
	slot->issued_ms = now_ms;
	slot->last_nc = 0;
	slot->used = true;
	pthread_mutex_unlock(&nonces->lock);
	snprintf(nonce, DIGEST_NONCE_SIZE, "%08zx", index);
	to_hex(random_bytes, sizeof(random_bytes), nonce + 8);
	return 0;
}

int digest_nonce_use(struct digest_nonces *nonces, const char *nonce, uint32_t nc, uint64_t now_ms)
{
	unsigned char index_bytes[4], random_bytes[RANDOM_BYTES];
	struct nonce_slot *slot;
	size_t index;
	int result = -ESTALE;

	if (strlen(nonce) != DIGEST_NONCE_SIZE - 1 || from_hex(nonce, index_bytes, 4) < 0 ||
	    from_hex(nonce + 8, random_bytes, RANDOM_BYTES) < 0 || nc == 0)
		return -ESTALE;
	index = (size_t)index_bytes[0] << 24 | (size_t)index_bytes[1] << 16 | (size_t)index_bytes[2] << 8 | index_bytes[3];
	if (index >= nonces->capacity)
		return -ESTALE;
	pthread_mutex_lock(&nonces->lock);
	slot = &nonces->slots[index];
	if (slot->used && CRYPTO_memcmp(slot->random, random_bytes, RANDOM_BYTES) == 0 &&
	    now_ms - slot->issued_ms < nonces->lifetime_ms && nc > slot->last_nc) {
		slot->last_nc = nc;
		result = 0;
	}
	pthread_mutex_unlock(&nonces->lock);
	return result;
}
