/*
 * outdir: the folders a run writes into, held open by file descriptor so
 * that nothing under the run folder is ever resolved by path a second time.
 *
 * acklab often runs as root, and its run folder (--out) may be a folder that
 * already exists and that someone else could have prepared. So everything a
 * run creates, truncates or deletes goes through this module: the run folder
 * is opened once (O_DIRECTORY|O_NOFOLLOW), cell folders are made and opened
 * relative to it (mkdirat, openat with O_NOFOLLOW), files are opened relative
 * to their folder with O_NOFOLLOW|O_CLOEXEC, and clearing a folder removes
 * only its regular files (unlinkat, never recursing). A symbolic link where a
 * file or folder is expected is refused with an error naming the path and
 * where the link points; a folder owned by another user, or one anybody may
 * write to without the sticky bit, is refused too, because its owner could
 * swap its contents under the run. Folders are made 0700 and files 0600: a
 * run's logs and captures are readable only by the user who ran it.
 */
#ifndef ACKLAB_OUTDIR_H
#define ACKLAB_OUTDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct outdir {
	int fd;                       /* the open folder, or -1 */
	char path[PATH_MAX];          /* its path, for messages and for roles' {dir} */
};

/* How outdir_open_file() treats an existing file. */
enum outdir_mode { OUTDIR_TRUNCATE, OUTDIR_APPEND };

/*
 * Is name fit to be a folder under the run folder: [a-z0-9][a-z0-9_-]*?
 * Scenario and stack names must be; so no name can be "..", hold a '/', or
 * differ from another only in case.
 */
bool outdir_name_ok(const char *name);

/*
 * Open the folder at path (made 0700 first when create and missing). A
 * symbolic link at path's last component is refused (the folders above it
 * are the caller's choice and are followed), as are a non-folder, a folder
 * owned by another user and a folder anybody may write to without the
 * sticky bit. On success d owns the fd (outdir_close). Returns 0 or -1 with
 * err naming the path.
 */
int outdir_open(struct outdir *d, const char *path, bool create, char *err, size_t errlen);

/*
 * Open (made 0700 first when missing) the folder name inside parent, with the
 * same refusals; name must pass outdir_name_ok(). d->path is parent's path
 * plus "/name". Returns 0 or -1 with err.
 */
int outdir_open_sub(struct outdir *d, const struct outdir *parent, const char *name, char *err,
		    size_t errlen);

/*
 * Open the file name (one path component) in d for writing, created 0600
 * when missing: O_NOFOLLOW|O_CLOEXEC, so a symbolic link is refused; a
 * non-regular file or one with other hard links is refused too. Truncated
 * or appended to as mode says. Returns the fd (caller closes) or -1 with err.
 */
int outdir_open_file(const struct outdir *d, const char *name, enum outdir_mode mode, char *err,
		     size_t errlen);

/* Write buf as the whole content of d/name (outdir_open_file, then write all). 0 or -1 with err. */
int outdir_write_file(const struct outdir *d, const char *name, const void *buf, size_t len,
		      char *err, size_t errlen);

/*
 * Remove the regular files of d, never following a link and never entering
 * a folder (folders are left as they are). A symbolic link in d is refused
 * before anything is removed. Returns 0 or -1 with err naming the link.
 */
int outdir_clear(const struct outdir *d, char *err, size_t errlen);

/*
 * Check what a run would write into the folder at path without changing
 * anything: when it exists it must pass outdir_open(), and no entry in it,
 * in its sub-folders or in theirs (the run folder, scenario folders, cell
 * folders) may be a symbolic link. Nothing is followed. Lets a run refuse
 * a prepared folder before anything starts. Returns 0 or -1 with err.
 */
int outdir_check_tree(const char *path, char *err, size_t errlen);

/*
 * Point the symbolic link parent/name at target (a path relative to parent),
 * replacing an existing symbolic link of that name; anything else there is
 * left alone and is an error. Returns 0 or -1 with err.
 */
int outdir_symlink(const struct outdir *parent, const char *name, const char *target, char *err,
		   size_t errlen);

/*
 * Make the folders on the way to path that do not exist yet (not path
 * itself), 0755 like mkdir -p: they are the caller's choice, so links among
 * them are followed. Returns 0 or -1 with err naming the folder.
 */
int outdir_make_parents(const char *path, char *err, size_t errlen);

/*
 * Empty the run folder at path the way a run lays it out: its files, and
 * its folders two levels deep (SCENARIO/STACK and their files), nothing
 * deeper and nothing followed; a link or a deeper folder is refused before
 * anything is removed. For `acklab run --force`. Returns 0 or -1 with err.
 */
int outdir_clear_run(const char *path, char *err, size_t errlen);

/* Close d's fd (d->fd becomes -1). Safe on a closed d and on one whose open failed. */
void outdir_close(struct outdir *d);

#endif
