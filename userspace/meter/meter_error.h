/* Errors of the eBPF meters: a negative errno plus one line naming the cause
 * and the fix ("bpffs not mounted: ...; run 'mount -t bpf bpf /sys/fs/bpf'"),
 * and the checks that produce the common ones before anything is loaded:
 * not root, no BTF, bpffs not mounted, interface missing. Callers print the
 * line and carry on without meters. */
#ifndef CASCADE_METER_ERROR_H
#define CASCADE_METER_ERROR_H

#include <stdbool.h>
#include <stdint.h>

#define METER_ERROR_MESSAGE_SIZE 512

struct meter_error {
	int code;                                /* 0 or a negative errno */
	char message[METER_ERROR_MESSAGE_SIZE];  /* one line, no trailing newline */
};

/* Fills error (when not NULL) and returns code, so callers can write
 * `return meter_error_set(error, -EINVAL, "...")`. */
int meter_error_set(struct meter_error *error, int code, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
void meter_error_clear(struct meter_error *error);

/* Root, or the capabilities loading and attaching need (CAP_BPF or
 * CAP_SYS_ADMIN, and CAP_NET_ADMIN when need_net_admin). */
int meter_check_privileges(bool need_net_admin, struct meter_error *error);
/* /sys/kernel/btf/vmlinux is readable (CO-RE and tp_btf need it). */
int meter_check_btf(struct meter_error *error);
/* The same check against another path (for tests). */
int meter_check_btf_at(const char *path, struct meter_error *error);
/* Where bpffs is mounted on a normal host. */
#define METER_BPFFS_MOUNT "/sys/fs/bpf"
/* pin_dir is, or would be created, on a BPF filesystem; otherwise the
 * error names the folder where the mount is missing and what is there. */
int meter_check_bpffs(const char *pin_dir, struct meter_error *error);
/* The interface exists in this network namespace; fills *ifindex. */
int meter_resolve_interface(const char *interface, uint32_t *ifindex, struct meter_error *error);

#endif
