/*
 * disk: the server role's data folder served by acklab's own FUSE
 * filesystem, so storage faults need nothing from the server.
 *
 * disk_open() starts the filesystem (`acklab disk-serve`, diskfs.c) as a
 * child process passing through to a real folder, and holds a control
 * socket to it. Each life of the server gets a mount of its own:
 * disk_mount() opens /dev/fuse, makes a FUSE superblock with the new mount
 * API (fsopen/fsconfig/fsmount) and hands the connection to the child; the
 * result is a detached mount, attached by nobody yet, that the server's
 * process moves onto its data folder in its own mount namespace between
 * fork and exec (proc_spec.mount_fd). So no mount ever exists outside the
 * server's namespace: when the server dies, its namespace, the mount and
 * the FUSE connection go with it, and a killed acklab leaves nothing
 * behind. The cache of unsynced writes (diskcache.h) lives in the child and
 * outlasts the server's lives, as a machine's page cache outlasts a crash.
 *
 * Faults are requests on the control socket, each answered with what the
 * fault touched: disk_fault_set() arms failing writes (ENOSPC), I/O errors
 * on reads, writes or fsyncs (EIO) or slow fsyncs; disk_fault_clear()
 * disarms them and says how many operations they acted on; disk_lose()
 * drops every unsynced write (a power cut). disk_close() writes every
 * cached write back (a clean shutdown) and waits for the child.
 *
 * Every request waits for its answer with a deadline (DISK_REPLY_MS).
 */
#ifndef ACKLAB_DISK_H
#define ACKLAB_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DISK_REPLY_MS 3000
#define DISK_SLOW_MAX_MS 60000        /* the longest fsync delay disk-slow takes */

/* What a fault arms, as bits (a request may carry several). */
enum disk_fault {
	DISK_FULL       = 1u << 0,    /* writes and creates fail with ENOSPC */
	DISK_EIO_READ   = 1u << 1,    /* reads fail with EIO */
	DISK_EIO_WRITE  = 1u << 2,    /* writes fail with EIO */
	DISK_EIO_FSYNC  = 1u << 3,    /* fsyncs fail with EIO (the writes stay unsynced) */
	DISK_SLOW_FSYNC = 1u << 4,    /* each fsync waits ms first */
};
#define DISK_EIO_ALL (DISK_EIO_READ | DISK_EIO_WRITE | DISK_EIO_FSYNC)

/* --- the control protocol between disk.c and diskfs.c (one binary, one layout) --- */

enum disk_op { DISK_OP_SESSION = 1, DISK_OP_SET, DISK_OP_CLEAR, DISK_OP_LOSE, DISK_OP_QUIT };

struct disk_request {
	int op;                       /* enum disk_op; SESSION carries a /dev/fuse fd */
	unsigned faults;              /* SET, CLEAR: enum disk_fault bits */
	int ms;                       /* SET with DISK_SLOW_FSYNC: the delay */
};

struct disk_reply {
	int err;                      /* 0, or the errno of the failure */
	uint64_t ops;                 /* CLEAR: operations the faults acted on; LOSE: writes dropped */
	uint64_t bytes;               /* LOSE: bytes dropped */
};

/* The fds `acklab disk-serve` finds open: the control socket and the real folder. */
#define DISK_CONTROL_FD 3
#define DISK_BACKING_FD 4

/* --- the harness's side -------------------------------------------------- */

struct disk;

/*
 * Can this machine serve a FUSE filesystem here (inside the sandbox)? Opens
 * /dev/fuse and makes (then drops) a superblock. Returns 0, or -1 with err
 * saying what refused and how to allow it.
 */
int disk_probe(char *err, size_t errlen);

/*
 * Start the filesystem over the real folder open as backing_fd (the caller
 * keeps its own fd; the child gets a copy). exe is acklab's executable; the
 * child's stderr goes to log_fd (-1: /dev/null). *out is the caller's
 * (disk_close). 0 or -1 with err.
 */
int disk_open(struct disk **out, int backing_fd, const char *exe, int log_fd, char *err,
	      size_t errlen);

/*
 * A new mount of the filesystem for one life of a role: a detached mount
 * (fsmount), served by the child from now on. Returns its fd (the caller
 * closes it once the role's process has moved it into place), or -1 with err.
 */
int disk_mount(struct disk *d, char *err, size_t errlen);

/* Arm faults (enum disk_fault bits; ms for DISK_SLOW_FSYNC). 0 or -1 with err. */
int disk_fault_set(struct disk *d, unsigned faults, int ms, char *err, size_t errlen);
/* Disarm them; *ops: how many operations they failed or delayed since armed. */
int disk_fault_clear(struct disk *d, unsigned faults, uint64_t *ops, char *err, size_t errlen);
/* Power cut: drop every unsynced write; how many writes and bytes were dropped. */
int disk_lose(struct disk *d, uint64_t *writes, uint64_t *bytes, char *err, size_t errlen);

/* Write every cached write back, stop the child and free (NULL ok). Always frees. */
int disk_close(struct disk *d, char *err, size_t errlen);

/* `acklab disk-serve`: the child's main (diskfs.c), on DISK_CONTROL_FD and DISK_BACKING_FD. */
int diskfs_main(void);

#endif
