/*
 * proc: one role (a server, a client, a recipient) running as a process in
 * its host's network namespace.
 *
 * One recipe for every child (relayd check_script.c): fork; in the child set
 * PR_SET_PDEATHSIG(SIGKILL), close every stray fd, enter the host's network
 * namespace (and, for a server whose data folder acklab serves, a mount
 * namespace with that folder's mount in place), wire stdin to a pipe from acklab, stdout to a pipe to acklab,
 * stderr to <log_dir>/<role>.stderr.log, exec argv. acklab reads stdout line
 * by line (non-blocking, from its own poll loop): every line is appended to
 * <log_dir>/<role>.stdout.log and handed to the caller with the time it was
 * read. Exit statuses and signals are recorded, restarts included. Stopping
 * is SIGTERM, then SIGKILL after a grace period; nothing outlives proc_free().
 */
#ifndef ACKLAB_PROC_H
#define ACKLAB_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc;

struct proc_spec {
	const char *role;             /* "server", "client", "recipient1", ... (copied) */
	int netns_fd;                 /* the host to run in; -1: acklab's own namespace */
	char *const *argv;            /* argv[0] is a path or a name looked up in PATH (copied) */
	const char *log_dir;          /* where <role>.stdout.log and <role>.stderr.log go: opened
	                                 once by outdir_open() and held, so a link there or in
	                                 place of a log is refused, not followed;
	                                 NULL: nowhere (the output is still read) */
	bool want_stdin;              /* give the child a stdin pipe (else /dev/null) */
};

enum proc_state { PROC_RUNNING, PROC_PAUSED, PROC_EXITED };

/* Start the role. On success *out is owned by the caller (proc_free). */
int proc_start(struct proc **out, const struct proc_spec *spec, char *err, size_t errlen);

/*
 * proc_start(), with a detached mount (fsmount(), disk.h) that the child
 * moves onto the folder mount_at in a mount namespace of its own before
 * exec, so the role, and only it, sees that filesystem there. Only this
 * life gets it (a mount moves once; proc_restart() starts without): the
 * caller keeps mount_fd and closes it once this returns.
 */
int proc_start_mounted(struct proc **out, const struct proc_spec *spec, int mount_fd,
		       const char *mount_at, char *err, size_t errlen);

/* Start the same command again with the same files (the role must have exited or been killed first). */
int proc_restart(struct proc *p, char *err, size_t errlen);

/* The read end of the child's stdout, for poll(); -1 when it is closed. */
int proc_stdout_fd(const struct proc *p);

/*
 * The current life's pidfd, for poll(): it becomes readable (POLLIN) the
 * moment the process exits, so a loop learns of an exit without a beat;
 * collect it with proc_reap(). -1 when the kernel has no pidfds or the life
 * is over (collected); a caller then has to poll proc_reap() on a beat. The
 * fd stays owned by proc; a restart gives a new one.
 */
int proc_pidfd(const struct proc *p);

/*
 * Read what is available on stdout without blocking and call on_line for
 * each complete line (without the newline), with t_ns = mono_ns() at read.
 * Returns 0 while the pipe is open, 1 at end of file, -1 on error.
 */
typedef void (*proc_line_fn)(void *arg, struct proc *p, const char *line, int64_t t_ns);
int proc_drain(struct proc *p, proc_line_fn on_line, void *arg);

/* Write one line (a '\n' is added) to the child's stdin. Returns 0 or -1. */
int proc_write_line(struct proc *p, const char *line, char *err, size_t errlen);

/* Close the child's stdin (end of input for a client). */
void proc_close_stdin(struct proc *p);

/* Send a signal: SIGKILL (crash), SIGSTOP (pause), SIGCONT (resume). Updates the state. */
int proc_signal(struct proc *p, int sig, char *err, size_t errlen);

/*
 * Collect the child if it has exited (waitpid WNOHANG). Returns 1 if it just
 * exited (the status is recorded), 0 if still running, -1 on error.
 */
int proc_reap(struct proc *p);

/*
 * Reap every child that has exited, without blocking: a role's exit is
 * recorded in its struct proc (and proc_reap() reports it once), anything
 * else (descendants reparented to acklab as PID 1 of the sandbox) is simply
 * reaped. Use this instead of waitpid(-1), which would steal roles'
 * statuses. Returns how many were reaped.
 */
int proc_reap_children(void);

/* Wait until the child has exited, up to timeout_ms; SIGKILL it after that. Records the status. */
int proc_wait_exit(struct proc *p, int timeout_ms);

/* SIGTERM (SIGCONT first if paused), wait up to grace_ms, then SIGKILL; always reaps. */
void proc_stop(struct proc *p, int grace_ms);

/* Stop if running, close everything, free. NULL ok. */
void proc_free(struct proc *p);

const char *proc_role(const struct proc *p);
pid_t proc_pid(const struct proc *p);
enum proc_state proc_state(const struct proc *p);
int proc_starts(const struct proc *p);   /* 1 after proc_start, +1 per restart */

/*
 * How the last life ended: "exit 0", "exit 3", "signal 9 (KILL)", or
 * "running". Written to buf; returns buf.
 */
const char *proc_describe_exit(const struct proc *p, char *buf, size_t len);
/* Raw wait status of the last exit (valid when state is PROC_EXITED). */
int proc_exit_status(const struct proc *p);

#endif
