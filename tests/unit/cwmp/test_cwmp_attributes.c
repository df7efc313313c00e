/* Unit tests for the CWMP codec's attribute caps (issue 12, item 4): libxml2
 * compares each attribute of an element with every earlier one, so the
 * codec counts attributes on the raw bytes first. One element with 80,000
 * attributes, an element just over the per-element cap and a document over
 * the per-document cap are refused with 8004 / 9004; the cap itself, '='
 * inside values, comments, CDATA and processing instructions, and a
 * GetParameterValuesResponse with 8,000 typed values still decode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwmp/cwmp.h"

#define ENVELOPE_START                                                              \
	"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"" \
	" xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\""                   \
	" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""                        \
	" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><SOAP-ENV:Body>"
#define ENVELOPE_END "</SOAP-ENV:Body></SOAP-ENV:Envelope>"

/* A Reboot whose CommandKey element carries `attributes` attributes. */
static char *reboot_with_attributes(unsigned int attributes)
{
	size_t size = 256 + (size_t)attributes * 16;
	char *text = malloc(size);
	size_t used = (size_t)snprintf(text, size, ENVELOPE_START "<cwmp:Reboot><CommandKey");

	for (unsigned int i = 0; i < attributes; i++)
		used += (size_t)snprintf(text + used, size - used, " a%u=\"1\"", i);
	snprintf(text + used, size - used, ">k</CommandKey></cwmp:Reboot>" ENVELOPE_END);
	return text;
}

static void expect_resources_exceeded(const char *text, const char *message_part)
{
	struct cwmp_message *message = (void *)1;
	struct cwmp_error error;

	assert_int_equal(cwmp_decode(text, strlen(text), NULL, &message, &error), -E2BIG);
	assert_null(message);
	assert_int_equal(error.acs_fault_code, 8004);
	assert_int_equal(error.cpe_fault_code, 9004);
	if (!strstr(error.message, message_part))
		fail_msg("error \"%s\" does not mention \"%s\"", error.message, message_part);
}

static void expect_decodes(const char *text)
{
	struct cwmp_message *message = NULL;
	struct cwmp_error error;

	if (cwmp_decode(text, strlen(text), NULL, &message, &error) != 0)
		fail_msg("refused: %s", error.message);
	cwmp_message_free(message);
}

static void one_element_with_80000_attributes(void **state)
{
	char *text = reboot_with_attributes(80000);

	(void)state;
	expect_resources_exceeded(text, "an element has more than 32 attributes");
	free(text);
}

static void the_per_element_cap(void **state)
{
	char *text;

	(void)state;
	text = reboot_with_attributes(32);
	expect_decodes(text);
	free(text);
	text = reboot_with_attributes(33);
	expect_resources_exceeded(text, "more than 32 attributes");
	free(text);
}

static void a_document_over_the_per_document_cap(void **state)
{
	size_t size = 1u << 20;
	char *text = malloc(size);
	size_t used = (size_t)snprintf(text, size, ENVELOPE_START "<cwmp:Reboot><CommandKey>k</CommandKey>");

	(void)state;
	/* 10,200 elements with two attributes each: 20,400, over 2 x 10,000 + 256 */
	for (int i = 0; i < 10200; i++)
		used += (size_t)snprintf(text + used, size - used, "<x a=\"1\" b=\"2\"/>");
	snprintf(text + used, size - used, "</cwmp:Reboot>" ENVELOPE_END);
	expect_resources_exceeded(text, "the document has more than 20256 attributes");
	free(text);
}

static void only_attributes_are_counted(void **state)
{
	char *text = malloc(64 << 10), equals[201];
	size_t used;

	(void)state;
	memset(equals, '=', 200);
	equals[200] = '\0';
	used = (size_t)sprintf(text, ENVELOPE_START "<!-- ");
	for (int i = 0; i < 100; i++)
		used += (size_t)sprintf(text + used, "a%d=\"1\" ", i);
	used += (size_t)sprintf(text + used, "--><?pi %s?><cwmp:Reboot><CommandKey x=\"%s\" y='%s>'>", equals, equals,
				equals);
	sprintf(text + used, "<![CDATA[<z %s>]]></CommandKey></cwmp:Reboot>" ENVELOPE_END, equals);
	expect_decodes(text);
	free(text);
}

static void a_large_typed_response_decodes(void **state)
{
	size_t size = 1u << 20;
	char *text = malloc(size);
	size_t used = (size_t)snprintf(text, size,
				       ENVELOPE_START "<cwmp:GetParameterValuesResponse>"
						      "<ParameterList SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[8000]\">");
	struct cwmp_message *message = NULL;
	struct cwmp_error error;

	(void)state;
	for (int i = 0; i < 8000; i++)
		used += (size_t)snprintf(text + used, size - used,
					 "<ParameterValueStruct><Name>Device.X.%d</Name>"
					 "<Value xsi:type=\"xsd:string\">v</Value></ParameterValueStruct>",
					 i);
	snprintf(text + used, size - used, "</ParameterList></cwmp:GetParameterValuesResponse>" ENVELOPE_END);
	if (cwmp_decode(text, strlen(text), NULL, &message, &error) != 0)
		fail_msg("refused: %s", error.message);
	assert_int_equal(message->body.get_parameter_values_response.parameter_count, 8000);
	cwmp_message_free(message);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_element_with_80000_attributes),
		cmocka_unit_test(the_per_element_cap),
		cmocka_unit_test(a_document_over_the_per_document_cap),
		cmocka_unit_test(only_attributes_are_counted),
		cmocka_unit_test(a_large_typed_response_decodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
