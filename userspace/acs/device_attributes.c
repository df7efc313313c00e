/* The table of device attributes for grouping keys and selectors (see
 * device_attributes.h). */
#include "acs/device_attributes.h"

#include <string.h>

#include "acs/model.h"

const struct device_attribute device_attributes[] = {
	{ "manufacturer", GROUP_KEY_MANUFACTURER, offsetof(struct device, manufacturer) },
	{ "oui", GROUP_KEY_OUI, offsetof(struct device, oui) },
	{ "product_class", GROUP_KEY_PRODUCT_CLASS, offsetof(struct device, product_class) },
	{ "hardware_version", GROUP_KEY_HARDWARE_VERSION, offsetof(struct device, hardware_version) },
	{ "software_version", GROUP_KEY_SOFTWARE_VERSION, offsetof(struct device, software_version) },
	{ "location", GROUP_KEY_LOCATION, offsetof(struct device, location) },
};
const size_t device_attribute_count = sizeof(device_attributes) / sizeof(device_attributes[0]);

const struct device_attribute *device_attribute_named(const char *name, size_t length)
{
	for (size_t i = 0; i < device_attribute_count; i++)
		if (strlen(device_attributes[i].name) == length && strncmp(device_attributes[i].name, name, length) == 0)
			return &device_attributes[i];
	return NULL;
}

const char *device_attribute_value(const struct device *device, const struct device_attribute *attribute)
{
	return *(char *const *)((const char *)device + attribute->offset);
}
