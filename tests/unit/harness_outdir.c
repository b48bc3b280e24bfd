/*
 * Tests of outdir, the only way a run creates, truncates or deletes files:
 * in a scratch folder, symbolic links are planted where a run folder, a cell
 * folder or a file is expected, each pointing at a file or folder outside;
 * every call must refuse with the exact message, and the outside targets
 * must be byte for byte untouched. Also: folders 0700 and files 0600,
 * truncate and append, clearing that removes only regular files and never
 * recurses, a FIFO refused without blocking, a second hard link refused,
 * folders owned by someone else (as root) or writable by anybody refused,
 * the read-only tree check, and the reports/latest link.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../harness/outdir.h"

static const char secret[] = "outside: must stay as it is\n";

struct fx {
	char dir[64];                 /* scratch root */
	char outside[128];            /* a file outside any run folder */
	char outside_dir[128];        /* a folder outside any run folder */
	char path[512];
	char expect[1024];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	FILE *f;

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "/tmp/acklab-outdir-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->outside, sizeof fx->outside, "%s/outside.txt", fx->dir);
	snprintf(fx->outside_dir, sizeof fx->outside_dir, "%s/outside-dir", fx->dir);
	f = fopen(fx->outside, "w");
	if (!f || fputs(secret, f) < 0 || fclose(f) != 0 || mkdir(fx->outside_dir, 0755) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* fx->path = fx->dir + "/" + rel */
static const char *at(struct fx *fx, const char *rel)
{
	snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, rel);
	return fx->path;
}

static void outside_untouched(struct fx *fx)
{
	char buf[256] = "";
	FILE *f = fopen(fx->outside, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, secret);
}

static int count_entries(const char *dir)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_names(void **state)
{
	static const char *const good[] = { "lost-ack", "http", "ws-ack-key", "a", "0", "x_1",
					    "20240101-120000-00af", NULL };
	static const char *const bad[] = { "", ".", "..", "a/b", "-x", "_x", "Lost", "a.b", "a b",
					   "é", "a\n", NULL };

	(void)state;
	for (int i = 0; good[i]; i++)
		assert_true(outdir_name_ok(good[i]));
	for (int i = 0; bad[i]; i++) {
		if (outdir_name_ok(bad[i]))
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_false(outdir_name_ok(NULL));
}

static void test_open_and_modes(void **state)
{
	struct fx *fx = *state;
	struct outdir run, cell, again;
	char err[1024] = "";
	int fd;

	assert_int_equal(outdir_open(&run, at(fx, "run/"), true, err, sizeof err), 0);
	assert_string_equal(run.path, at(fx, "run"));
	assert_int_equal(mode_of(at(fx, "run")), 0700);
	assert_int_equal(outdir_open_sub(&cell, &run, "lost-ack", err, sizeof err), 0);
	assert_string_equal(cell.path, at(fx, "run/lost-ack"));
	assert_int_equal(mode_of(at(fx, "run/lost-ack")), 0700);
	/* Opening again finds the same folder. */
	assert_int_equal(outdir_open_sub(&again, &run, "lost-ack", err, sizeof err), 0);
	outdir_close(&again);
	assert_int_equal(again.fd, -1);
	outdir_close(&again);

	fd = outdir_open_file(&cell, "a.log", OUTDIR_APPEND, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "one\n", 4), 4);
	close(fd);
	assert_int_equal(mode_of(at(fx, "run/lost-ack/a.log")), 0600);
	fd = outdir_open_file(&cell, "a.log", OUTDIR_APPEND, err, sizeof err);
	assert_int_equal(write(fd, "two\n", 4), 4);
	close(fd);
	assert_int_equal(outdir_write_file(&cell, "b.json", "{}\n{}\n", 6, err, sizeof err), 0);
	assert_int_equal(outdir_write_file(&cell, "b.json", "[]\n", 3, err, sizeof err), 0);
	{
		char buf[64] = "";
		FILE *f = fopen(at(fx, "run/lost-ack/a.log"), "r");

		assert_int_equal(fread(buf, 1, sizeof buf, f), 8);
		fclose(f);
		assert_string_equal(buf, "one\ntwo\n");
		memset(buf, 0, sizeof buf);
		f = fopen(at(fx, "run/lost-ack/b.json"), "r");
		assert_int_equal(fread(buf, 1, sizeof buf, f), 3);
		fclose(f);
	}

	/* Names that are not one plain component. */
	assert_int_equal(outdir_open_file(&cell, "../x", OUTDIR_TRUNCATE, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect, "%s/run/lost-ack/../x: not a file name", fx->dir);
	assert_string_equal(err, fx->expect);
	assert_int_equal(outdir_open_sub(&again, &run, "..", err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect,
		 "%s/run: '..' is not a folder name acklab makes (expected [a-z0-9][a-z0-9_-]*)", fx->dir);
	assert_string_equal(err, fx->expect);
	assert_int_equal(again.fd, -1);

	/* A file where the run folder should be. */
	assert_int_equal(outdir_open(&again, fx->outside, true, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect, "%s exists and is not a folder", fx->outside);
	assert_string_equal(err, fx->expect);
	/* A parent that does not exist. */
	assert_int_equal(outdir_open(&again, at(fx, "no/such"), true, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect, "cannot create %s/no/such: %s/no: No such file or directory",
		 fx->dir, fx->dir);
	assert_string_equal(err, fx->expect);
	outdir_close(&cell);
	outdir_close(&run);
	outside_untouched(fx);
}

/* A link planted where the run folder, a cell folder or a file is expected. */
static void test_symlinks_refused(void **state)
{
	struct fx *fx = *state;
	struct outdir run, cell;
	char err[1024] = "";

	/* --out itself is a link to a folder outside. */
	assert_int_equal(symlink(fx->outside_dir, at(fx, "out-link")), 0);
	assert_int_equal(outdir_open(&run, at(fx, "out-link"), true, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect,
		 "%s/out-link is a symbolic link (to %s): acklab never follows a link where it writes; "
		 "remove it or choose another --out", fx->dir, fx->outside_dir);
	assert_string_equal(err, fx->expect);

	/* A cell folder that is a link. */
	assert_int_equal(outdir_open(&run, at(fx, "run"), true, err, sizeof err), 0);
	assert_int_equal(symlink(fx->outside_dir, at(fx, "run/lost-ack")), 0);
	assert_int_equal(outdir_open_sub(&cell, &run, "lost-ack", err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect,
		 "%s/run/lost-ack is a symbolic link (to %s): acklab never follows a link where it writes; "
		 "remove it or choose another --out", fx->dir, fx->outside_dir);
	assert_string_equal(err, fx->expect);
	assert_int_equal(count_entries(fx->outside_dir), 0);

	/* A file that is a link, in a real cell folder: truncate and append both refuse. */
	assert_int_equal(outdir_open_sub(&cell, &run, "http", err, sizeof err), 0);
	assert_int_equal(symlink(fx->outside, at(fx, "run/http/history.jsonl")), 0);
	assert_int_equal(symlink(fx->outside, at(fx, "run/http/server.stderr.log")), 0);
	assert_int_equal(outdir_open_file(&cell, "history.jsonl", OUTDIR_TRUNCATE, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect,
		 "%s/run/http/history.jsonl is a symbolic link (to %s): acklab never follows a link where "
		 "it writes; remove it or choose another --out", fx->dir, fx->outside);
	assert_string_equal(err, fx->expect);
	assert_int_equal(outdir_open_file(&cell, "server.stderr.log", OUTDIR_APPEND, err, sizeof err), -1);
	assert_non_null(strstr(err, "server.stderr.log is a symbolic link"));
	assert_int_equal(outdir_write_file(&cell, "history.jsonl", "x", 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "history.jsonl is a symbolic link"));

	/* Clearing a folder holding a link removes nothing at all, and says which link. */
	assert_int_equal(outdir_write_file(&cell, "old.log", "old", 3, err, sizeof err), 0);
	assert_int_equal(outdir_clear(&cell, err, sizeof err), -1);
	assert_non_null(strstr(err, " is a symbolic link (to "));
	assert_int_equal(count_entries(at(fx, "run/http")), 3);
	outside_untouched(fx);

	/* The tree check finds the planted links without following any. */
	assert_int_equal(outdir_check_tree(at(fx, "run"), err, sizeof err), -1);
	assert_non_null(strstr(err, "is a symbolic link (to "));
	outdir_close(&cell);
	outdir_close(&run);
	outside_untouched(fx);
}

static void test_clear(void **state)
{
	struct fx *fx = *state;
	struct outdir run, cell;
	char err[1024] = "";

	assert_int_equal(outdir_open(&run, at(fx, "run"), true, err, sizeof err), 0);
	assert_int_equal(outdir_open_sub(&cell, &run, "cell", err, sizeof err), 0);
	assert_int_equal(outdir_write_file(&cell, "a", "1", 1, err, sizeof err), 0);
	assert_int_equal(outdir_write_file(&cell, "b", "2", 1, err, sizeof err), 0);
	assert_int_equal(mkdir(at(fx, "run/cell/sub"), 0700), 0);
	assert_int_equal(close(open(at(fx, "run/cell/sub/kept"), O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(outdir_clear(&cell, err, sizeof err), 0);
	/* Regular files gone; the folder and what is inside it left: clearing never recurses. */
	assert_int_equal(count_entries(at(fx, "run/cell")), 1);
	assert_int_equal(count_entries(at(fx, "run/cell/sub")), 1);
	outdir_close(&cell);
	outdir_close(&run);
}

static void test_odd_files(void **state)
{
	struct fx *fx = *state;
	struct outdir run;
	char err[1024] = "";

	assert_int_equal(outdir_open(&run, at(fx, "run"), true, err, sizeof err), 0);
	/* A FIFO: refused at once (O_NONBLOCK), not a hang. */
	assert_int_equal(mkfifo(at(fx, "run/capture.pcap"), 0600), 0);
	assert_int_equal(outdir_open_file(&run, "capture.pcap", OUTDIR_TRUNCATE, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect, "%s/run/capture.pcap exists and is not a regular file", fx->dir);
	assert_string_equal(err, fx->expect);
	/* A second name for a file outside. */
	assert_int_equal(link(fx->outside, at(fx, "run/results.json")), 0);
	assert_int_equal(outdir_write_file(&run, "results.json", "{}", 2, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect,
		 "%s/run/results.json has another hard link: refusing to write through it", fx->dir);
	assert_string_equal(err, fx->expect);
	outside_untouched(fx);
	outdir_close(&run);
}

static void test_foreign_folders(void **state)
{
	struct fx *fx = *state;
	struct outdir run, cell;
	char err[1024] = "";

	/* Anybody may write (no sticky bit): they could swap what the run made. */
	assert_int_equal(mkdir(at(fx, "open"), 0700), 0);
	assert_int_equal(chmod(at(fx, "open"), 0777), 0);
	assert_int_equal(outdir_open(&run, at(fx, "open"), true, err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect, "%s/open can be written by anybody (mode 0777, no sticky bit): "
		 "choose a folder only you can write to", fx->dir);
	assert_string_equal(err, fx->expect);
	assert_int_equal(chmod(at(fx, "open"), 01777), 0);
	assert_int_equal(outdir_open(&run, at(fx, "open"), true, err, sizeof err), 0);
	outdir_close(&run);

	if (geteuid() != 0) {
		print_message("not root: folders of another user are not tested here\n");
		return;
	}
	/* A cell folder someone else made beforehand. */
	assert_int_equal(outdir_open(&run, at(fx, "run"), true, err, sizeof err), 0);
	assert_int_equal(mkdir(at(fx, "run/lost-ack"), 0700), 0);
	assert_int_equal(chown(at(fx, "run/lost-ack"), 65534, 65534), 0);
	assert_int_equal(outdir_open_sub(&cell, &run, "lost-ack", err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect, "%s/run/lost-ack belongs to uid 65534, not to the user running "
		 "acklab (uid 0): its owner could change it under the run; choose a folder of your own", fx->dir);
	assert_string_equal(err, fx->expect);
	assert_int_equal(outdir_check_tree(at(fx, "run"), err, sizeof err), -1);
	assert_string_equal(err, fx->expect);
	outdir_close(&run);
}

static void test_check_tree(void **state)
{
	struct fx *fx = *state;
	char err[1024] = "";

	assert_int_equal(outdir_check_tree(at(fx, "missing"), err, sizeof err), 0);
	assert_int_equal(mkdir(at(fx, "run"), 0700), 0);
	assert_int_equal(mkdir(at(fx, "run/s"), 0700), 0);
	assert_int_equal(mkdir(at(fx, "run/s/c"), 0700), 0);
	assert_int_equal(mkdir(at(fx, "run/s/c/deep"), 0700), 0);
	/* Below a cell folder the run never writes: not inspected. */
	assert_int_equal(symlink(fx->outside, at(fx, "run/s/c/deep/link")), 0);
	assert_int_equal(outdir_check_tree(at(fx, "run"), err, sizeof err), 0);
	assert_int_equal(symlink(fx->outside, at(fx, "run/s/c/chat.db")), 0);
	assert_int_equal(outdir_check_tree(at(fx, "run"), err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect,
		 "%s/run/s/c/chat.db is a symbolic link (to %s): acklab never follows a link where it "
		 "writes; remove it or choose another --out", fx->dir, fx->outside);
	assert_string_equal(err, fx->expect);
	outside_untouched(fx);
}

static void test_latest_link(void **state)
{
	struct fx *fx = *state;
	struct outdir reports;
	char err[1024] = "", target[64] = "";

	assert_int_equal(outdir_open(&reports, at(fx, "reports"), true, err, sizeof err), 0);
	assert_int_equal(outdir_symlink(&reports, "latest", "run-1", err, sizeof err), 0);
	assert_int_equal(outdir_symlink(&reports, "latest", "run-2", err, sizeof err), 0);
	assert_true(readlink(at(fx, "reports/latest"), target, sizeof target - 1) > 0);
	assert_string_equal(target, "run-2");
	assert_int_equal(unlink(at(fx, "reports/latest")), 0);
	assert_int_equal(mkdir(at(fx, "reports/latest"), 0700), 0);
	assert_int_equal(outdir_symlink(&reports, "latest", "run-3", err, sizeof err), -1);
	snprintf(fx->expect, sizeof fx->expect, "%s/reports/latest exists and is not a symbolic link: left as it is",
		 fx->dir);
	assert_string_equal(err, fx->expect);
	outdir_close(&reports);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_open_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_link, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
