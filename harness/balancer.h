/*
 * balancer: HAProxy in front of several server instances (`servers N behind
 * haproxy` in a scenario), as acklab runs it in the host "lb".
 *
 * acklab writes HAProxy's configuration into the cell folder: one frontend
 * on the lb's address and the stack's port, one backend with the instances
 * server1..serverN, HTTP mode (WebSocket upgrades pass through as tunnels),
 * a TCP health check every 100 ms (an instance that stops is out within
 * 200 ms, at once when a connection to it fails; one that starts is back
 * after one good check), no retries of its own (HAProxy retries a failed
 * connection only after a turn-around of up to a second, and then even a
 * POST the client has given up on: the client's own retries are what the
 * experiment is about), and `balance
 * first`: every new connection goes to the first instance that is up, so
 * which instance holds a connection is decided, not drawn, and a run
 * repeats. A control socket in the cell folder lets faults drain an
 * instance (no new connections; those it has keep going) and make it ready
 * again, through HAProxy's runtime API, as a deploy script does.
 */
#ifndef ACKLAB_BALANCER_H
#define ACKLAB_BALANCER_H

#include <stddef.h>

struct outdir;

/* The control socket's and the configuration's names in the cell folder. */
#define BALANCER_SOCKET "lb.sock"
#define BALANCER_CONFIG "lb.cfg"
/* The backend's name in the configuration (instances are "chat/server1", ...). */
#define BALANCER_BACKEND "chat"

/* The haproxy program (PATH, then /usr/sbin and /sbin) into path. 0, or -1 when it is not installed. */
int balancer_find(char *path, size_t len);

/*
 * Write the configuration as dir/BALANCER_CONFIG: listening on
 * front_addr:port, instances at addrs[0..n-1] (same port), the control
 * socket at dir's path/BALANCER_SOCKET. -1 with err (a path too long for a
 * UNIX socket among the reasons: give a shorter --out).
 */
int balancer_write_config(const struct outdir *dir, const char *front_addr, int port,
			  const char *const *addrs, int n, char *err, size_t errlen);

/*
 * Send one runtime API command ("set server chat/server1 state drain") to
 * the control socket at sock and read its answer into reply (HAProxy says
 * nothing on success). Bounded by timeout_ms. 0, or -1 with err.
 */
int balancer_command(const char *sock, const char *cmd, int timeout_ms, char *reply, size_t len, char *err,
		     size_t errlen);

#endif
