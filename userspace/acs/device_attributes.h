/* The device attributes an operator names in grouping keys ([grouping]
 * keys) and in campaign selectors (field=value): one table of name,
 * grouping bit and field, used by the config parser, the grouping policy
 * and the selector. */
#ifndef CASCADE_ACS_DEVICE_ATTRIBUTES_H
#define CASCADE_ACS_DEVICE_ATTRIBUTES_H

#include <stddef.h>

struct device;

struct device_attribute {
	const char *name;
	unsigned int group_key_bit; /* GROUP_KEY_* (config.h) */
	size_t offset;              /* of its char * in struct device */
};

extern const struct device_attribute device_attributes[];
extern const size_t device_attribute_count;

/* The attribute called name (length bytes of it), or NULL. */
const struct device_attribute *device_attribute_named(const char *name, size_t length);
/* The device's value of the attribute, NULL when unknown. */
const char *device_attribute_value(const struct device *device, const struct device_attribute *attribute);

#endif
