/*
 * netprobe: non-blocking TCP sockets made inside a host's namespace, and
 * deadline-bounded waits on them; see netprobe.h.
 */
#include "netprobe.h"

#include "sandbox.h"
#include "topo.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Milliseconds left until deadline_ns (0 when passed). */
static int netprobe_left_ms(int64_t deadline_ns)
{
	int64_t left = deadline_ns - mono_ns();

	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* poll fd for events until the deadline; 0 ready, -1 errno ETIMEDOUT or poll's. */
static int netprobe_wait(int fd, short events, int64_t deadline_ns)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&pfd, 1, netprobe_left_ms(deadline_ns));

		if (n > 0)
			return 0;
		if (n == 0) {
			if (mono_ns() >= deadline_ns) {
				errno = ETIMEDOUT;
				return -1;
			}
			continue;
		}
		if (errno != EINTR)
			return -1;
	}
}

struct netprobe_sock {
	int fd;
};

static int netprobe_socket_in(void *arg, char *err, size_t errlen)
{
	struct netprobe_sock *s = arg;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return err_set(err, errlen, "socket: %s", strerror(errno));
	return 0;
}

/* A TCP socket bound to host's namespace, or -1. */
static int netprobe_socket(struct topo *t, const char *host, char *err, size_t errlen)
{
	struct topo_host *h = topo_host(t, host);
	struct netprobe_sock s = { -1 };
	char msg[256];

	if (!h)
		return err_set(err, errlen, "netprobe: no host named '%s'", host ? host : "(null)");
	if (sandbox_in_netns(h->netns_fd, netprobe_socket_in, &s, msg, sizeof msg) < 0) {
		err_set(err, errlen, "netprobe: %s: %s", host, msg);
		return -1;
	}
	return s.fd;
}

static int netprobe_sockaddr(const char *addr, uint16_t port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (!addr) {
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -1;
}

int netprobe_listen(struct topo *t, const char *host, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	int fd, one = 1, e;

	fd = netprobe_socket(t, host, err, errlen);
	if (fd < 0)
		return -1;
	netprobe_sockaddr(NULL, port, &sin);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 16) < 0) {
		e = errno;
		err_set(err, errlen, "netprobe: %s: listen on port %u: %s", host, port, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int netprobe_accept(int lfd, int timeout_ms, char *peer, size_t peerlen, char *err,
		    size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	struct sockaddr_in sin;
	socklen_t slen;
	int fd, e;

	for (;;) {
		slen = sizeof sin;
		fd = accept4(lfd, (struct sockaddr *)&sin, &slen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			e = errno;
			err_set(err, errlen, "netprobe: accept: %s", strerror(e));
			errno = e;
			return -1;
		}
		if (netprobe_wait(lfd, POLLIN, deadline) < 0) {
			e = errno;
			err_set(err, errlen, "netprobe: accept: no connection within %d ms",
				timeout_ms);
			errno = e;
			return -1;
		}
	}
	if (peer && peerlen)
		inet_ntop(AF_INET, &sin.sin_addr, peer, (socklen_t)peerlen);
	return fd;
}

int netprobe_connect(struct topo *t, const char *from_host, const char *to_addr, uint16_t port,
		     int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(int);
	int fd, soerr = 0, e;

	if (netprobe_sockaddr(to_addr, port, &sin) < 0 || !to_addr) {
		errno = EINVAL;
		return err_set(err, errlen, "netprobe: '%s' is not an IPv4 address",
			       to_addr ? to_addr : "(null)");
	}
	fd = netprobe_socket(t, from_host, err, errlen);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 && errno != EINPROGRESS) {
		e = errno;
		goto fail;
	}
	if (netprobe_wait(fd, POLLOUT, deadline) < 0) {
		e = errno;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
		soerr = errno;
	if (soerr) {
		e = soerr;
		goto fail;
	}
	return fd;
fail:
	if (e == ETIMEDOUT)
		err_set(err, errlen, "netprobe: %s -> %s:%u: no connection within %d ms", from_host,
			to_addr, port, timeout_ms);
	else
		err_set(err, errlen, "netprobe: %s -> %s:%u: %s", from_host, to_addr, port,
			strerror(e));
	close(fd);
	errno = e;
	return -1;
}

int netprobe_send(int fd, const void *buf, size_t len, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	const char *p = buf;
	int e;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto fail;
		if (netprobe_wait(fd, POLLOUT, deadline) < 0)
			goto fail;
	}
	return 0;
fail:
	e = errno;
	err_set(err, errlen, "netprobe: send: %s", strerror(e));
	errno = e;
	return -1;
}

ssize_t netprobe_recv(int fd, void *buf, size_t len, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int e;

	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			break;
		if (netprobe_wait(fd, POLLIN, deadline) < 0)
			break;
	}
	e = errno;
	if (e == ETIMEDOUT)
		err_set(err, errlen, "netprobe: recv: nothing within %d ms", timeout_ms);
	else
		err_set(err, errlen, "netprobe: recv: %s", strerror(e));
	errno = e;
	return -1;
}
