/*
 * netprobe: plain TCP probes inside the topology's hosts, for tests and for
 * `acklab doctor` (can the client reach the server through the router? is
 * NAT on? does a fault bite?).
 *
 * Every socket is made inside the named host's namespace and stays bound to
 * it, so the calling thread never has to be there itself. All sockets are
 * non-blocking and close-on-exec; every wait is a poll() against a deadline
 * in milliseconds, never a sleep. On failure functions return -1 with err
 * filled and errno set: ETIMEDOUT when the deadline passed, otherwise the
 * socket's own error (ECONNRESET, ECONNREFUSED, ...), so a caller can tell
 * "nothing came" from "the connection was reset".
 *
 * One thread is enough for a round trip: the kernel completes the handshake
 * into the listener's backlog, so listen, connect, accept, send on one end,
 * recv on the other, in that order (see tests/unit/harness_topo.c).
 */
#ifndef ACKLAB_NETPROBE_H
#define ACKLAB_NETPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct topo;

/*
 * A TCP listener on host's address (any address of the host) and port, with
 * SO_REUSEADDR. Returns the fd (caller closes) or -1.
 */
int netprobe_listen(struct topo *t, const char *host, uint16_t port, char *err, size_t errlen);

/*
 * Accept one connection on lfd within timeout_ms. peer (may be NULL) gets the
 * peer's address as the listener saw it ("198.18.2.1": the router's, when
 * NAT is on). Returns the connected non-blocking fd (caller closes) or -1.
 */
int netprobe_accept(int lfd, int timeout_ms, char *peer, size_t peerlen, char *err,
		    size_t errlen);

/*
 * Connect from from_host to to_addr:port and wait at most timeout_ms for the
 * handshake to complete. Returns the connected non-blocking fd (caller
 * closes) or -1 (errno ETIMEDOUT when the SYN went unanswered).
 */
int netprobe_connect(struct topo *t, const char *from_host, const char *to_addr, uint16_t port,
		     int timeout_ms, char *err, size_t errlen);

/*
 * Queue all len bytes on fd within timeout_ms. Success means the kernel took
 * the bytes (TCP's "sent"), not that the peer got them. Returns 0 or -1.
 */
int netprobe_send(int fd, const void *buf, size_t len, int timeout_ms, char *err, size_t errlen);

/*
 * Wait at most timeout_ms for bytes on fd and read what is there (up to len).
 * Returns the count (> 0), 0 when the peer closed the connection, or -1
 * (errno ETIMEDOUT when nothing came in time).
 */
ssize_t netprobe_recv(int fd, void *buf, size_t len, int timeout_ms, char *err, size_t errlen);

#endif
