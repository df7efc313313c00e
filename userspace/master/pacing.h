/* The kernel's pacing of large bodies to readers that acknowledge nearly
 * every segment (--pacing-rate, --pacing-from, --pacing-scope).
 *
 * A connection whose congestion control does not pace (cubic, what a
 * master gets where the host defaults to bbr) sends as fast as the
 * reader's window opens. A reader slower than the sender fills its
 * receive buffer, the window then reopens a segment at a time, and the
 * reader acknowledges nearly every segment: wrk, reading 8 KiB at a time,
 * sent 0.88 acknowledgements per data segment (13,600 per GB) against
 * 0.19 from cascade-load's 256 KiB reads, and each one wakes the
 * sender's core at the reader's cost. With a maximum pacing rate
 * (SO_MAX_PACING_RATE) the kernel paces the connection and the same
 * reader acknowledges several segments at once (0.24 per segment), and
 * moves more; a fast reader, though, loses by it (cascade-load 3.9
 * against 5.0-6.4 GB/s). So each large body starts unpaced, its
 * connection's counts (TCP_INFO: segments in, data segments out) are
 * watched over the first PACING_LOOK_SEGMENTS data segments (across the
 * large bodies of a keep-alive connection if one is too short), and a reader
 * that acknowledged more than three in four of them is paced for the
 * rest of the body and every later large body on the connection. A body
 * under --pacing-from on the same connection goes unpaced.
 *
 * How the reader's acknowledgements arrive decides whether pacing pays.
 * Over a network device (or loopback with packet steering, which the
 * benchmark uses to model one) each is an interrupt on the master's side
 * and a wake-up paid by the reader, and pacing removes most of them. Over
 * plain loopback the kernel processes them, and sends an unpaced
 * connection's next segments, synchronously in the reader's own system
 * call: there is no interrupt to save, and pacing only moves those sends
 * to the kernel's pacing timer on the master's core; it lost there. So
 * by default (--pacing-scope network) a connection from this host is not
 * watched at all unless the host steers loopback packets when its first
 * large body starts.
 * docs/master.md has the figures. */
#ifndef CASCADE_MASTER_PACING_H
#define CASCADE_MASTER_PACING_H

#include <stdbool.h>
#include <stdint.h>

/* Data segments a body is watched over, and how many progress reports
 * (sends) the watch lasts at most before it gives up. */
#define PACING_LOOK_SEGMENTS 64
#define PACING_LOOK_REPORTS 512

/* --pacing-scope: which slow readers are paced. */
enum pacing_scope {
	PACING_SCOPE_NETWORK,           /* those whose acknowledgements arrive as interrupts */
	PACING_SCOPE_ANY,               /* every one */
};

/* Where the host says whether it steers loopback packets to other CPUs
 * (receive packet steering): a CPU mask, 0 when off. */
#define PACING_LOOPBACK_STEERING_PATH "/sys/class/net/lo/queues/rx-0/rps_cpus"

struct pacing_rule {
	uint64_t rate;                  /* bytes a second a paced connection; 0: never pace */
	uint64_t from_bytes;            /* smallest body watched and paced */
	int scope;                      /* enum pacing_scope */
	const char *loopback_steering_path; /* NULL: PACING_LOOPBACK_STEERING_PATH */
};

/* How a connection's acknowledgements arrive, found at its first large
 * body under --pacing-scope network and kept for its life. */
enum pacing_path {
	PACING_PATH_UNKNOWN,
	PACING_PATH_INTERRUPTS,         /* across a network device, or steered loopback */
	PACING_PATH_SYNCHRONOUS,        /* plain loopback: in the reader's own system call */
};

struct pacing_watch {
	bool reader_acks_most;          /* decided: this connection's large bodies are paced */
	bool capped;                    /* SO_MAX_PACING_RATE is set on the socket */
	bool looking;                   /* this body is being watched */
	bool counted;                   /* the counts at the start of the watch are taken */
	uint8_t path;                   /* enum pacing_path */
	uint16_t reports;               /* progress reports seen while looking */
	uint32_t segments_in;           /* tcpi_segs_in at the start of the watch */
	uint32_t data_segments_out;     /* tcpi_data_segs_out at the start of the watch */
};

/* A new body of body_bytes on the connection fd: paced at once if the
 * reader was found to need it (returns 1), watched if large and on a path
 * --pacing-scope allows (0), the cap lifted if small (0). A negative errno
 * from setsockopt, getsockopt, getsockname or getpeername; the watch is
 * left consistent with the socket then. */
int pacing_body_start(int fd, const struct pacing_rule *rule, uint64_t body_bytes,
		      struct pacing_watch *watch);

/* Some of the body went to the socket: while watching, compares the
 * connection's counts; returns 1 when it paced the connection now, else 0,
 * or a negative errno (the watch stops). */
int pacing_body_progress(int fd, const struct pacing_rule *rule, struct pacing_watch *watch);

/* pacing_body_progress on the counts given: the first report starts the
 * watch, the first one PACING_LOOK_SEGMENTS data segments later decides
 * (returns 1 when it paced the connection). */
int pacing_watch_counts(int fd, const struct pacing_rule *rule, struct pacing_watch *watch,
			uint32_t segments_in, uint32_t data_segments_out);

/* The decision on counts: more than three acknowledgements in four data
 * segments, over at least PACING_LOOK_SEGMENTS of them. */
bool pacing_reader_acks_most(uint32_t acknowledgements, uint32_t data_segments);

/* Whether the reader's acknowledgements reach this host as interrupts
 * (*by_interrupt): true for a peer across a network device; for a peer on
 * this host (loopback, or one of its own addresses) only while the host
 * steers loopback packets (a CPU in the file at loopback_steering_path;
 * NULL: PACING_LOOPBACK_STEERING_PATH).
 * 0 or a negative errno from getsockname/getpeername. */
int pacing_acks_by_interrupt(int fd, const char *loopback_steering_path, bool *by_interrupt);

/* The --pacing-scope values by enum pacing_scope, NULL-terminated (the
 * settings' choice list), and one value's name. */
extern const char *const pacing_scope_names[];
const char *pacing_scope_name(int scope);

#endif
