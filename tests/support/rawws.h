/*
 * rawws: a deliberately minimal WebSocket client over a plain TCP socket,
 * for tests that must not depend on any real client.
 *
 * It does the RFC 6455 handshake (checks for "101"), sends masked text
 * frames of any size (7, 16 or 64-bit lengths, in one frame), and reads
 * whole frames with a deadline, reporting the opcode so a test can see a
 * close and its status code (e.g. 1009). No extensions, no TLS, no
 * fragmentation on send (but rawws_send_frame() sends any first byte,
 * masked or not, for tests of a server's protocol checks); pings from the
 * server are answered by rawws_read_text(). Plain libc only.
 */
#ifndef ACKLAB_TEST_RAWWS_H
#define ACKLAB_TEST_RAWWS_H

#include <stddef.h>
#include <stdint.h>

#define RAWWS_OP_CONT  0x0
#define RAWWS_OP_TEXT  0x1
#define RAWWS_OP_BIN   0x2
#define RAWWS_OP_CLOSE 0x8
#define RAWWS_OP_PING  0x9
#define RAWWS_OP_PONG  0xA

struct rawws {
	int fd;
	size_t buf_len;
	unsigned char buf[65536]; /* bytes read but not yet consumed */
};

/*
 * Connect to host:port, GET path with Upgrade: websocket (offering
 * subprotocol proto unless NULL). Returns 0, or -1 with err filled.
 * Close with rawws_close().
 */
int rawws_connect(struct rawws *ws, const char *host, int port, const char *path,
		  const char *proto, int timeout_ms, char *err, size_t errlen);

/*
 * As rawws_connect(), with the socket's receive buffer set to rcvbuf bytes
 * before it connects (a small one makes a client that does not read fill
 * up fast, as a stuck phone would).
 */
int rawws_connect_rcvbuf(struct rawws *ws, const char *host, int port, const char *path,
			 const char *proto, int rcvbuf, int timeout_ms, char *err, size_t errlen);

/* Send one masked frame with opcode (RAWWS_OP_TEXT...). Returns 0 or -1. */
int rawws_send(struct rawws *ws, int opcode, const void *data, size_t len);
int rawws_send_text(struct rawws *ws, const char *text);

/*
 * Send one frame whose first byte is b0 exactly (FIN, RSV bits, opcode, as
 * a test wants them, legal or not), masked or not. Returns 0 or -1.
 */
int rawws_send_frame(struct rawws *ws, unsigned char b0, int masked, const void *data, size_t len);

/* Send bytes as they are (e.g. several frames in one write). Returns 0 or -1. */
int rawws_send_raw(struct rawws *ws, const void *data, size_t len);

/*
 * Encode one frame as rawws_send_frame() would send it into out. Returns
 * its length, or 0 if it does not fit.
 */
size_t rawws_encode(unsigned char *out, size_t outlen, unsigned char b0, int masked,
		    const void *data, size_t len);

/*
 * Read one frame. Returns its opcode with the payload in out (NUL-terminated,
 * truncated to outlen-1; *len gets the full payload length), 0 if the peer
 * closed the TCP connection, -1 on timeout or error.
 */
int rawws_read_frame(struct rawws *ws, char *out, size_t outlen, size_t *len, int timeout_ms);

/*
 * Read until a text frame and return 1 with it in out; answers pings,
 * skips pongs. Returns 0 if the connection closed (a close frame or EOF;
 * *close_code gets the close status or 0, if close_code is not NULL), -1
 * on timeout.
 */
int rawws_read_text(struct rawws *ws, char *out, size_t outlen, int *close_code, int timeout_ms);

void rawws_close(struct rawws *ws);

#endif
