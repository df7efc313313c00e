/* One-line errors of the eBPF meters and the environment checks behind the
 * common ones (privileges, BTF, bpffs, interface). */
#include "meter/meter_error.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#define CAPABILITY_NET_ADMIN 12
#define CAPABILITY_SYS_ADMIN 21
#define CAPABILITY_BPF       39

int meter_error_set(struct meter_error *error, int code, const char *format, ...)
{
	va_list arguments;

	if (error == NULL)
		return code;
	error->code = code;
	va_start(arguments, format);
	vsnprintf(error->message, sizeof(error->message), format, arguments);
	va_end(arguments);
	return code;
}

void meter_error_clear(struct meter_error *error)
{
	if (error == NULL)
		return;
	error->code = 0;
	error->message[0] = '\0';
}

/* Reads the effective capability mask from /proc/self/status. */
static int effective_capabilities(uint64_t *mask)
{
	char line[256];
	int result = -ENOENT;
	FILE *status = fopen("/proc/self/status", "r");

	if (status == NULL)
		return -errno;
	while (fgets(line, sizeof(line), status) != NULL) {
		unsigned long long value;

		if (sscanf(line, "CapEff: %llx", &value) == 1) {
			*mask = value;
			result = 0;
			break;
		}
	}
	fclose(status);
	return result;
}

int meter_check_privileges(bool need_net_admin, struct meter_error *error)
{
	uint64_t mask = 0;
	bool can_bpf, can_net;

	if (effective_capabilities(&mask) < 0)
		mask = geteuid() == 0 ? UINT64_MAX : 0;
	can_bpf = (mask >> CAPABILITY_BPF & 1) || (mask >> CAPABILITY_SYS_ADMIN & 1);
	can_net = (mask >> CAPABILITY_NET_ADMIN & 1) != 0;
	if (!can_bpf || (need_net_admin && !can_net))
		return meter_error_set(error, -EPERM,
				       "not root: loading eBPF meters needs CAP_BPF (or CAP_SYS_ADMIN)%s; "
				       "run as root",
				       need_net_admin ? " and CAP_NET_ADMIN" : "");
	return 0;
}

int meter_check_btf_at(const char *path, struct meter_error *error)
{
	if (access(path, R_OK) != 0)
		return meter_error_set(error, -ENOENT,
				       "no BTF: %s is missing; use a kernel built with CONFIG_DEBUG_INFO_BTF=y", path);
	return 0;
}

int meter_check_btf(struct meter_error *error)
{
	return meter_check_btf_at("/sys/kernel/btf/vmlinux", error);
}

static const char *filesystem_name(unsigned long type, char *buffer, size_t size)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} known[] = {
		{ SYSFS_MAGIC, "sysfs" }, { TMPFS_MAGIC, "tmpfs" }, { EXT4_SUPER_MAGIC, "ext4" },
		{ BTRFS_SUPER_MAGIC, "btrfs" }, { XFS_SUPER_MAGIC, "xfs" }, { OVERLAYFS_SUPER_MAGIC, "overlayfs" },
		{ PROC_SUPER_MAGIC, "procfs" },
	};

	for (size_t index = 0; index < sizeof(known) / sizeof(known[0]); index++) {
		if (known[index].magic == type)
			return known[index].name;
	}
	snprintf(buffer, size, "a filesystem of type 0x%lx", type);
	return buffer;
}

/* True when path is root or lies under it. */
static bool path_under(const char *path, const char *root)
{
	size_t length = strlen(root);

	return strncmp(path, root, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

int meter_check_bpffs(const char *pin_dir, struct meter_error *error)
{
	char path[PATH_MAX], kind[48];
	struct statfs filesystem;
	bool found = false;

	if (pin_dir == NULL || pin_dir[0] != '/' || strlen(pin_dir) >= sizeof(path))
		return meter_error_set(error, -EINVAL, "bad pin directory '%s': give an absolute path under /sys/fs/bpf",
				       pin_dir ? pin_dir : "(null)");
	snprintf(path, sizeof(path), "%s", pin_dir);
	/* Walk up to the nearest existing folder: that one must be on bpffs. */
	for (int depth = 0; depth < 64 && !found; depth++) {
		if (statfs(path, &filesystem) == 0) {
			if (filesystem.f_type == BPF_FS_MAGIC)
				return 0;
			found = true;
			break;
		}
		char *slash = strrchr(path, '/');

		if (slash == NULL || slash == path)
			break;
		*slash = '\0';
	}
	if (!found)
		return meter_error_set(error, -ENOTSUP,
				       "bpffs not mounted: no folder of %s exists; run 'mount -t bpf bpf /sys/fs/bpf'", pin_dir);
	if (path_under(pin_dir, METER_BPFFS_MOUNT))
		return meter_error_set(error, -ENOTSUP,
				       "bpffs not mounted at " METER_BPFFS_MOUNT ": %s is %s here, so %s cannot hold pins "
				       "(under 'ip netns exec' /sys is remounted without it: use 'nsenter --net=/run/netns/NAME'); "
				       "run 'mount -t bpf bpf " METER_BPFFS_MOUNT "'",
				       path, filesystem_name((unsigned long)filesystem.f_type, kind, sizeof(kind)), pin_dir);
	return meter_error_set(error, -ENOTSUP,
			       "bpffs not mounted: %s is not on a BPF filesystem (%s is on %s); choose a --bpf-pin-dir "
			       "under " METER_BPFFS_MOUNT " (run 'mount -t bpf bpf " METER_BPFFS_MOUNT "' if it is missing)",
			       pin_dir, path, filesystem_name((unsigned long)filesystem.f_type, kind, sizeof(kind)));
}

int meter_resolve_interface(const char *interface, uint32_t *ifindex, struct meter_error *error)
{
	unsigned int index;

	if (interface == NULL || interface[0] == '\0' || strlen(interface) >= IF_NAMESIZE)
		return meter_error_set(error, -EINVAL, "bad interface name '%s'", interface ? interface : "");
	index = if_nametoindex(interface);
	if (index == 0)
		return meter_error_set(error, -ENODEV,
				       "interface missing: no interface '%s' in this network namespace; "
				       "check the name with 'ip link'",
				       interface);
	*ifindex = index;
	return 0;
}
