/*
 * scratch: a fresh directory under /tmp for one test's files (a database,
 * an event log), and its removal afterwards.
 *
 * A test owns its directory outright, so removal does not need to know
 * which files chatd or SQLite made there (-wal, -shm, -journal): it takes
 * every file in it, then the directory. Plain libc only, so any test
 * program can link it.
 */
#ifndef ACKLAB_TEST_SCRATCH_H
#define ACKLAB_TEST_SCRATCH_H

#include <stddef.h>

/*
 * Create "/tmp/<name>-XXXXXX" (mkdtemp) and write its path into dir.
 * Returns 0, or -1 with errno set (ENAMETOOLONG when dirlen is too small).
 */
int scratch_make(char *dir, size_t dirlen, const char *name);

/*
 * Remove every file directly in dir, then dir itself. Best effort and
 * silent: a missing dir is fine, a subdirectory stays (and so does dir).
 */
void scratch_remove(const char *dir);

#endif
