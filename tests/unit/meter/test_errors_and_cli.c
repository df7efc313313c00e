/* Unit tests of the meters' one-line errors (no BTF, bpffs not mounted,
 * interface missing) and of cascade-meter's argument checks: a bad argument
 * is refused (exit 2) before the meter is even looked for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "meter/meter_cli.h"
#include "meter/meter_error.h"

static void no_btf_names_cause_and_fix(void **state)
{
	struct meter_error error;

	(void)state;
	assert_int_equal(meter_check_btf_at("/nonexistent/vmlinux", &error), -ENOENT);
	assert_int_equal(error.code, -ENOENT);
	assert_non_null(strstr(error.message, "no BTF: "));
	assert_non_null(strstr(error.message, "CONFIG_DEBUG_INFO_BTF=y"));
	assert_null(strchr(error.message, '\n'));
}

static void bpffs_not_mounted_names_cause_and_fix(void **state)
{
	struct meter_error error;

	(void)state;
	/* Elsewhere: the nearest existing folder and what it is. */
	assert_int_equal(meter_check_bpffs("/tmp/cascade-meter-unit/not-bpffs", &error), -ENOTSUP);
	assert_non_null(strstr(error.message, "bpffs not mounted: /tmp/cascade-meter-unit/not-bpffs is not on a BPF "
					      "filesystem (/tmp is on "));
	assert_non_null(strstr(error.message, "mount -t bpf bpf /sys/fs/bpf"));
	/* Under /sys/fs/bpf on a folder that is not bpffs (here: /proc's). */
	assert_int_equal(meter_check_bpffs("relative/path", &error), -EINVAL);
	assert_int_equal(meter_check_bpffs("/proc/self/cascade-meter-unit", &error), -ENOTSUP);
	assert_non_null(strstr(error.message, "/proc/self is on procfs"));
	assert_null(strchr(error.message, '\n'));
}

static void interface_missing_names_cause_and_fix(void **state)
{
	struct meter_error error;
	uint32_t ifindex = 77;

	(void)state;
	assert_int_equal(meter_resolve_interface("nosuch-if0", &ifindex, &error), -ENODEV);
	assert_non_null(strstr(error.message, "interface missing: no interface 'nosuch-if0'"));
	assert_int_equal(ifindex, 77);
	assert_int_equal(meter_resolve_interface("lo", &ifindex, &error), 0);
	assert_int_equal(meter_resolve_interface("a-name-far-too-long-for-linux", &ifindex, &error), -EINVAL);
}

static void error_set_returns_code_and_accepts_null(void **state)
{
	struct meter_error error;

	(void)state;
	assert_int_equal(meter_error_set(NULL, -EIO, "ignored %d", 1), -EIO);
	assert_int_equal(meter_error_set(&error, -EPERM, "not root: %s", "x"), -EPERM);
	assert_string_equal(error.message, "not root: x");
	meter_error_clear(&error);
	assert_int_equal(error.code, 0);
	assert_string_equal(error.message, "");
}

static int run_cli(int count, const char **arguments)
{
	char *argv[16];

	for (int index = 0; index < count; index++)
		argv[index] = (char *)arguments[index];
	argv[count] = NULL;
	return meter_cli_main(count, argv);
}

#define RUN(...) run_cli((int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *)), (const char *[]){ __VA_ARGS__ })

static void cli_refuses_bad_arguments_before_touching_anything(void **state)
{
	/* A pin directory that cannot exist: reaching the meter would exit 1. */
	const char *pins = "/nonexistent/cascade-meter-unit";

	(void)state;
	assert_int_equal(RUN("cascade-meter", "--help"), 0);
	assert_int_equal(RUN("cascade-meter"), 2);
	assert_int_equal(RUN("cascade-meter", "--bogus"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", "relative", "show"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "cap", "set", "1", "10foo"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "cap", "set", "1", "10"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "cap", "set", "0", "10mbit"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "cap", "set", "1"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "cap", "clear", "abc"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "group", "set", "10.1.2.3/8", "1"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "group", "set", "10.0.0.0/8", "16777216"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "group", "frob"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "attach"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "attach", "--interface", "lo", "--port", "0"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "top", "--interval", "10ms"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "show", "extra"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "port"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "port", "remove", "0"), 2);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "port", "remove", "65536"), 2);
	/* The old spelling is still an option (with a warning). */
	assert_int_equal(RUN("cascade-meter", "--pin-dir", "relative", "show"), 2);
	/* Well-formed: now it looks for the meter and fails on the missing pins. */
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "cap", "set", "1", "10mbit"), 1);
	assert_int_equal(RUN("cascade-meter", "--bpf-pin-dir", pins, "group", "set", "10.0.0.0/8", "1"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_btf_names_cause_and_fix),
		cmocka_unit_test(bpffs_not_mounted_names_cause_and_fix),
		cmocka_unit_test(interface_missing_names_cause_and_fix),
		cmocka_unit_test(error_set_returns_code_and_accepts_null),
		cmocka_unit_test(cli_refuses_bad_arguments_before_touching_anything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
