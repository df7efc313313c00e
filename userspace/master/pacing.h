/* The kernel's pacing of large bodies to readers that acknowledge nearly
 * every segment (--pacing-rate, --pacing-from).
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
 * under --pacing-from on the same connection goes unpaced. Off unless
 * --pacing-rate is given: measured with each side paying its own receive
 * work (as over a NIC) it won, but on plain loopback, where the kernel
 * sends an unpaced connection's segments from the reader's own context,
 * it cost the master's core and the throughput more than it gave.
 * docs/master.md has the figures. */
#ifndef CASCADE_MASTER_PACING_H
#define CASCADE_MASTER_PACING_H

#include <stdbool.h>
#include <stdint.h>

/* Data segments a body is watched over, and how many progress reports
 * (sends) the watch lasts at most before it gives up. */
#define PACING_LOOK_SEGMENTS 64
#define PACING_LOOK_REPORTS 512

struct pacing_rule {
	uint64_t rate;                  /* bytes a second a paced connection; 0: never pace */
	uint64_t from_bytes;            /* smallest body watched and paced */
};

struct pacing_watch {
	bool reader_acks_most;          /* decided: this connection's large bodies are paced */
	bool capped;                    /* SO_MAX_PACING_RATE is set on the socket */
	bool looking;                   /* this body is being watched */
	bool counted;                   /* the counts at the start of the watch are taken */
	uint16_t reports;               /* progress reports seen while looking */
	uint32_t segments_in;           /* tcpi_segs_in at the start of the watch */
	uint32_t data_segments_out;     /* tcpi_data_segs_out at the start of the watch */
};

/* A new body of body_bytes on the connection fd: paced at once if the
 * reader was found to need it (returns 1), watched if large (0), the cap
 * lifted if small (0). A negative errno from setsockopt or getsockopt;
 * the watch is left consistent with the socket then. */
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

#endif
