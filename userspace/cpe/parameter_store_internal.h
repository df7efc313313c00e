/* Internal to the parameter store (parameter_store.c, parameter_query.c,
 * parameter_set.c, parameter_persist.c): lookups under the store's lock. */
#ifndef CASCADE_CPE_PARAMETER_STORE_INTERNAL_H
#define CASCADE_CPE_PARAMETER_STORE_INTERNAL_H

#include "cpe/parameter_store.h"

/* The parameter named exactly name, or NULL (lock held). */
struct parameter *parameter_store_find_locked(struct parameter_store *store, const char *name);
/* The parameter named root + suffix, or NULL (lock held). */
struct parameter *parameter_store_find_suffix_locked(struct parameter_store *store, const char *suffix);

#endif
