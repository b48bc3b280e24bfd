/*
 * rawws: handshake and framing by hand; see rawws.h. The mask key is fixed:
 * this client exists to test servers, not to resist cache poisoning.
 */
#include "rawws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

static int rawws_left_ms(int64_t deadline)
{
	int64_t left = (deadline - mono_ns()) / 1000000;

	return left < 0 ? 0 : (int)left;
}

static int rawws_write_all(int fd, const void *p, size_t len)
{
	const unsigned char *b = p;
	ssize_t n;

	while (len) {
		n = send(fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more bytes into ws->buf. Returns bytes read, 0 on EOF, -1 on timeout/error. */
static int rawws_fill(struct rawws *ws, int64_t deadline)
{
	struct pollfd pfd = { ws->fd, POLLIN, 0 };
	ssize_t n;
	int r;

	if (ws->buf_len == sizeof ws->buf)
		return -1;
	for (;;) {
		r = poll(&pfd, 1, rawws_left_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = recv(ws->fd, ws->buf + ws->buf_len, sizeof ws->buf - ws->buf_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		ws->buf_len += (size_t)n;
		return (int)n;
	}
}

int rawws_connect(struct rawws *ws, const char *host, int port, const char *path,
		  const char *proto, int timeout_ms, char *err, size_t errlen)
{
	return rawws_connect_rcvbuf(ws, host, port, path, proto, 0, timeout_ms, err, errlen);
}

int rawws_connect_rcvbuf(struct rawws *ws, const char *host, int port, const char *path,
			 const char *proto, int rcvbuf, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	struct sockaddr_in sa;
	char req[1024];
	unsigned char *end;
	size_t hlen;
	int one = 1, r;

	memset(ws, 0, sizeof *ws);
	ws->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ws->fd < 0)
		return err_set(err, errlen, "socket: %s", strerror(errno));
	if (rcvbuf > 0)
		setsockopt(ws->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		err_set(err, errlen, "'%s': not an IPv4 address", host);
		goto err;
	}
	if (connect(ws->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		err_set(err, errlen, "connect %s:%d: %s", host, port, strerror(errno));
		goto err;
	}
	setsockopt(ws->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	snprintf(req, sizeof req,
		 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		 "%s%s%s\r\n",
		 path, host, port, proto ? "Sec-WebSocket-Protocol: " : "", proto ? proto : "",
		 proto ? "\r\n" : "");
	if (rawws_write_all(ws->fd, req, strlen(req)) < 0) {
		err_set(err, errlen, "send handshake: %s", strerror(errno));
		goto err;
	}
	for (;;) {
		end = memmem(ws->buf, ws->buf_len, "\r\n\r\n", 4);
		if (end)
			break;
		r = rawws_fill(ws, deadline);
		if (r <= 0) {
			err_set(err, errlen, "handshake: %s", r == 0 ? "connection closed" : "no answer in time");
			goto err;
		}
	}
	hlen = (size_t)(end - ws->buf) + 4;
	if (ws->buf_len < 12 || memcmp(ws->buf + 9, "101", 3) != 0) {
		err_set(err, errlen, "handshake refused: %.*s", (int)(hlen > 60 ? 60 : hlen), ws->buf);
		goto err;
	}
	memmove(ws->buf, ws->buf + hlen, ws->buf_len - hlen);
	ws->buf_len -= hlen;
	return 0;
err:
	close(ws->fd);
	ws->fd = -1;
	return -1;
}

size_t rawws_encode(unsigned char *out, size_t outlen, unsigned char b0, int masked,
		    const void *data, size_t len)
{
	static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	const unsigned char *d = data;
	unsigned char m = masked ? 0x80 : 0;
	size_t h = 0, i;

	if (outlen < 14 || len > outlen - 14)
		return 0;
	out[h++] = b0;
	if (len < 126) {
		out[h++] = (unsigned char)(m | len);
	} else if (len <= 0xffff) {
		out[h++] = m | 126;
		out[h++] = (unsigned char)(len >> 8);
		out[h++] = (unsigned char)len;
	} else {
		out[h++] = m | 127;
		for (i = 0; i < 8; i++)
			out[h++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	if (masked) {
		memcpy(out + h, mask, 4);
		h += 4;
	}
	for (i = 0; i < len; i++)
		out[h + i] = masked ? d[i] ^ mask[i % 4] : d[i];
	return h + len;
}

int rawws_send_raw(struct rawws *ws, const void *data, size_t len)
{
	return rawws_write_all(ws->fd, data, len);
}

int rawws_send_frame(struct rawws *ws, unsigned char b0, int masked, const void *data, size_t len)
{
	unsigned char *frame = malloc(len + 14);
	size_t n;
	int rc = -1;

	if (!frame)
		return -1;
	n = rawws_encode(frame, len + 14, b0, masked, data, len);
	if (n)
		rc = rawws_write_all(ws->fd, frame, n);
	free(frame);
	return rc;
}

int rawws_send(struct rawws *ws, int opcode, const void *data, size_t len)
{
	return rawws_send_frame(ws, (unsigned char)(0x80 | (opcode & 0x0f)), 1, data, len);
}

int rawws_send_text(struct rawws *ws, const char *text)
{
	return rawws_send(ws, RAWWS_OP_TEXT, text, strlen(text));
}

int rawws_read_frame(struct rawws *ws, char *out, size_t outlen, size_t *len, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	uint64_t plen;
	size_t need = 0, h = 0, i, c;
	int opcode, r;

	for (;;) {
		if (ws->buf_len >= 2) {
			plen = ws->buf[1] & 0x7f;
			h = 2;
			if (plen == 126)
				h = 4;
			else if (plen == 127)
				h = 10;
			if (ws->buf[1] & 0x80)
				h += 4; /* servers must not mask, but skip a key if one does */
			if (ws->buf_len >= h) {
				if (plen == 126)
					plen = (uint64_t)ws->buf[2] << 8 | ws->buf[3];
				else if (plen == 127)
					for (plen = 0, i = 0; i < 8; i++)
						plen = plen << 8 | ws->buf[2 + i];
				if (plen > sizeof ws->buf - h)
					return -1;
				need = h + (size_t)plen;
				if (ws->buf_len >= need)
					break;
			}
		}
		r = rawws_fill(ws, deadline);
		if (r == 0)
			return 0;
		if (r < 0)
			return -1;
	}
	opcode = ws->buf[0] & 0x0f;
	if (len)
		*len = (size_t)plen;
	if (outlen) {
		c = plen < outlen - 1 ? (size_t)plen : outlen - 1;
		memcpy(out, ws->buf + h, c);
		out[c] = '\0';
	}
	memmove(ws->buf, ws->buf + need, ws->buf_len - need);
	ws->buf_len -= need;
	return opcode;
}

int rawws_read_text(struct rawws *ws, char *out, size_t outlen, int *close_code, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	size_t len;
	int op;

	if (close_code)
		*close_code = 0;
	for (;;) {
		op = rawws_read_frame(ws, out, outlen, &len, rawws_left_ms(deadline));
		if (op <= 0)
			return op;
		if (op == RAWWS_OP_TEXT)
			return 1;
		if (op == RAWWS_OP_CLOSE) {
			if (close_code && len >= 2 && outlen >= 3)
				*close_code = ((unsigned char)out[0] << 8) | (unsigned char)out[1];
			return 0;
		}
		if (op == RAWWS_OP_PING)
			rawws_send(ws, RAWWS_OP_PONG, out, len < outlen ? len : 0);
	}
}

void rawws_close(struct rawws *ws)
{
	if (ws->fd >= 0) {
		rawws_send(ws, RAWWS_OP_CLOSE, "\x03\xe8", 2);
		close(ws->fd);
	}
	ws->fd = -1;
}
