/*
 * Tests of prefault: the thread must make the pages ahead of the owner's
 * written end present (observed with mincore), stay within the window it
 * was asked for, change no byte of what the owner wrote, follow a region
 * that moved, and stop cleanly; a NULL handle and a bad region number are
 * no-ops. Where the kernel has no MADV_POPULATE_WRITE the presence checks
 * are skipped (the calls are then no-ops by design).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/prefault.h"

#define MIB (1024 * 1024)

/* Pages of p[0..len) (page-aligned) resident now. */
static size_t resident_pages(const void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page, count = 0;
	unsigned char *vec = malloc(n);

	assert_non_null(vec);
	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/* Wait up to two seconds for at least want pages of p[0..len) to be resident. */
static size_t wait_resident(const void *p, size_t len, size_t want)
{
	size_t got = 0;

	for (int i = 0; i < 200 && (got = resident_pages(p, len)) < want; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	return got;
}

static bool kernel_populates(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	assert_true(p != MAP_FAILED);
	ok = madvise(p, page, 23 /* MADV_POPULATE_WRITE */) == 0;
	munmap(p, page);
	return ok;
}

static void test_pages_ahead_become_present(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 64 * (size_t)MIB;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct prefault *pf;
	size_t ahead;

	(void)state;
	if (!kernel_populates())
		skip();
	assert_true(p != MAP_FAILED);
	madvise(p, len, MADV_NOHUGEPAGE);   /* page by page, so the window's edge is exact */
	memset(p, 0xab, MIB);               /* what the owner wrote */
	pf = prefault_start();
	assert_non_null(pf);
	prefault_ahead(pf, 0, p, MIB, len);
	/* A few MiB past the written end become present; given time, nothing past the window does. */
	ahead = wait_resident(p + MIB, 2 * MIB, 2 * MIB / page);
	assert_int_equal(ahead, 2 * MIB / page);
	nanosleep(&(struct timespec){ 0, 300 * 1000 * 1000 }, NULL);
	assert_int_equal(resident_pages(p + 8 * MIB, 24 * MIB), 0);
	for (size_t i = 0; i < MIB; i++)
		if ((unsigned char)p[i] != 0xab)
			fail_msg("byte %zu changed to 0x%02x", i, (unsigned char)p[i]);
	/* The owner moves on: the window follows. */
	prefault_ahead(pf, 0, p, 40 * MIB, len);
	assert_true(wait_resident(p + 40 * MIB, 2 * MIB, 2 * MIB / page) == 2 * MIB / page);
	prefault_stop(pf);
	munmap(p, len);
}

static void test_moved_region(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 16 * (size_t)MIB;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct prefault *pf;

	(void)state;
	if (!kernel_populates())
		skip();
	assert_true(a != MAP_FAILED && b != MAP_FAILED);
	madvise(b, len, MADV_NOHUGEPAGE);
	pf = prefault_start();
	assert_non_null(pf);
	prefault_ahead(pf, 1, a, 0, len);
	munmap(a, len);                     /* freed under the thread: a wasted call at worst */
	prefault_ahead(pf, 1, b, 0, len);
	assert_true(wait_resident(b, MIB, MIB / page) == MIB / page);
	prefault_stop(pf);
	munmap(b, len);
}

static void test_no_ops(void **state)
{
	char buf[64];
	struct prefault *pf = prefault_start();

	(void)state;
	prefault_ahead(NULL, 0, buf, 0, sizeof buf);
	prefault_stop(NULL);
	assert_non_null(pf);
	prefault_ahead(pf, -1, buf, 0, sizeof buf);
	prefault_ahead(pf, PREFAULT_REGIONS, buf, 0, sizeof buf);
	prefault_stop(pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_ahead_become_present),
		cmocka_unit_test(test_moved_region),
		cmocka_unit_test(test_no_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
