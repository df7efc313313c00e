/* Unit tests for reading the host's TCP memory (master/tcp_memory.c):
 * the three /proc files it reads, written into a directory of its own,
 * well formed, missing and malformed; the sockstat line the send gate
 * reads too; then the real /proc.
 * tests/integration/master/downloads.sh checks /-/stats and /metrics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "master/tcp_memory.h"

static const char sockstat[] = "sockets: used 180\n"
			       "TCP: inuse 20002 orphan 0 tw 8 alloc 20002 mem 459522\n"
			       "UDP: inuse 1 mem 2\n";
static const char netstat[] =
	"TcpExt: SyncookiesSent TCPMemoryPressures TCPMemoryPressuresChrono TCPPureAcks\n"
	"TcpExt: 0 22 25588 1234\n"
	"IpExt: InNoRoutes InOctets\n"
	"IpExt: 0 99\n";

static char root[PATH_MAX];

static void write_file(const char *relative, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", root, relative);
	file = fopen(path, "w");
	assert_non_null(file);
	assert_int_equal(fputs(text, file) >= 0, 1);
	assert_int_equal(fclose(file), 0);
}

static void remove_file(const char *relative)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", root, relative);
	unlink(path);
}

static int make_root(void **state)
{
	char path[PATH_MAX + 64];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/cascade-tcp-memory.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/net", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sys", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sys/net", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sys/net/ipv4", root);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file("net/sockstat", sockstat);
	write_file("net/netstat", netstat);
	write_file("sys/net/ipv4/tcp_mem", "287907\t383879\t575814\n");
	return 0;
}

static int remove_root(void **state)
{
	char command[PATH_MAX + 16];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", root);
	return system(command) == 0 ? 0 : -1;
}

/* Every value from where the kernel puts it. */
static void test_reads_the_files(void **state)
{
	struct tcp_memory memory;

	(void)state;
	assert_int_equal(tcp_memory_read(root, &memory), 0);
	assert_int_equal(memory.pages, 459522);
	assert_int_equal(memory.low_pages, 287907);
	assert_int_equal(memory.pressure_pages, 383879);
	assert_int_equal(memory.limit_pages, 575814);
	assert_int_equal(memory.pressure_events, 22);
	assert_int_equal(memory.pressure_milliseconds, 25588);
}

/* A file missing or not as the kernel writes it: an error, never a
 * made-up value. */
static void test_missing_and_malformed(void **state)
{
	struct tcp_memory memory;

	(void)state;
	remove_file("net/netstat");
	assert_int_equal(tcp_memory_read(root, &memory), -ENOENT);
	write_file("net/netstat", "TcpExt: SyncookiesSent TCPMemoryPressures\nTcpExt: 0 22\n");
	assert_int_equal(tcp_memory_read(root, &memory), -EINVAL); /* no Chrono field */
	write_file("net/netstat", "TcpExt: TCPMemoryPressures TCPMemoryPressuresChrono\nTcpExt: 3 x\n");
	assert_int_equal(tcp_memory_read(root, &memory), -EINVAL);
	write_file("net/netstat", "TcpExt: TCPMemoryPressures TCPMemoryPressuresChrono\n");
	assert_int_equal(tcp_memory_read(root, &memory), -EINVAL); /* names without values */
	write_file("net/netstat", netstat);

	write_file("sys/net/ipv4/tcp_mem", "287907 383879\n");
	assert_int_equal(tcp_memory_read(root, &memory), -EINVAL);
	write_file("sys/net/ipv4/tcp_mem", "287907\t383879\t575814\n");

	write_file("net/sockstat", "sockets: used 1\nTCP: inuse 1 orphan 0 tw 0 alloc 1\n");
	assert_int_equal(tcp_memory_read(root, &memory), -EINVAL); /* no mem field */
	write_file("net/sockstat", "sockets: used 1\n");
	assert_int_equal(tcp_memory_read(root, &memory), -EINVAL);
	remove_file("net/sockstat");
	assert_int_equal(tcp_memory_read(root, &memory), -ENOENT);
	write_file("net/sockstat", sockstat);
	assert_int_equal(tcp_memory_read(root, &memory), 0);
	assert_int_equal(tcp_memory_read("/nonexistent-proc", &memory), -ENOENT);
}

/* The TCP line's mem field, wherever the line is; nothing else counts. */
static void test_parse_sockstat(void **state)
{
	uint64_t pages = 0;

	(void)state;
	assert_int_equal(tcp_memory_parse_sockstat("TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 3\n", &pages), 0);
	assert_int_equal(pages, 3);
	assert_int_equal(tcp_memory_parse_sockstat("sockets: used 1\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 459522\n"
						  "UDP: inuse 0 mem 9\n", &pages), 0);
	assert_int_equal(pages, 459522);
	/* No mem on the TCP line: UDP's is not taken for it. */
	assert_int_equal(tcp_memory_parse_sockstat("TCP: inuse 1 alloc 1\nUDP: inuse 0 mem 9\n", &pages), -EINVAL);
	assert_int_equal(tcp_memory_parse_sockstat("sockets: used 1\nUDP: inuse 0 mem 9\n", &pages), -EINVAL);
	assert_int_equal(tcp_memory_parse_sockstat("XTCP: inuse 1 mem 4\n", &pages), -EINVAL);
	assert_int_equal(tcp_memory_parse_sockstat("TCP: inuse 1 mem lots\n", &pages), -EINVAL);
	assert_int_equal(tcp_memory_parse_sockstat("", &pages), -EINVAL);
}

/* The real /proc: the thresholds are the sysctl's, in order. */
static void test_real_proc(void **state)
{
	struct tcp_memory memory;
	uint64_t low = 0, pressure = 0, limit = 0;
	FILE *file = fopen("/proc/sys/net/ipv4/tcp_mem", "r");

	(void)state;
	assert_non_null(file);
	assert_int_equal(fscanf(file, "%" SCNu64 " %" SCNu64 " %" SCNu64, &low, &pressure, &limit), 3);
	fclose(file);
	assert_int_equal(tcp_memory_read("/proc", &memory), 0);
	assert_int_equal(memory.low_pages, low);
	assert_int_equal(memory.pressure_pages, pressure);
	assert_int_equal(memory.limit_pages, limit);
	assert_true(memory.low_pages <= memory.pressure_pages);
	assert_true(memory.pressure_pages <= memory.limit_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_the_files, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_missing_and_malformed, make_root, remove_root),
		cmocka_unit_test(test_parse_sockstat),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
