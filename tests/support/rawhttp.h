/*
 * rawhttp: a deliberately minimal HTTP/1.1 client over a plain TCP socket,
 * for tests that must choose every byte on the wire: several requests in
 * one write (pipelining), a Content-Length that lies, a head sent a byte at
 * a time. libcurl would fix all of those up for us.
 *
 * It sends whatever bytes it is given and reads responses framed by
 * Content-Length (which is all chatd sends), one at a time, each read with a
 * deadline. IPv4 or IPv6 literals only, no TLS, no chunked responses.
 * Plain libc only.
 */
#ifndef ACKLAB_TEST_RAWHTTP_H
#define ACKLAB_TEST_RAWHTTP_H

#include <stddef.h>

#define RAWHTTP_BODY_MAX 262144

struct rawhttp {
	int fd;
	size_t buf_len;
	char buf[RAWHTTP_BODY_MAX + 8192]; /* bytes read but not yet consumed */
};

struct rawhttp_resp {
	int status;
	int conn_close;                    /* the response said Connection: close */
	size_t body_len;
	char body[RAWHTTP_BODY_MAX + 1];   /* NUL-terminated */
};

/* Connect to host:port (a numeric address). Returns 0, or -1 with err filled. */
int rawhttp_connect(struct rawhttp *h, const char *host, int port, int timeout_ms,
		    char *err, size_t errlen);

/* Send len bytes, all of them. Returns 0, or -1 (e.g. the peer reset). */
int rawhttp_send(struct rawhttp *h, const void *data, size_t len);

/*
 * "POST path HTTP/1.1" with Content-Length and body into out. Returns the
 * length, or -1 if it does not fit.
 */
int rawhttp_format_post(char *out, size_t outlen, const char *path, const char *body);

/*
 * Read the next response. Returns 1 with r filled, 0 if the connection
 * closed (or was reset) before a response began, -1 on timeout, a malformed
 * or oversized response, or a close in the middle of one.
 */
int rawhttp_read(struct rawhttp *h, struct rawhttp_resp *r, int timeout_ms);

/*
 * Wait for the peer to close, dropping whatever it sends. Returns 1 if it
 * closed (EOF or reset) within timeout_ms, 0 if not.
 */
int rawhttp_wait_closed(struct rawhttp *h, int timeout_ms);

/* Close the socket. Accepts a closed one. */
void rawhttp_close(struct rawhttp *h);

#endif
