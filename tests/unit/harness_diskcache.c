/*
 * Tests of the cache of unsynced writes (diskcache.h) on real files in a
 * scratch folder, no FUSE: a write is seen by reads and sizes at once but
 * does not reach the real file until it is synced; overlapping writes read
 * back in the order they were made; a power cut (drop_all) leaves every
 * file as its last sync did and says how much it dropped; a truncate cuts
 * cached writes too; a forgotten file's writes never reach the disk; a
 * clean shutdown (sync_all) writes everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../harness/diskcache.h"
#include "../support/scratch.h"

struct fixture {
	char dir[256];
	int fd;                       /* the real file, read-write */
	ino_t ino;
	struct diskcache *dc;
};

static int setup(void **state)
{
	static struct fixture fx;
	char path[300];
	struct stat st;

	memset(&fx, 0, sizeof fx);
	if (scratch_make(fx.dir, sizeof fx.dir, "acklab-diskcache") != 0)
		return -1;
	snprintf(path, sizeof path, "%s/file", fx.dir);
	fx.fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fx.fd < 0 || fstat(fx.fd, &st) != 0)
		return -1;
	fx.ino = st.st_ino;
	fx.dc = diskcache_new();
	*state = &fx;
	return fx.dc ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	diskcache_free(fx->dc);
	close(fx->fd);
	scratch_remove(fx->dir);
	return 0;
}

/* The real file's bytes, as a string (what a power cut would leave). */
static const char *on_disk(struct fixture *fx)
{
	static char buf[128];
	ssize_t n = pread(fx->fd, buf, sizeof buf - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* What a reader through the cache sees, as a string. */
static const char *seen(struct fixture *fx)
{
	static char buf[128];
	ssize_t n = diskcache_read(fx->dc, fx->ino, fx->fd, buf, sizeof buf - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static off_t real_size(struct fixture *fx)
{
	struct stat st;

	assert_int_equal(fstat(fx->fd, &st), 0);
	return st.st_size;
}

static void test_write_stays_in_cache_until_sync(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(diskcache_write(fx->dc, fx->ino, fx->fd, "hello", 5, 0), 5);
	assert_string_equal(seen(fx), "hello");
	assert_int_equal(diskcache_size(fx->dc, fx->ino, real_size(fx)), 5);
	assert_string_equal(on_disk(fx), "");
	assert_int_equal(diskcache_sync(fx->dc, fx->ino), 0);
	assert_string_equal(on_disk(fx), "hello");
	assert_string_equal(seen(fx), "hello");
}

static void test_overlapping_writes_read_in_order(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pwrite(fx->fd, "0123456789", 10, 0), 10);
	diskcache_write(fx->dc, fx->ino, fx->fd, "abcd", 4, 2);
	diskcache_write(fx->dc, fx->ino, fx->fd, "XY", 2, 4);
	diskcache_write(fx->dc, fx->ino, fx->fd, "zz", 2, 12);   /* past the end: a hole of zeros */
	assert_int_equal(diskcache_size(fx->dc, fx->ino, real_size(fx)), 14);
	{
		char buf[16];

		assert_int_equal(diskcache_read(fx->dc, fx->ino, fx->fd, buf, sizeof buf, 0), 14);
		assert_memory_equal(buf, "01abXY6789\0\0zz", 14);
		/* a read from the middle sees the same bytes */
		assert_int_equal(diskcache_read(fx->dc, fx->ino, fx->fd, buf, 4, 3), 4);
		assert_memory_equal(buf, "bXY6", 4);
	}
	assert_int_equal(diskcache_sync(fx->dc, fx->ino), 0);
	assert_int_equal(real_size(fx), 14);
	{
		char buf[16];

		assert_int_equal(pread(fx->fd, buf, sizeof buf, 0), 14);
		assert_memory_equal(buf, "01abXY6789\0\0zz", 14);
	}
}

static void test_power_cut_keeps_only_synced(void **state)
{
	struct fixture *fx = *state;
	uint64_t writes, bytes;

	diskcache_write(fx->dc, fx->ino, fx->fd, "synced", 6, 0);
	assert_int_equal(diskcache_sync(fx->dc, fx->ino), 0);
	/* an append grows the last write; a separate write is its own */
	diskcache_write(fx->dc, fx->ino, fx->fd, "+one", 4, 6);
	diskcache_write(fx->dc, fx->ino, fx->fd, "+two", 4, 10);
	diskcache_write(fx->dc, fx->ino, fx->fd, "S", 1, 0);
	assert_string_equal(seen(fx), "Synced+one+two");
	diskcache_pending(fx->dc, &writes, &bytes);
	assert_int_equal(writes, 3);
	assert_int_equal(bytes, 9);
	diskcache_drop_all(fx->dc, &writes, &bytes);
	assert_int_equal(writes, 3);
	assert_int_equal(bytes, 9);
	assert_string_equal(seen(fx), "synced");
	assert_int_equal(diskcache_size(fx->dc, fx->ino, real_size(fx)), 6);
	diskcache_pending(fx->dc, &writes, &bytes);
	assert_int_equal(writes, 0);
	assert_int_equal(bytes, 0);
}

static void test_truncate_cuts_cached_writes(void **state)
{
	struct fixture *fx = *state;

	diskcache_write(fx->dc, fx->ino, fx->fd, "abcdefgh", 8, 0);
	assert_int_equal(ftruncate(fx->fd, 3), 0);
	diskcache_truncate(fx->dc, fx->ino, 3);
	assert_string_equal(seen(fx), "abc");
	assert_int_equal(diskcache_size(fx->dc, fx->ino, real_size(fx)), 3);
	diskcache_write(fx->dc, fx->ino, fx->fd, "Z", 1, 5);
	assert_int_equal(diskcache_sync(fx->dc, fx->ino), 0);
	assert_int_equal(real_size(fx), 6);
	{
		char buf[8];

		assert_int_equal(pread(fx->fd, buf, sizeof buf, 0), 6);
		assert_memory_equal(buf, "abc\0\0Z", 6);
	}
}

static void test_forget_and_clean_shutdown(void **state)
{
	struct fixture *fx = *state;
	char path[300];
	struct stat st;
	int other;

	snprintf(path, sizeof path, "%s/other", fx->dir);
	other = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(other >= 0);
	assert_int_equal(fstat(other, &st), 0);
	diskcache_write(fx->dc, st.st_ino, other, "gone", 4, 0);
	diskcache_write(fx->dc, fx->ino, fx->fd, "kept", 4, 0);
	/* the other file was unlinked: its writes never reach a disk */
	diskcache_forget(fx->dc, st.st_ino);
	assert_int_equal(diskcache_sync_all(fx->dc), 0);
	assert_string_equal(on_disk(fx), "kept");
	assert_int_equal(fstat(other, &st), 0);
	assert_int_equal(st.st_size, 0);
	close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_stays_in_cache_until_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_writes_read_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_cut_keeps_only_synced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_cuts_cached_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_and_clean_shutdown, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
