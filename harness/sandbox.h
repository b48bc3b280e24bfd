/*
 * sandbox: acklab's private world, made once at start and gone when acklab is.
 *
 * sandbox_enter() unshares a user namespace (mapping the caller's uid and gid
 * to 0 inside, as root and as a normal user alike, so both take one path), a
 * network namespace that becomes acklab's "home" (empty but for loopback: the
 * machine's own interfaces, routes, sysctls and ruleset are never reachable
 * for change) and a PID namespace. It then forks: the child becomes PID 1 of
 * the new PID namespace and returns from sandbox_enter() to run the program;
 * the original process stays outside, forwards SIGINT/SIGTERM/SIGHUP to it,
 * and exits with its status. When acklab's PID 1 dies for any reason the
 * kernel kills every process in the namespace; the child also has
 * PR_SET_PDEATHSIG so a SIGKILL of the outer process takes everything down.
 * Network namespaces are held only by file descriptors (never bind-mounted or
 * named), so they, their veths and their nftables rulesets vanish with the
 * last fd. Nothing is left on the machine after any kind of exit.
 */
#ifndef ACKLAB_SANDBOX_H
#define ACKLAB_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Enter the sandbox. Must be called before any thread exists. Returns 0 in
 * the child (now PID 1 inside the sandbox, network namespace = home). The
 * outer process never returns: it exits with the child's exit status (or
 * 128+signal); stdio is flushed before the fork so nothing prints twice.
 * Being PID 1 has two consequences the program must handle:
 *  - the kernel delivers to PID 1 only the signals it has a handler for, so
 *    the program must install SIGINT/SIGTERM (and SIGHUP) handlers if it
 *    wants to stop cleanly; the outer process forwards the first such signal
 *    and answers a second one by SIGKILLing the sandbox (everything in it);
 *  - orphaned descendants are reparented to it: reap them (waitpid(-1)).
 * When PID 1 exits, every other process in the sandbox is killed. Returns -1 with err filled when the kernel refuses (e.g.
 * "unshare(CLONE_NEWUSER): Operation not permitted (unprivileged user
 * namespaces are disabled: sysctl kernel.unprivileged_userns_clone=1)").
 */
int sandbox_enter(char *err, size_t errlen);

/* True when sandbox_enter() has run in this process. */
bool sandbox_active(void);

/* The uid acklab was started as (0 for root), recorded before entering. */
unsigned sandbox_outer_uid(void);

/*
 * Create a new network namespace and return an fd for it (caller closes).
 * The calling thread is back in the namespace it was in before the call.
 */
int sandbox_netns_new(char *err, size_t errlen);

/*
 * Run fn(arg) with the calling thread inside netns_fd, then switch back to
 * the namespace it came from. Sockets created by fn stay bound to netns_fd
 * for their lifetime (the kernel binds a socket to the namespace it was made
 * in), which is how acklab talks netlink, nftables and pcap into each host.
 * Returns fn's return value, or -1 with err filled if switching failed.
 */
int sandbox_in_netns(int netns_fd, int (*fn)(void *arg, char *err, size_t errlen), void *arg,
		     char *err, size_t errlen);

/*
 * Write a sysctl (e.g. "net.ipv4.tcp_retries2", "3") in the given network
 * namespace through /proc/sys. Returns 0, or -1 with err naming key and host.
 */
int sandbox_sysctl_set(int netns_fd, const char *key, const char *value, char *err, size_t errlen);

/*
 * Is key a sysctl that belongs to one network namespace ("net.ipv4.tcp_retries2")?
 * Only those may be set: anything else (vm.*, kernel.*) is the machine's own,
 * and a root user's sandbox could otherwise reach it. Also refuses keys that
 * could escape /proc/sys/net ("..", "/", odd characters).
 */
bool sandbox_sysctl_key_ok(const char *key);

/*
 * Give every role started from now on (proc_start(), in this process and in
 * the processes it forks) a /tmp of its own: in the role's child, a mount
 * namespace of its own with an empty tmpfs on /tmp, so what a role leaves
 * in /tmp, or finds there, is its own and is gone when it exits; the
 * machine's /tmp is out of its reach. keep (NULL-terminated) names the
 * folders that must stay reachable at their paths, such as the run folder,
 * the programs' folder and the stack files' folder: each one under /tmp is
 * bound back in at its path. They are opened now (one that does not exist
 * is skipped).
 * Call after sandbox_enter(). Returns 0 or -1 with err.
 */
int sandbox_private_tmp(const char *const *keep, char *err, size_t errlen);

/*
 * In a role's child, between fork and exec (only system calls): make the
 * private /tmp of sandbox_private_tmp(). Does nothing when that was not
 * called. Returns 0, or -1 with errno set.
 */
int sandbox_private_tmp_enter(void);

/* What a fresh network namespace shows of one sysctl (see sandbox_sysctl_fresh()). */
struct sandbox_sysctl_seen {
	bool found;                   /* the key exists there */
	char value[256];              /* its value there (blanks as the kernel prints them), when readable */
	int missing;                  /* when !found: the index of the first dot-separated part missing */
	char siblings[2048];          /* when !found: the names beside that part, one per line */
};

/*
 * Look the keys up as a host's fresh network namespace has them, changing
 * nothing: a child process unshares a user and a network namespace (both
 * gone when it exits), reads /proc/sys/<key> for each key and reports back.
 * An interface in net.ipv4.conf.IF.*, net.ipv6.conf.IF.* or
 * net.ipv{4,6}.neigh.IF.* is read as "default" (a host's own interfaces
 * exist only once its cell runs). Keys must pass sandbox_sysctl_key_ok().
 * Returns 0 with out[0..n) filled, or -1 with err when the machine cannot
 * make the namespaces (the keys are then unchecked).
 */
int sandbox_sysctl_fresh(const char *const *keys, int n, struct sandbox_sysctl_seen *out, char *err,
			 size_t errlen);

#endif
