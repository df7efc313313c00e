/* The TCP congestion control of a server's connections. On a host whose
 * default is bbr and whose egress has no fq qdisc (loopback, most
 * gateways), the kernel paces every bbr connection itself with a
 * high-resolution timer: one timer interrupt and one softirq for every
 * few segments. A master's downloads are bulk transfers to its own group,
 * which the rollout already spaces by waves; with cubic the same sends
 * cost about a third of the CPU per GB (docs/master.md, the figures).
 * So "auto" gives a master cubic when the host's default paces, and
 * leaves everything else as the host has it. */
#include "master/congestion.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool name_paces(const char *name)
{
	return strncmp(name, "bbr", 3) == 0;
}

static int set_congestion(int fd, const char *name)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)strlen(name)) != 0)
		return -errno;
	return 0;
}

/* The congestion control a new TCP socket gets, or with name != NULL the
 * one a socket gets when it asks for name (-ENOENT: not in this kernel,
 * -EPERM: not allowed to this process). */
static int probe(const char *name, char *in_effect, size_t in_effect_size)
{
	char text[CONGESTION_NAME_MAX + 1] = "";
	socklen_t length = CONGESTION_NAME_MAX;
	int result = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (name != NULL) {
		result = set_congestion(fd, name);
		if (result != 0)
			goto out;
	}
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, text, &length) != 0) {
		result = -errno;
		goto out;
	}
	text[length < CONGESTION_NAME_MAX ? length : CONGESTION_NAME_MAX] = '\0';
	snprintf(in_effect, in_effect_size, "%s", text);
out:
	close(fd);
	return result;
}

int congestion_resolve(const char *configured, bool origin, struct congestion_choice *choice,
		       char *why, size_t why_size)
{
	bool automatic = strcmp(configured, "auto") == 0;
	const char *wanted = configured;
	int result;

	memset(choice, 0, sizeof(*choice));
	result = probe(NULL, choice->in_effect, sizeof(choice->in_effect));
	if (result != 0) {
		snprintf(why, why_size, "cannot read the host's TCP congestion control: %s", strerror(-result));
		return -EINVAL;
	}
	if (strcmp(configured, "system") == 0 || (automatic && (origin || !name_paces(choice->in_effect))))
		wanted = NULL;           /* the host's stands */
	else if (automatic)
		wanted = "cubic";        /* a master on a pacing default */
	if (wanted != NULL) {
		char in_effect[CONGESTION_NAME_MAX];

		result = probe(wanted, in_effect, sizeof(in_effect));
		if (result == 0) {
			snprintf(choice->in_effect, sizeof(choice->in_effect), "%s", in_effect);
			snprintf(choice->to_set, sizeof(choice->to_set), "%s", wanted);
		} else if (!automatic) {
			snprintf(why, why_size,
				 "TCP congestion control '%s' %s (see net.ipv4.tcp_available_congestion_control)",
				 configured, result == -EPERM ? "is not allowed to this process" : "is not in this kernel");
			return -EINVAL;
		} /* auto without cubic in this kernel: the host's stands */
	}
	choice->paces = name_paces(choice->in_effect);
	return 0;
}

int congestion_apply(int fd, const struct congestion_choice *choice)
{
	return choice->to_set[0] == '\0' ? 0 : set_congestion(fd, choice->to_set);
}
