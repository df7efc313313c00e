/* libFuzzer harness for the SHA256SUMS parser (cascade-master reads it at
 * every reload; cascade-cpe rewrites it when it publishes). Properties
 * checked besides memory safety: every accepted name is a valid plain file
 * name (no traversal can come out of a manifest), the parsed manifest
 * renders and parses back to the same entries, and every entry is found
 * by name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest manifest = { 0 }, again = { 0 };
	char *copy, *text = NULL;
	size_t length = 0;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (manifest_parse(copy, size, &manifest) != 0)
		goto out;
	for (size_t i = 0; i < manifest.count; i++) {
		const char *name = manifest.entries[i].name;

		if (!manifest_name_is_valid(name, strlen(name)) || strchr(name, '/') != NULL)
			abort();
		if (manifest_find(&manifest, name) != &manifest.entries[i])
			abort();
	}
	if (manifest_format(&manifest, &text, &length) != 0)
		goto out;
	if (manifest_parse(text, length, &again) != 0 || again.count != manifest.count || again.rejected_lines != 0)
		abort(); /* what we write we must read back whole */
	for (size_t i = 0; i < manifest.count; i++) {
		const struct manifest_entry *entry = manifest_find(&again, manifest.entries[i].name);

		if (!entry || memcmp(entry->sha256, manifest.entries[i].sha256, sizeof(entry->sha256)) != 0)
			abort();
	}
out:
	manifest_free(&again);
	manifest_free(&manifest);
	free(text);
	free(copy);
	return 0;
}
