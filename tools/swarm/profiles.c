/* cascade-swarm's device profiles (--profile NAME=SHARE,...): which
 * simulated devices behave like the stock CPEs in the field, and the
 * pieces of those behaviours that are not a flag elsewhere (the sloppy
 * fault envelopes, cookie and namespace choices). Shares are of all
 * devices, given exactly (not by chance) to devices that are not file
 * servers, in a shuffled order (--seed), and each profile's devices are
 * split evenly over its variants. */
#include "swarm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned int variants;
} profiles[PROFILE_COUNT] = {
	[PROFILE_IDEAL] = { "ideal", 1 },
	[PROFILE_PARTIAL_PATH] = { "partial-path", 3 },
	[PROFILE_SLOPPY_FAULT] = { "sloppy-fault", 3 },
	[PROFILE_LATE_TRANSFER] = { "late-transfer-complete", 1 },
	[PROFILE_STALLING] = { "stalling", 1 },
	[PROFILE_SPV_FAULT] = { "spv-fault", 2 },
	[PROFILE_NONCE_REUSE] = { "nonce-reuse", 1 },
	[PROFILE_LEGACY] = { "legacy", 5 },
};

const char *swarm_profile_name(enum swarm_profile profile)
{
	return (unsigned int)profile < PROFILE_COUNT ? profiles[profile].name : "?";
}

static int parse_shares(const char *text, double shares[PROFILE_COUNT])
{
	char copy[1024], *word, *save = NULL;

	if (snprintf(copy, sizeof(copy), "%s", text) >= (int)sizeof(copy))
		goto bad;
	for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		char *equals = strchr(word, '='), *end;
		int found = -1;
		double share;

		if (!equals)
			goto bad;
		*equals = '\0';
		for (int p = 0; p < PROFILE_COUNT; p++)
			if (strcmp(word, profiles[p].name) == 0)
				found = p;
		share = strtod(equals + 1, &end);
		if (found < 0 || end == equals + 1 || *end || !isfinite(share) || share < 0 || share > 1)
			goto bad;
		shares[found] = share;
	}
	return 0;
bad:
	fprintf(stderr, "cascade-swarm: --profile wants NAME=SHARE,... (SHARE 0..1) with NAME one of");
	for (int p = 0; p < PROFILE_COUNT; p++)
		fprintf(stderr, " %s", profiles[p].name);
	fprintf(stderr, "; not \"%s\"\n", text);
	return -EINVAL;
}

/* What a profile changes in the device's make-up. */
static void apply(struct swarm_device *device, enum swarm_profile profile, unsigned int variant)
{
	device->profile = profile;
	device->variant = variant;
	switch (profile) {
	case PROFILE_PARTIAL_PATH: /* a stock CPE: no X_CASCADE_, no occupancy in its Inform */
		device->stock = true;
		device->cascade = false;
		break;
	case PROFILE_SLOPPY_FAULT: /* reports X_CASCADE_ attributes but takes no parameter */
	case PROFILE_SPV_FAULT:    /* takes X_CASCADE_MasterURL but not an empty Download URL */
		device->stock = false;
		device->cascade = true;
		break;
	case PROFILE_LEGACY:
		if (variant == LEGACY_NO_IMAGE_CHECK)
			device->hashing = false;
		break;
	default:
		break;
	}
}

int swarm_profiles_assign(struct swarm *swarm)
{
	double shares[PROFILE_COUNT] = { 0 };
	unsigned int *order, candidates = 0, cursor = 0, random_state = swarm->options.seed + 7;
	int result = 0;

	for (unsigned int i = 0; i < swarm->options.devices; i++)
		swarm->stats.profiles[PROFILE_IDEAL].devices++;
	if (!swarm->options.profiles)
		return 0;
	if (parse_shares(swarm->options.profiles, shares) < 0)
		return -EINVAL;
	order = calloc(swarm->options.devices, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (unsigned int i = 0; i < swarm->options.devices; i++)
		if (!swarm->devices[i].file_server)
			order[candidates++] = i;
	for (unsigned int i = candidates; i > 1; i--) {
		unsigned int j = (unsigned int)rand_r(&random_state) % i, kept = order[i - 1];

		order[i - 1] = order[j];
		order[j] = kept;
	}
	for (int p = PROFILE_IDEAL + 1; p < PROFILE_COUNT && result == 0; p++) {
		unsigned int count = (unsigned int)llround(shares[p] * swarm->options.devices);

		if (cursor + count > candidates) {
			fprintf(stderr, "cascade-swarm: --profile asks for more devices than the %u that are not file servers\n",
				candidates);
			result = -EINVAL;
			break;
		}
		for (unsigned int k = 0; k < count; k++)
			apply(&swarm->devices[order[cursor++]], (enum swarm_profile)p, k % profiles[p].variants);
		swarm->stats.profiles[p].devices = count;
		swarm->stats.profiles[PROFILE_IDEAL].devices -= count;
	}
	free(order);
	return result;
}

bool swarm_profile_sends_cookie(const struct swarm *swarm, const struct swarm_device *device)
{
	return !swarm->options.no_cookies && !(device->profile == PROFILE_LEGACY && device->variant == LEGACY_NO_COOKIES);
}

bool swarm_profile_echoes_cookie(const struct swarm_device *device)
{
	return device->profile == PROFILE_LEGACY && device->variant == LEGACY_COOKIE_ECHO;
}

enum cwmp_version swarm_profile_version(const struct swarm_device *device)
{
	return device->profile == PROFILE_LEGACY && device->variant == LEGACY_CWMP_1_0 ? CWMP_VERSION_1_0
										      : CWMP_VERSION_1_2;
}

char *swarm_sloppy_fault_envelope(unsigned int variant, const char *id, unsigned int code, size_t *length)
{
	const char *string = cwmp_fault_string(code);
	char *text = NULL;
	int written;

	switch (variant % 3) {
	case 0: /* the envelope declared as SOAP-ENV, the fault written soap: */
		written = asprintf(&text,
				   "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
				   "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><SOAP-ENV:Header><cwmp:ID "
				   "SOAP-ENV:mustUnderstand=\"1\">%s</cwmp:ID></SOAP-ENV:Header><SOAP-ENV:Body><soap:Fault>"
				   "<faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault>"
				   "<FaultCode>%u</FaultCode><FaultString>%s</FaultString></cwmp:Fault></detail></soap:Fault>"
				   "</SOAP-ENV:Body></SOAP-ENV:Envelope>",
				   id ? id : "", code, string);
		break;
	case 1: /* the envelope namespace under an odd prefix, cwmp: never declared */
		written = asprintf(&text,
				   "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body><e:Fault>"
				   "<faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault>"
				   "<cwmp:FaultCode>%u</cwmp:FaultCode><cwmp:FaultString>%s</cwmp:FaultString></cwmp:Fault>"
				   "</detail></e:Fault></e:Body></e:Envelope>",
				   code, string);
		break;
	default: /* nothing declared at all, the fault code without a detail */
		written = asprintf(&text,
				   "<SOAP-ENV:Envelope><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode>"
				   "<faultstring>CWMP fault</faultstring><FaultCode>%u</FaultCode><FaultString>%s"
				   "</FaultString></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
				   code, string);
		break;
	}
	if (written < 0)
		return NULL;
	*length = (size_t)written;
	return text;
}
