/* The web console's files (userspace/acs/web/), compiled into cascade-acs
 * at build time by userspace/acs/web/embed.sh (see acs.mk): nothing is read
 * from disk or fetched from elsewhere at run time. */
#ifndef CASCADE_ACS_WEB_ASSETS_H
#define CASCADE_ACS_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;         /* "/" for index.html, "/console/NAME" for the others */
	const char *content_type;
	const unsigned char *data;
	size_t size;
};

extern const struct web_asset web_assets[];
extern const size_t web_asset_count;

#endif
