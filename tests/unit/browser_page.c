/*
 * Tests of what browserc hands the browser: base64 as RFC 4648 spells it
 * (its own test vectors, padding included, and every byte value), and the
 * page's document, which must carry page.js whole (built in with .incbin)
 * and name a favicon of its own, or the browser would ask the chat server
 * for /favicon.ico and put a request of its own in every capture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../fixtures/browser/page.h"

static char *b64(const char *s)
{
	return page_base64((const unsigned char *)s, strlen(s));
}

static void test_rfc4648_vectors(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char all[256];
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		out = b64(vec[i][0]);
		assert_string_equal(out, vec[i][1]);
		free(out);
	}
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	out = page_base64(all, sizeof all);
	assert_int_equal(strlen(out), 344);
	assert_memory_equal(out, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", 44);
	assert_string_equal(out + 332, "+fr7/P3+/w==");
	free(out);
}

/* The inverse, for reading the document back. */
static size_t unbase64(const char *in, unsigned char *out)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0;
	unsigned v = 0;
	int bits = 0;

	for (; *in && *in != '='; in++) {
		const char *d = strchr(digits, *in);

		assert_non_null(d);
		v = v << 6 | (unsigned)(d - digits);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return n;
}

static void test_document(void **state)
{
	char *doc64 = page_document_base64();
	size_t len = strlen(browser_page_js);
	unsigned char *doc;
	size_t n;

	(void)state;
	assert_non_null(doc64);
	assert_true(len > 1000);
	assert_non_null(strstr(browser_page_js, "window.acklab = {"));
	doc = malloc(strlen(doc64));
	n = unbase64(doc64, doc);
	doc[n] = '\0';
	assert_non_null(strstr((char *)doc, browser_page_js));
	assert_non_null(strstr((char *)doc, "<link rel=\"icon\" href=\"data:,\">"));
	assert_true(strncmp((char *)doc, "<!doctype html>", 15) == 0);
	free(doc);
	free(doc64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
