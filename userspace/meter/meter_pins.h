/* Where both meters' pins live: the pin directory and its paths, its lock,
 * opening and removing a pin with a clear error, and the exporter lease.
 *
 * The lock is a flock(2) on the pin directory itself (bpffs holds no regular
 * files): every change to the kernel objects of a pin directory (attach,
 * detach, caps, ports) holds it exclusively, opening the pins holds it
 * shared, so a process never sees half of another's attach. */
#ifndef CASCADE_METER_PINS_H
#define CASCADE_METER_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meter/meter_error.h"

#define METER_DEFAULT_PIN_DIR "/sys/fs/bpf/cascade"
/* How long a process waits for another's attach or detach to finish. */
#define METER_LOCK_TIMEOUT_MS 30000
/* The folder inside the pin directory whose flock marks the one process
 * (a cascade-master) that exports the host-wide counters on /metrics. */
#define METER_EXPORTER_DIR "cascade_exporter"

/* pin_dir, or METER_DEFAULT_PIN_DIR when NULL or empty. */
const char *meter_pin_dir(const char *pin_dir);
/* "<pin_dir>/<name>" into out; -ENAMETOOLONG when it does not fit. */
int meter_pin_path(const char *pin_dir, const char *name, char *out, size_t size);
/* Checks bpffs and creates pin_dir (0700) when missing. */
int meter_prepare_pin_dir(const char *pin_dir, struct meter_error *error);

/* Locks pin_dir (exclusive or shared), creating it first when create is
 * set (after the bpffs check). Waits up to METER_LOCK_TIMEOUT_MS for the
 * holder; a directory removed while we waited (detach --unpin) is created
 * again or reported absent. -ENOENT ("not attached") when it does not exist
 * and create is not set. *lock_fd is for meter_pin_dir_unlock. */
int meter_pin_dir_lock(const char *pin_dir, bool exclusive, bool create, int *lock_fd,
		       struct meter_error *error);
void meter_pin_dir_unlock(int lock_fd);

/* Opens <pin_dir>/<name>; -ENOENT (with a "not attached" message) when absent. */
int meter_open_pinned(const char *pin_dir, const char *name, int *fd, struct meter_error *error);
/* Removes <pin_dir>/<name>; absent is fine. */
void meter_unpin(const char *pin_dir, const char *name);

/* Removes pin_dir when nothing but the exporter folder is left in it. */
void meter_pin_dir_remove_if_empty(const char *pin_dir);

/* The exporter lease: tries (without waiting) to flock METER_EXPORTER_DIR
 * in pin_dir. Returns true while this process holds it; *lease_fd is -1
 * when not held. Call it again before each export: a lease on a folder
 * that was removed (detach --unpin) is dropped and taken anew. */
bool meter_exporter_lease(const char *pin_dir, int *lease_fd);
void meter_exporter_release(int *lease_fd);

#endif
