/*
 * chatc_fakechat: a scripted chat server for chatc's tests, for behaviour the
 * reference chatd never shows: a WebSocket push of one message twice, a
 * history whose cursor is opaque, repeats a row or never moves.
 *
 * It speaks just enough HTTP/1.1 and RFC 6455: a WebSocket upgrade on any
 * path gets the handshake (SHA-1 and base64 by hand, so the test links no
 * crypto library) and then the script's push frames, unmasked, in order;
 * every other request is answered from the script's route table (the first
 * route whose `match` is a substring of the request target), with
 * keep-alive so curl can reuse the connection. Every request target is
 * appended to a log file, one line each, so a test can see exactly what
 * chatc asked for (limit=, cursor=, oldest=).
 *
 * It runs in a forked child in its own process group, one forked handler
 * per connection, so a blocking client (chatc's catch-up reads history
 * while its WebSocket is open) is served concurrently. Bounded: at most
 * FAKE_MAX_CONNS connections, FAKE_MAX_REQUESTS requests on one, and
 * FAKE_IDLE_MS without a byte ends a connection. fake_chat_stop() kills the
 * whole group and reaps the child; PR_SET_PDEATHSIG covers a crashed test.
 * Header-only (static functions), like chatc_fixture.h.
 */
#ifndef CHATC_FAKECHAT_H
#define CHATC_FAKECHAT_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_MAX_CONNS 64
#define FAKE_MAX_REQUESTS 1000
#define FAKE_IDLE_MS 10000
/* A helper a test program may not use: no unused-function error. */
#define FAKE_FN static __attribute__((unused))

struct fake_route {
	const char *match;   /* substring of the request target; "" matches anything */
	int status;          /* FAKE_DROP_REUSED: close a kept-alive connection instead of answering
	                        its second (or later) request; the first on a connection is answered 200 */
	const char *body;    /* JSON */
};
#define FAKE_DROP_REUSED (-1)

struct fake_script {
	const char *const *pushes;        /* NULL-terminated text frames, sent after each handshake */
	const struct fake_route *routes;  /* ends with a route whose match is NULL */
};

struct fake_chat {
	pid_t pid;
	int port;
	char log[600];                    /* request targets, one a line */
};

/* SHA-1 (FIPS 180-4) of len bytes, for the Sec-WebSocket-Accept value only. */
FAKE_FN void fake_sha1(const unsigned char *msg, size_t len, unsigned char out[20])
{
	uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
	size_t total = ((len + 8) / 64 + 1) * 64, off, i;
	unsigned char *buf = calloc(1, total);
	uint64_t bits = (uint64_t)len * 8;

	if (!buf)
		abort();
	memcpy(buf, msg, len);
	buf[len] = 0x80;
	for (i = 0; i < 8; i++)
		buf[total - 1 - i] = (unsigned char)(bits >> (8 * i));
	for (off = 0; off < total; off += 64) {
		uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;

		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)buf[off + 4 * i] << 24 | (uint32_t)buf[off + 4 * i + 1] << 16 |
			    (uint32_t)buf[off + 4 * i + 2] << 8 | buf[off + 4 * i + 3];
		for (i = 16; i < 80; i++) {
			t = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
			w[i] = t << 1 | t >> 31;
		}
		for (i = 0; i < 80; i++) {
			if (i < 20) {
				f = (b & c) | (~b & d);
				k = 0x5A827999;
			} else if (i < 40) {
				f = b ^ c ^ d;
				k = 0x6ED9EBA1;
			} else if (i < 60) {
				f = (b & c) | (b & d) | (c & d);
				k = 0x8F1BBCDC;
			} else {
				f = b ^ c ^ d;
				k = 0xCA62C1D6;
			}
			t = (a << 5 | a >> 27) + f + e + k + w[i];
			e = d;
			d = c;
			c = b << 30 | b >> 2;
			b = a;
			a = t;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
	}
	for (i = 0; i < 20; i++)
		out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
	free(buf);
}

FAKE_FN void fake_base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*out++ = tab[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		*out++ = tab[in[i + 2] & 63];
	}
	if (len - i == 1) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*out++ = tab[(in[i + 1] & 15) << 2];
		*out++ = '=';
	}
	*out = '\0';
}

FAKE_FN int fake_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read more bytes into buf (len so far); returns bytes read, 0 at EOF or after FAKE_IDLE_MS idle, -1 on error. */
FAKE_FN ssize_t fake_read_more(int fd, char *buf, size_t len, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	if (len + 1 >= cap || poll(&p, 1, FAKE_IDLE_MS) != 1)
		return 0;
	r = read(fd, buf + len, cap - len - 1);
	return r < 0 ? -1 : r;
}

FAKE_FN void fake_log(const char *path, const char *target)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return;
	fake_write_all(fd, target, strlen(target));
	fake_write_all(fd, "\n", 1);
	close(fd);
}

/* The handshake, the script's pushes, then hold the connection until the client goes. */
FAKE_FN void fake_websocket(int fd, const char *head, const struct fake_script *sc)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	const char *k = strcasestr(head, "\r\nSec-WebSocket-Key:");
	char key[128], accept[64], resp[512], junk[4096];
	unsigned char digest[20], hdr[4];
	size_t n = 0, i;

	if (!k)
		return;
	for (k += 20; *k == ' '; k++)
		;
	while (k[n] && k[n] != '\r' && n + sizeof(guid) < sizeof(key))
		n++;
	memcpy(key, k, n);
	memcpy(key + n, guid, sizeof(guid));
	fake_sha1((const unsigned char *)key, n + sizeof(guid) - 1, digest);
	fake_base64(digest, 20, accept);
	n = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: chat\r\n\r\n", accept);
	if (fake_write_all(fd, resp, n) == -1)
		return;
	for (i = 0; sc->pushes && sc->pushes[i]; i++) {
		size_t len = strlen(sc->pushes[i]), hl = 2;

		hdr[0] = 0x81;
		if (len < 126) {
			hdr[1] = (unsigned char)len;
		} else {
			hdr[1] = 126;
			hdr[2] = (unsigned char)(len >> 8);
			hdr[3] = (unsigned char)len;
			hl = 4;
		}
		if (fake_write_all(fd, hdr, hl) == -1 || fake_write_all(fd, sc->pushes[i], len) == -1)
			return;
	}
	while (fake_read_more(fd, junk, 0, sizeof(junk)) > 0)
		;
}

/* One connection: requests until EOF, idle or FAKE_MAX_REQUESTS. */
FAKE_FN void fake_serve_conn(int fd, const struct fake_script *sc, const char *log)
{
	char buf[16384], target[2048], resp[512];
	const struct fake_route *r;
	size_t len = 0, n;
	int requests;

	for (requests = 0; requests < FAKE_MAX_REQUESTS; requests++) {
		char *end;
		ssize_t got;

		buf[len] = '\0';
		while (!(end = strstr(buf, "\r\n\r\n"))) {
			got = fake_read_more(fd, buf, len, sizeof(buf));
			if (got <= 0)
				return;
			len += (size_t)got;
			buf[len] = '\0';
		}
		end += 4;
		if (sscanf(buf, "%*s %2047s", target) != 1)
			return;
		fake_log(log, target);
		if (strcasestr(buf, "\r\nUpgrade: websocket")) {
			fake_websocket(fd, buf, sc);
			return;
		}
		{
			/* A request body (a POST) is read whole, so it is not taken for the next request. */
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			size_t body = cl && cl < end ? (size_t)strtoul(cl + 17, NULL, 10) : 0;

			while (len - (size_t)(end - buf) < body) {
				size_t off = (size_t)(end - buf);

				got = fake_read_more(fd, buf, len, sizeof(buf));
				if (got <= 0)
					return;
				len += (size_t)got;
				buf[len] = '\0';
				end = buf + off;
			}
			end += body;
		}
		for (r = sc->routes; r && r->match && !strstr(target, r->match); r++)
			;
		if (!r || !r->match) {
			static const struct fake_route none = { "", 404, "{\"ok\":false,\"error\":\"unknown_method\"}" };

			r = &none;
		}
		if (r->status == FAKE_DROP_REUSED && requests > 0)
			return;       /* the kept-alive connection dies under the request, unanswered */
		n = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", r->status == FAKE_DROP_REUSED ? 200 : r->status,
		    strlen(r->body));
		if (fake_write_all(fd, resp, n) == -1 || fake_write_all(fd, r->body, strlen(r->body)) == -1)
			return;
		len -= (size_t)(end - buf);
		memmove(buf, end, len);
	}
}

/* Start the fake on 127.0.0.1 (any port), logging to dir/fake-requests.log. Returns 0 or -1. */
FAKE_FN int fake_chat_start(struct fake_chat *f, const char *dir, const struct fake_script *sc)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	pid_t parent = getpid();
	int lfd, conns;

	memset(f, 0, sizeof(*f));
	snprintf(f->log, sizeof(f->log), "%s/fake-requests.log", dir);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		fprintf(stderr, "fake chat: listen: %s\n", strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	f->port = ntohs(a.sin_port);
	f->pid = fork();
	if (f->pid < 0) {
		close(lfd);
		return -1;
	}
	if (f->pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGCHLD, SIG_IGN);  /* handlers are reaped by the kernel */
		signal(SIGPIPE, SIG_IGN);
		for (conns = 0; conns < FAKE_MAX_CONNS; conns++) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				_exit(1);
			if (fork() == 0) {
				close(lfd);
				fake_serve_conn(fd, sc, f->log);
				_exit(0);
			}
			close(fd);
		}
		_exit(0);
	}
	setpgid(f->pid, f->pid);
	close(lfd);
	return 0;
}

/* Kill the fake and every handler (its process group), reap it. Accepts a fake never started. */
FAKE_FN void fake_chat_stop(struct fake_chat *f)
{
	if (f->pid <= 0)
		return;
	kill(-f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	f->pid = 0;
}

/* How many logged request targets contain needle (all of them for ""). */
FAKE_FN int fake_chat_requests(const struct fake_chat *f, const char *needle)
{
	FILE *fp = fopen(f->log, "r");
	char line[4096];
	int n = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, needle))
			n++;
	fclose(fp);
	return n;
}

#endif
