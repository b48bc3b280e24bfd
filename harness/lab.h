/*
 * lab: the bench on which `acklab doctor` proves every fault primitive.
 *
 * A lab is a real topology with a TCP listener in the server host and an
 * echo process (this program's hidden `probe-echo` command) running there
 * as the role "server", so process faults act on a real process through the
 * same struct fault_env a running cell gives them. A proof (the prove
 * function of a row in fault_proc.c or fault_net.c) opens plain TCP pairs
 * through the router, applies its fault, and watches both ends with the
 * probes below. Every wait has a deadline: "nothing arrives" means nothing
 * within LAB_QUIET_MS, "it arrives" means within LAB_WAIT_MS.
 *
 * The storage faults prove themselves on files instead: lab_disk() starts
 * acklab's FUSE filesystem (disk.h) over an anonymous tmpfs and keeps a
 * detached mount of it, which proofs reach by openat() on its fd. Nothing
 * is mounted anywhere, so the doctor leaves no files and no mounts.
 */
#ifndef ACKLAB_LAB_H
#define ACKLAB_LAB_H

#include <stdbool.h>
#include <stddef.h>

#include "fault.h"

#define LAB_PORT 7000             /* the listener's port in the server host */
#define LAB_ECHO_PORT 7001        /* the echo process's port */
#define LAB_QUIET_MS 300
#define LAB_WAIT_MS 2000
#define LAB_SEED 20240611         /* the shaping faults' seed: a proof repeats */

struct lab {
	struct topo *topo;            /* borrowed */
	int lfd;                      /* the listener in the server host */
	struct proc *echo;            /* the echo role; NULL until started */
	char exe[4096];               /* this program, to run `probe-echo` */
	struct fault_env env;         /* "server" is the echo; restarting it starts a new one */
	struct disk *disk;            /* the FUSE filesystem for storage proofs; NULL until lab_disk() */
	int disk_mnt;                 /* its detached mount (-1 until lab_disk()) */
	char disk_err[256];           /* why lab_disk() failed, once it has */
};

/* A client/server pair of connected sockets through the router (-1 when closed). */
struct lab_pair {
	int c, s;
};

/*
 * Open the lab on topology t (kept by the caller, which frees it after
 * lab_close): the listener and the echo process, running and ready.
 * bin_dir holds the acklab executable. *out is the caller's (lab_close).
 */
int lab_open(struct lab **out, struct topo *t, const char *bin_dir, char *err, size_t errlen);

/* Stop the echo process, close the listener, free. NULL ok. */
void lab_close(struct lab *l);

/*
 * Connect the client host to the listener through the router and accept.
 * peer (may be NULL) gets the address the server saw. 0 or -1 with err.
 */
int lab_pair_open(struct lab *l, struct lab_pair *p, char *peer, size_t peerlen, char *err,
		  size_t errlen);
void lab_pair_close(struct lab_pair *p);

/* Does a new connection carry a request and its reply both ways? */
bool lab_fresh_works(struct lab *l);

/* Nothing arrives on fd within LAB_QUIET_MS (and the connection is not reset). */
bool lab_quiet(int fd);
/* Bytes arrive on fd within LAB_WAIT_MS. */
bool lab_arrives(int fd);

/* Accept and close whatever waits in the listener's backlog (SYNs a fault held back). */
void lab_drain(struct lab *l);

/* Start the echo process again if it is not running and ready. 0 or -1 with err. */
int lab_echo_running(struct lab *l, char *err, size_t errlen);

/*
 * The lab's FUSE filesystem, started on first use: 0 with l->disk and
 * l->disk_mnt ready, or -1 with err saying why this machine cannot serve
 * one (the same reason on every later call).
 */
int lab_disk(struct lab *l, char *err, size_t errlen);

/* A connection from the client host to the echo process (caller closes), or -1 with err. */
int lab_echo_connect(struct lab *l, char *err, size_t errlen);

#endif
