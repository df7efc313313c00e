/* Unit tests for cascade-master's settings: defaults, the key setter used
 * by flags and the INI file, the file loader, and role defaults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "master/config.h"

static void test_setter(void **state)
{
	struct master_config config;

	(void)state;
	master_config_defaults(&config);
	assert_int_equal(config.send_mode, SEND_MODE_AUTO);
	assert_int_equal(master_config_set(&config, "threads", "3"), 0);
	assert_int_equal(config.threads, 3);
	assert_int_equal(master_config_set(&config, "idle-timeout", "1500ms"), 0);
	assert_int_equal(config.idle_timeout_ms, 1500);
	assert_int_equal(master_config_set(&config, "send-mode", "zc"), 0);
	assert_int_equal(config.send_mode, SEND_MODE_ZC);
	assert_int_equal(master_config_set(&config, "zc-max-size", "2M"), 0);
	assert_int_equal(config.zc_max_size, 2 << 20);
	assert_int_equal(master_config_set(&config, "copy-max-size", "16M"), 0);
	assert_int_equal(config.copy_max_size, 16 << 20);
	assert_int_equal(master_config_set(&config, "sendfile-after", "64"), 0);
	assert_int_equal(config.sendfile_after, 64);
	assert_int_equal(master_config_set(&config, "sendfile-after", "-1"), -EINVAL);
	assert_int_equal(master_config_set(&config, "send-mode", "sendfile"), 0);
	assert_int_equal(config.send_mode, SEND_MODE_SENDFILE);
	assert_int_equal(master_config_set(&config, "send-mode", "copy"), 0);
	assert_int_equal(config.send_mode, SEND_MODE_COPY);
	assert_int_equal(master_config_set(&config, "listen", "127.0.0.1:0"), 0);
	assert_true(config.listen_set);
	assert_int_equal(master_config_set(&config, "threads", "0"), -EINVAL);
	assert_int_equal(master_config_set(&config, "send-mode", "mmap"), -EINVAL);
	assert_int_equal(master_config_set(&config, "listen", "localhost"), -EINVAL);
	assert_int_equal(master_config_set(&config, "header-timeout", "10ms"), -EINVAL);
	assert_int_equal(master_config_set(&config, "no-such-key", "1"), -ENOENT);
}

/* --send-buffer: auto is 128 KiB on a master whose congestion control
 * paces (bbr) and the kernel's sizing (0) elsewhere and on the origin; a
 * size or 0 given is kept for both roles. */
static void test_send_buffer(void **state)
{
	struct master_config config;

	(void)state;
	master_config_defaults(&config);
	assert_int_equal(master_config_set(&config, "images", "/tmp"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.send_buffer, config.congestion.paces ? MASTER_AUTO_SEND_BUFFER : 0);
	assert_int_equal(MASTER_AUTO_SEND_BUFFER, 128 << 10);
	assert_int_equal(master_config_set(&config, "congestion-control", "reno"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.send_buffer, 0); /* reno does not pace: the kernel's sizing */
	assert_int_equal(config.pacing.rate, MASTER_AUTO_PACING_RATE); /* reno: the kernel paces slow readers */
	assert_int_equal(MASTER_AUTO_PACING_RATE, 400ull << 20);
	assert_int_equal(master_config_set(&config, "congestion-control", "bbr"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.pacing.rate, 0); /* bbr paces on its own */

	master_config_defaults(&config);
	assert_int_equal(master_config_set(&config, "images", "/tmp"), 0);
	assert_int_equal(master_config_set(&config, "origin", "true"), 0);
	assert_int_equal(master_config_set(&config, "pacing-rate", "auto"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.send_buffer, 0);
	assert_int_equal(config.pacing.rate, 0); /* the origin keeps the kernel's ways */

	master_config_defaults(&config);
	assert_int_equal(master_config_set(&config, "images", "/tmp"), 0);
	assert_int_equal(master_config_set(&config, "origin", "true"), 0);
	assert_int_equal(master_config_set(&config, "send-buffer", "512K"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.send_buffer, 512 << 10);

	master_config_defaults(&config);
	assert_int_equal(master_config_set(&config, "images", "/tmp"), 0);
	assert_int_equal(master_config_set(&config, "send-buffer", "0"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.send_buffer, 0);

	assert_int_equal(master_config_set(&config, "send-buffer", "auto"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.send_buffer, config.congestion.paces ? MASTER_AUTO_SEND_BUFFER : 0);
	assert_int_equal(master_config_set(&config, "send-buffer", "2G"), -EINVAL);
	assert_int_equal(master_config_set(&config, "send-buffer", "lots"), -EINVAL);
	assert_int_equal(master_config_set(&config, "send-buffer", "-1"), -EINVAL);

	/* auto: busy loops shrink the send buffer only where the congestion
	 * control paces */
	assert_int_equal(config.busy_send_buffer, config.congestion.paces ? 32 << 10 : 0);
	assert_int_equal(config.busy_after, 128);
	assert_int_equal(config.sendfile_after, 0); /* auto: an unmapped image always by sendfile */
	/* auto: where the connections' congestion control paces (bbr), images
	 * up to 1 GiB mapped and copied until a loop sends 2,048 large bodies,
	 * their mapped pages dropped every 4 MiB copied; elsewhere sendfile */
	assert_int_equal(config.copy_max_size, config.congestion.paces ? 1ull << 30 : 0);
	assert_int_equal(master_config_set(&config, "copy-max-size", "8M"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.copy_max_size, 8 << 20);
	assert_int_equal(master_config_set(&config, "copy-max-size", "lots"), -EINVAL);
	assert_int_equal(config.copy_until, 2048);
	assert_int_equal(config.mapped_resident_max, 4 << 20);
	assert_int_equal(master_config_set(&config, "copy-until", "0"), 0);
	assert_int_equal(config.copy_until, 0);
	assert_int_equal(master_config_set(&config, "copy-until", "-5"), -EINVAL);
	assert_int_equal(master_config_set(&config, "mapped-resident-max", "0"), 0);
	assert_int_equal(config.mapped_resident_max, 0);
	assert_int_equal(master_config_set(&config, "mapped-resident-max", "lots"), -EINVAL);
	assert_int_equal(master_config_set(&config, "busy-send-buffer", "0"), 0);
	assert_int_equal(config.busy_send_buffer, 0);
	assert_int_equal(master_config_set(&config, "busy-send-buffer", "2G"), -EINVAL);
	assert_int_equal(master_config_set(&config, "busy-send-buffer", "64K"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.busy_send_buffer, 64 << 10);
	assert_int_equal(master_config_set(&config, "busy-send-buffer", "lots"), -EINVAL);

	/* The send gate: auto (the host's low mark, read by each loop), 0
	 * (off) or a size. */
	assert_true(config.tcp_memory_gate_auto);
	assert_int_equal(master_config_set(&config, "tcp-memory-gate", "0"), 0);
	assert_false(config.tcp_memory_gate_auto);
	assert_int_equal(config.tcp_memory_gate, 0);
	assert_int_equal(master_config_set(&config, "tcp-memory-gate", "256M"), 0);
	assert_int_equal(config.tcp_memory_gate, 256 << 20);
	assert_int_equal(master_config_set(&config, "tcp-memory-gate", "auto"), 0);
	assert_true(config.tcp_memory_gate_auto);
	assert_int_equal(master_config_set(&config, "tcp-memory-gate", "lots"), -EINVAL);
	assert_int_equal(master_config_set(&config, "tcp-memory-gate", "-1"), -EINVAL);

	/* Pacing of large bodies: auto by default (400 MiB/s a connection
	 * where the connections do not pace on their own, else none), 0 or
	 * a rate; from 4 MiB bodies by default; only readers whose
	 * acknowledgements the loop's core receives unless the scope is any. */
	assert_true(config.pacing_rate_auto);
	assert_int_equal(config.pacing.from_bytes, 4 << 20);
	assert_int_equal(config.pacing.scope, PACING_SCOPE_NETWORK);
	assert_int_equal(master_config_set(&config, "pacing-scope", "any"), 0);
	assert_int_equal(config.pacing.scope, PACING_SCOPE_ANY);
	assert_int_equal(master_config_set(&config, "pacing-scope", "network"), 0);
	assert_int_equal(config.pacing.scope, PACING_SCOPE_NETWORK);
	assert_int_equal(master_config_set(&config, "pacing-scope", "local"), -EINVAL);
	assert_int_equal(master_config_set(&config, "pacing-rate", "0"), 0);
	assert_int_equal(master_config_set(&config, "pacing-rate", "auto"), 0);
	assert_true(config.pacing_rate_auto);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.pacing.rate, config.congestion.paces ? 0 : MASTER_AUTO_PACING_RATE);
	assert_int_equal(master_config_set(&config, "pacing-rate", "0"), 0);
	assert_false(config.pacing_rate_auto);
	assert_int_equal(config.pacing.rate, 0);
	assert_int_equal(master_config_set(&config, "pacing-rate", "100M"), 0);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(config.pacing.rate, 100 << 20);
	assert_int_equal(master_config_set(&config, "pacing-rate", "2T"), -EINVAL);
	assert_int_equal(master_config_set(&config, "pacing-rate", "fast"), -EINVAL);
	assert_int_equal(master_config_set(&config, "pacing-rate", "-1"), -EINVAL);
	assert_int_equal(master_config_set(&config, "pacing-from", "64M"), 0);
	assert_int_equal(config.pacing.from_bytes, 64 << 20);
	assert_int_equal(master_config_set(&config, "pacing-from", "big"), -EINVAL);
}

/* The host's default congestion control, as a new socket gets it. */
static void host_congestion_control(char *name, size_t size)
{
	FILE *file = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "r");

	assert_non_null(file);
	assert_non_null(fgets(name, (int)size, file));
	name[strcspn(name, "\n")] = '\0';
	fclose(file);
}

/* --congestion-control: system keeps the host's, a name the kernel lacks
 * is refused with the reason, auto replaces a pacing default (bbr) on a
 * master only. tests/integration/master/congestion.sh checks the
 * connections themselves, with bbr as the default of its own namespace. */
static void test_congestion_control(void **state)
{
	struct congestion_choice choice;
	char host[CONGESTION_NAME_MAX];
	char why[160] = "";
	bool host_paces;

	(void)state;
	host_congestion_control(host, sizeof(host));
	host_paces = strncmp(host, "bbr", 3) == 0;

	assert_int_equal(congestion_resolve("system", false, &choice, why, sizeof(why)), 0);
	assert_string_equal(choice.in_effect, host);
	assert_string_equal(choice.to_set, "");
	assert_int_equal(choice.paces, host_paces);

	assert_int_equal(congestion_resolve("auto", true, &choice, why, sizeof(why)), 0);
	assert_string_equal(choice.in_effect, host); /* the origin keeps the host's */
	assert_string_equal(choice.to_set, "");

	assert_int_equal(congestion_resolve("auto", false, &choice, why, sizeof(why)), 0);
	assert_false(choice.paces);
	assert_string_equal(choice.in_effect, host_paces ? "cubic" : host);
	assert_string_equal(choice.to_set, host_paces ? "cubic" : "");

	assert_int_equal(congestion_resolve("reno", false, &choice, why, sizeof(why)), 0); /* always built in */
	assert_string_equal(choice.in_effect, "reno");
	assert_string_equal(choice.to_set, "reno");
	assert_false(choice.paces);

	assert_int_equal(congestion_resolve("no-such-cc", false, &choice, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'no-such-cc' is not in this kernel"));
}

static void test_meter_settings(void **state)
{
	struct master_config config;
	char path[] = "/tmp/cascade-master-groups-XXXXXX";
	int fd;
	int line = 0;
	const char *text = "[groups]\n5 = 10.5.0.0/16, fd00:5::/64\n6 = 10.6.0.1\n";

	(void)state;
	master_config_defaults(&config);
	assert_true(config.meter);
	assert_string_equal(config.meter_interface, "lo");
	assert_string_equal(config.bpf_pin_dir, "/sys/fs/bpf/cascade");
	assert_int_equal(master_config_set(&config, "no-meter", "true"), 0);
	assert_false(config.meter);
	assert_int_equal(master_config_set(&config, "meter", "true"), 0);
	assert_true(config.meter);
	assert_int_equal(master_config_set(&config, "meter", "false"), 0);
	assert_false(config.meter);
	assert_int_equal(master_config_set(&config, "group", "192.168.1.0/24=42"), 0);
	assert_int_equal(config.group_prefix_count, 1);
	assert_string_equal(config.group_prefixes[0].prefix, "192.168.1.0/24");
	assert_int_equal(config.group_prefixes[0].group, 42);
	assert_int_equal(master_config_set(&config, "group", "192.168.1.0/33=4"), -EINVAL);
	assert_int_equal(master_config_set(&config, "group", "192.168.1.0/24=0"), -EINVAL);
	assert_int_equal(master_config_set(&config, "group", "192.168.1.0/24"), -EINVAL);
	assert_int_equal(master_config_set(&config, "bpf-pin-dir", "relative/dir"), -EINVAL);
	assert_int_equal(master_config_set(&config, "meter-interface", "a-name-far-too-long-for-linux"), -EINVAL);
	assert_int_equal(config.group_prefix_count, 1);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(master_config_load(&config, path, &line), 0);
	assert_int_equal(config.group_prefix_count, 4);
	assert_string_equal(config.group_prefixes[2].prefix, "fd00:5::/64");
	assert_int_equal(config.group_prefixes[2].group, 5);
	assert_int_equal(config.group_prefixes[3].group, 6);

	/* A bad prefix on a line adds none of that line's prefixes. */
	text = "[groups]\n8 = 10.8.0.0/16 not-a-prefix\n";
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(master_config_load(&config, path, &line), -EINVAL);
	assert_int_equal(line, 2);
	assert_int_equal(config.group_prefix_count, 4);
	unlink(path);
}

static void test_file_and_roles(void **state)
{
	struct master_config config;
	char path[] = "/tmp/cascade-config-test.XXXXXX";
	int fd = mkstemp(path);
	FILE *file = fdopen(fd, "w");
	int line = 0;

	(void)state;
	fputs("; comment\n[master]\nimages = /srv/images\norigin = yes\nmax-connections = 500\n", file);
	fclose(file);
	master_config_defaults(&config);
	assert_int_equal(master_config_load(&config, path, &line), 0);
	assert_string_equal(config.images, "/srv/images");
	assert_true(config.origin);
	assert_int_equal(config.max_connections, 500);
	assert_int_equal(master_config_finish(&config), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&config.listen_address)->sin_port), 8081);

	file = fopen(path, "w");
	fputs("images = /srv\nthreads = many\n", file);
	fclose(file);
	assert_int_equal(master_config_load(&config, path, &line), -EINVAL);
	assert_int_equal(line, 2);
	unlink(path);
	assert_int_equal(master_config_load(&config, path, &line), -EIO);

	master_config_defaults(&config);
	assert_int_equal(master_config_finish(&config), -EINVAL);   /* --images missing */
}

/* The command line over a --config file: flags win, --group repeats and
 * adds to the file's [groups], --no-meter and the origin flag. */
static void test_command_line(void **state)
{
	struct master_config config;
	char path[] = "/tmp/cascade-master-cli-XXXXXX";
	int fd = mkstemp(path);
	FILE *file = fdopen(fd, "w");
	char *argv[] = { "cascade-master", "--config", path, "--threads", "5", "--group", "10.1.0.0/16=1",
			 "--group=10.2.0.0/16=2", "--no-meter", "--origin", "--log-level", "debug", NULL };
	char *bad_value[] = { "cascade-master", "--images", "/srv", "--send-mode", "fast", NULL };
	char *unknown[] = { "cascade-master", "--images", "/srv", "--frobnicate", NULL };
	char *operand[] = { "cascade-master", "--images", "/srv", "stray", NULL };

	(void)state;
	fputs("[origin]\nimages = /srv/images\nthreads = 3\npipe-size = 64K\n[groups]\n9 = 10.9.0.0/16\n", file);
	fclose(file);
	master_config_defaults(&config);
	assert_int_equal(master_config_from_arguments(&config, 12, argv), 0);
	assert_string_equal(config.images, "/srv/images");
	assert_int_equal(config.threads, 5);
	assert_int_equal(config.pipe_size, 64 << 10);
	assert_false(config.meter);
	assert_true(config.origin);
	assert_int_equal(config.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(config.group_prefix_count, 3);
	assert_int_equal(config.group_prefixes[0].group, 9);
	assert_string_equal(config.group_prefixes[2].prefix, "10.2.0.0/16");
	assert_int_equal(config.group_prefixes[2].group, 2);
	assert_int_equal(ntohs(((struct sockaddr_in *)&config.listen_address)->sin_port), 8081);
	unlink(path);

	master_config_defaults(&config);
	assert_int_equal(master_config_from_arguments(&config, 5, bad_value), -EINVAL);
	master_config_defaults(&config);
	assert_int_equal(master_config_from_arguments(&config, 4, unknown), -EINVAL);
	master_config_defaults(&config);
	assert_int_equal(master_config_from_arguments(&config, 4, operand), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setter),
		cmocka_unit_test(test_send_buffer),
		cmocka_unit_test(test_congestion_control),
		cmocka_unit_test(test_file_and_roles),
		cmocka_unit_test(test_meter_settings),
		cmocka_unit_test(test_command_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
