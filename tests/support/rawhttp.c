/*
 * rawhttp: requests as given bytes, responses parsed just enough; see
 * rawhttp.h. Deadlines are absolute CLOCK_MONOTONIC times, so a response
 * that trickles in still ends by its deadline.
 */
#include "rawhttp.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

static int rawhttp_left_ms(int64_t deadline)
{
	int64_t left = (deadline - mono_ns()) / 1000000;

	return left < 0 ? 0 : (int)left;
}

/* Read more into h->buf. Returns bytes read, 0 on EOF or reset, -1 on timeout or a full buffer. */
static int rawhttp_fill(struct rawhttp *h, int64_t deadline)
{
	struct pollfd pfd = { h->fd, POLLIN, 0 };
	ssize_t n;
	int r;

	if (h->buf_len == sizeof h->buf)
		return -1;
	for (;;) {
		r = poll(&pfd, 1, rawhttp_left_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = recv(h->fd, h->buf + h->buf_len, sizeof h->buf - h->buf_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ECONNRESET ? 0 : -1;
		h->buf_len += (size_t)n;
		return (int)n;
	}
}

int rawhttp_connect(struct rawhttp *h, const char *host, int port, int timeout_ms,
		    char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct pollfd pfd;
	char ps[16];
	int one = 1, e = 0, r;
	socklen_t el = sizeof e;

	h->fd = -1;
	h->buf_len = 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof ps, "%d", port);
	if (getaddrinfo(host, ps, &hints, &ai) != 0)
		return err_set(err, errlen, "'%s': not a numeric address", host);
	h->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->fd < 0) {
		err_set(err, errlen, "socket: %s", strerror(errno));
		goto err;
	}
	if (connect(h->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		err_set(err, errlen, "connect %s:%d: %s", host, port, strerror(errno));
		goto err;
	}
	pfd.fd = h->fd;
	pfd.events = POLLOUT;
	r = poll(&pfd, 1, timeout_ms);
	if (r <= 0 || getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
		err_set(err, errlen, "connect %s:%d: %s", host, port, r <= 0 ? "timed out" : strerror(e));
		goto err;
	}
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	freeaddrinfo(ai);
	return 0;
err:
	freeaddrinfo(ai);
	rawhttp_close(h);
	return -1;
}

int rawhttp_send(struct rawhttp *h, const void *data, size_t len)
{
	const char *p = data;
	struct pollfd pfd = { h->fd, POLLOUT, 0 };
	ssize_t n;

	while (len) {
		n = send(h->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, 5000) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rawhttp_format_post(char *out, size_t outlen, const char *path, const char *body)
{
	int n = snprintf(out, outlen,
			 "POST %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 path, strlen(body), body);

	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

/* The value of header name in the head [p, end), or NULL. */
static const char *rawhttp_header(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *eol, *v;

	for (; p < end; p = eol + 2) {
		eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
		if (!eol)
			return NULL;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			for (v = p + nl + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			*vlen = (size_t)(eol - v);
			return v;
		}
	}
	return NULL;
}

int rawhttp_read(struct rawhttp *h, struct rawhttp_resp *r, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	const char *end, *v;
	size_t hl, vl, need;
	long cl;
	int got;

	memset(r, 0, sizeof *r);
	for (;;) {
		end = h->buf_len ? memmem(h->buf, h->buf_len, "\r\n\r\n", 4) : NULL;
		if (end)
			break;
		got = rawhttp_fill(h, deadline);
		if (got <= 0)
			return got == 0 && h->buf_len == 0 ? 0 : -1;
	}
	hl = (size_t)(end - h->buf) + 4;
	if (hl < 12 || memcmp(h->buf, "HTTP/1.", 7) != 0)
		return -1;
	r->status = atoi(h->buf + 9);
	v = rawhttp_header(memchr(h->buf, '\n', hl) + 1, end, "content-length", &vl);
	cl = v ? strtol(v, NULL, 10) : 0;
	if (cl < 0 || cl > RAWHTTP_BODY_MAX)
		return -1;
	v = rawhttp_header(memchr(h->buf, '\n', hl) + 1, end, "connection", &vl);
	r->conn_close = v && vl == 5 && strncasecmp(v, "close", 5) == 0;
	need = hl + (size_t)cl;
	while (h->buf_len < need)
		if (rawhttp_fill(h, deadline) <= 0)
			return -1;
	memcpy(r->body, h->buf + hl, (size_t)cl);
	r->body[cl] = '\0';
	r->body_len = (size_t)cl;
	memmove(h->buf, h->buf + need, h->buf_len - need);
	h->buf_len -= need;
	return 1;
}

int rawhttp_wait_closed(struct rawhttp *h, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int r;

	for (;;) {
		h->buf_len = 0;
		r = rawhttp_fill(h, deadline);
		if (r == 0)
			return 1;
		if (r < 0)
			return 0;
	}
}

void rawhttp_close(struct rawhttp *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}
