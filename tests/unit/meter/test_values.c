/* Unit tests of the meters' operator values: rates with units, the shaper's
 * frame-rate scaling, prefixes and group ids, the htb class of a group, and
 * how registered server ports add up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "meter/meter_values.h"
#include "meter_types.h"

static void rates_with_units(void **state)
{
	uint64_t rate = 0;

	(void)state;
	assert_int_equal(meter_parse_rate("10mbit", &rate), 0);
	assert_int_equal(rate, 1250000);
	assert_int_equal(meter_parse_rate("10Mbit/s", &rate), 0);
	assert_int_equal(rate, 1250000);
	assert_int_equal(meter_parse_rate("5MB/s", &rate), 0);
	assert_int_equal(rate, 5000000);
	assert_int_equal(meter_parse_rate("1.5gbit", &rate), 0);
	assert_int_equal(rate, 187500000);
	assert_int_equal(meter_parse_rate("800kbit", &rate), 0);
	assert_int_equal(rate, 100000);
	assert_int_equal(meter_parse_rate("64KiB/s", &rate), 0);
	assert_int_equal(rate, 65536);
	assert_int_equal(meter_parse_rate("2 MiB/s", &rate), 0);
	assert_int_equal(rate, 2097152);
	assert_int_equal(meter_parse_rate("8kbit", &rate), 0);
	assert_int_equal(rate, METER_RATE_MINIMUM);
	assert_int_equal(meter_parse_rate("100gbit", &rate), 0);
	assert_int_equal(rate, METER_RATE_MAXIMUM);
}

static void bad_rates_leave_output_alone(void **state)
{
	static const char *const bad[] = { "", "10", "mbit", "10 foo", "-5mbit", "1e3mbit", "0x10mbit",
					   "10mbit extra", "10mbps", ".mbit", NULL };
	uint64_t rate = 42;

	(void)state;
	for (int index = 0; bad[index] != NULL; index++) {
		assert_int_equal(meter_parse_rate(bad[index], &rate), -EINVAL);
		assert_int_equal(rate, 42);
	}
	assert_int_equal(meter_parse_rate(NULL, &rate), -EINVAL);
	assert_int_equal(meter_parse_rate("7kbit", &rate), -ERANGE);
	assert_int_equal(meter_parse_rate("0mbit", &rate), -ERANGE);
	assert_int_equal(meter_parse_rate("101gbit", &rate), -ERANGE);
	assert_int_equal(meter_parse_rate("99999999999999999999999mbit", &rate), -ERANGE);
	assert_int_equal(rate, 42);
}

static void rates_print_with_units(void **state)
{
	char text[32];

	(void)state;
	meter_format_rate(1250000, text, sizeof(text));
	assert_string_equal(text, "10.0 Mbit/s");
	meter_format_rate(125000000, text, sizeof(text));
	assert_string_equal(text, "1.00 Gbit/s");
	meter_format_rate(100000, text, sizeof(text));
	assert_string_equal(text, "800 kbit/s");
	meter_format_rate(10, text, sizeof(text));
	assert_string_equal(text, "80 bit/s");
}

static void shaper_rate_covers_headers(void **state)
{
	(void)state;
	/* MTU 1500 on Ethernet: a 1448-byte payload travels in a 1514-byte frame. */
	assert_int_equal(meter_shaper_rate(1448000, 1500, 14), 1514000);
	/* Raw IP device: no L2 header. */
	assert_int_equal(meter_shaper_rate(1448000, 1500, 0), 1500000);
	/* Loopback's 64 KiB MTU: almost no overhead. */
	assert_true(meter_shaper_rate(1000000, 65536, 14) < 1001100);
	/* A silly MTU does not divide by zero. */
	assert_int_equal(meter_shaper_rate(1000, 40, 14), 1000);
}

static void prefixes_parse_and_print(void **state)
{
	struct meter_prefix prefix;
	char text[64];

	(void)state;
	assert_int_equal(meter_parse_prefix("10.1.0.0/16", &prefix), 0);
	assert_int_equal(prefix.family, 4);
	assert_int_equal(prefix.length, 16);
	assert_int_equal(prefix.address[0], 10);
	assert_int_equal(prefix.address[1], 1);
	meter_format_prefix(&prefix, text, sizeof(text));
	assert_string_equal(text, "10.1.0.0/16");
	assert_int_equal(meter_parse_prefix("198.18.0.2", &prefix), 0);
	assert_int_equal(prefix.length, 32);
	assert_int_equal(meter_parse_prefix("2001:2::/48", &prefix), 0);
	assert_int_equal(prefix.family, 6);
	assert_int_equal(prefix.length, 48);
	meter_format_prefix(&prefix, text, sizeof(text));
	assert_string_equal(text, "2001:2::/48");
	assert_int_equal(meter_parse_prefix("::1", &prefix), 0);
	assert_int_equal(prefix.length, 128);
	assert_int_equal(meter_parse_prefix("0.0.0.0/0", &prefix), 0);
	assert_int_equal(prefix.length, 0);
}

static void bad_prefixes_are_refused(void **state)
{
	static const char *const bad[] = { "", "/8", "10.1.2.3/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x",
					   "10.0.0.0/-1", "example.com", "2001:2::1/48", "::/129", "10.0.0.0/0008",
					   NULL };
	struct meter_prefix prefix = { .family = 99 };

	(void)state;
	for (int index = 0; bad[index] != NULL; index++)
		assert_int_equal(meter_parse_prefix(bad[index], &prefix), -EINVAL);
	assert_int_equal(prefix.family, 99);
}

static void groups_are_1_to_16777215(void **state)
{
	uint32_t group = 7;

	(void)state;
	assert_int_equal(meter_parse_group("1", &group), 0);
	assert_int_equal(group, 1);
	assert_int_equal(meter_parse_group("16777215", &group), 0);
	assert_int_equal(group, 16777215);
	assert_int_equal(meter_parse_group("0", &group), -ERANGE);
	assert_int_equal(meter_parse_group("16777216", &group), -ERANGE);
	assert_int_equal(meter_parse_group("-1", &group), -EINVAL);
	assert_int_equal(meter_parse_group("1a", &group), -EINVAL);
	assert_int_equal(meter_parse_group("", &group), -EINVAL);
	assert_int_equal(group, 16777215);
}

static void htb_class_is_the_group_in_hex(void **state)
{
	char class_name[8];

	(void)state;
	meter_format_htb_class(1, class_name, sizeof(class_name));
	assert_string_equal(class_name, "ca:1");
	meter_format_htb_class(26, class_name, sizeof(class_name));
	assert_string_equal(class_name, "ca:1a");
	meter_format_htb_class(65534, class_name, sizeof(class_name));
	assert_string_equal(class_name, "ca:fffe");
	meter_format_htb_class(65535, class_name, sizeof(class_name));
	assert_string_equal(class_name, "");
	meter_format_htb_class(0, class_name, sizeof(class_name));
	assert_string_equal(class_name, "");
	assert_int_equal(METER_HTB_CLASS(26), 0xCA001A);
}

static void ports_add_up(void **state)
{
	const uint16_t registered[] = { 8080, 8081 };
	const uint16_t added[] = { 8081, 9000, 0 };
	const uint16_t many[] = { 1, 2, 3, 4, 5, 6, 7 };
	uint16_t out[8] = { 0 };
	bool overflow = true;

	(void)state;
	/* Union without duplicates; port 0 is no port. */
	assert_int_equal(meter_merge_ports(registered, 2, false, added, 3, out, &overflow), 3);
	assert_false(overflow);
	assert_int_equal(out[0], 8080);
	assert_int_equal(out[1], 8081);
	assert_int_equal(out[2], 9000);
	/* A meter that counts every packet keeps doing so. */
	assert_int_equal(meter_merge_ports(NULL, 0, true, added, 2, out, &overflow), 0);
	assert_false(overflow);
	/* Nothing registered and nothing given: every packet. */
	assert_int_equal(meter_merge_ports(NULL, 0, false, NULL, 0, out, &overflow), 0);
	/* Eight fit; a ninth makes the meter count every packet. */
	assert_int_equal(meter_merge_ports(many, 7, false, registered, 1, out, &overflow), 8);
	assert_false(overflow);
	assert_int_equal(meter_merge_ports(many, 7, false, registered, 2, out, &overflow), 0);
	assert_true(overflow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rates_with_units),
		cmocka_unit_test(bad_rates_leave_output_alone),
		cmocka_unit_test(rates_print_with_units),
		cmocka_unit_test(shaper_rate_covers_headers),
		cmocka_unit_test(prefixes_parse_and_print),
		cmocka_unit_test(bad_prefixes_are_refused),
		cmocka_unit_test(groups_are_1_to_16777215),
		cmocka_unit_test(htb_class_is_the_group_in_hex),
		cmocka_unit_test(ports_add_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
