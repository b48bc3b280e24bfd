/*
 * chatd_load: an independent load client for chatd's durable send path,
 * used by bench/chatd-throughput.sh.
 *
 *   chatd_load --port P [--transport http|ws] [--senders N] [--messages M]
 *              [--seconds S] [--warmup W] [--channel general] [--subscribe random]
 *
 * N sender threads each open one connection to 127.0.0.1:P and send, one at
 * a time, messages that carry a unique client_msg_id: keyed POSTs to
 * /api/chat.postMessage on a keep-alive connection (http), or ack-key frames
 * {"type":"message","id","channel","text","client_msg_id"} on a WebSocket
 * (ws), waiting for each 200 or ack before the next, as a user's client
 * does. A WebSocket sender subscribes to --subscribe (default random, a
 * channel the bench never posts to) and skips any push it still gets.
 * Together they send at most M messages (default 2048) within S seconds
 * (default 10), so every run is bounded in count and time; the socket waits
 * are bounded too (5 s). With --warmup W they first send W messages
 * together, unmeasured, so the figures are those of a server that has been
 * running (SQLite's WAL file at its working size, caches warm) rather than
 * of its first second. It speaks HTTP and RFC 6455 itself on plain
 * sockets, so its own cost per message is a few syscalls, not a library's.
 *
 * Prints one line: messages acked per second, the p50 and p99 of the time
 * from write to answer, and how many failed. Exit 0 when every message was
 * acked, 1 otherwise, 2 on a usage error. Loopback only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "util.h"

#define LOAD_IO_TIMEOUT_MS 5000
#define LOAD_BUF 65536
#define LOAD_SENDERS_MAX 1024

struct load_cfg {
	int port;
	int ws;
	int senders;
	long messages;
	long seconds;
	long warmup;
	pthread_barrier_t go;  /* every sender warmed up, and main: the measured part starts */
	const char *channel;
	const char *subscribe;
};

struct load_sender {
	struct load_cfg *cfg;
	int index;
	long warm;             /* unmeasured messages first */
	long quota;            /* messages this sender sends at most */
	int fd;
	char buf[LOAD_BUF];    /* input not used yet */
	size_t len;
	double *lat_ms;        /* one per acked message */
	long acked, failed;
	char why[160];
};

/* Wait until fd is readable (or writable); -1 on timeout or error. */
static int load_wait(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, LOAD_IO_TIMEOUT_MS) == 1 ? 0 : -1;
}

static int load_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && load_wait(fd, POLLOUT) == 0)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more into s->buf. Returns 0, or -1 on close, error or timeout. */
static int load_fill(struct load_sender *s)
{
	ssize_t n;

	if (s->len == sizeof s->buf)
		return -1;
	if (load_wait(s->fd, POLLIN) < 0)
		return -1;
	n = recv(s->fd, s->buf + s->len, sizeof s->buf - s->len, 0);
	if (n <= 0)
		return -1;
	s->len += (size_t)n;
	return 0;
}

static void load_consume(struct load_sender *s, size_t n)
{
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
}

static int load_connect(struct load_sender *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->cfg->port) };
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&a, sizeof a) < 0) {
		snprintf(s->why, sizeof s->why, "connect: %s", strerror(errno));
		return -1;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
}

/* One HTTP answer: *status and the body's bytes left in s->buf[0..*body_len). */
static int load_http_answer(struct load_sender *s, int *status, size_t *body_len)
{
	char *end, *cl;
	size_t head;

	while (!(end = memmem(s->buf, s->len, "\r\n\r\n", 4)))
		if (load_fill(s) < 0)
			return -1;
	head = (size_t)(end - s->buf) + 4;
	*status = atoi(s->buf + 9);
	cl = memmem(s->buf, head, "content-length:", 15);
	if (!cl)
		return -1;
	*body_len = (size_t)atol(cl + 15);
	load_consume(s, head);
	while (s->len < *body_len)
		if (load_fill(s) < 0)
			return -1;
	return 0;
}

static int load_http_send(struct load_sender *s, const char *body, size_t blen)
{
	char req[8192];
	size_t body_len;
	int n, status, ok;

	n = snprintf(req, sizeof req,
		     "POST /api/chat.postMessage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", blen, body);
	if (load_write_all(s->fd, req, (size_t)n) < 0 || load_http_answer(s, &status, &body_len) < 0) {
		snprintf(s->why, sizeof s->why, "http: no answer");
		return -1;
	}
	ok = status == 200 && memmem(s->buf, body_len, "\"ok\":true", 9);
	if (!ok)
		snprintf(s->why, sizeof s->why, "http: status %d: %.*s", status, (int)body_len, s->buf);
	load_consume(s, body_len);
	return ok ? 0 : -1;
}

/* A masked client text frame (RFC 6455 5.3; the mask need not be secret here). */
static int load_ws_write(struct load_sender *s, const char *txt, size_t len)
{
	unsigned char frame[8192 + 14], mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t h = 0, i;

	if (len > 8192)
		return -1;
	frame[h++] = 0x81;
	if (len < 126) {
		frame[h++] = (unsigned char)(0x80 | len);
	} else {
		frame[h++] = 0x80 | 126;
		frame[h++] = (unsigned char)(len >> 8);
		frame[h++] = (unsigned char)len;
	}
	memcpy(frame + h, mask, 4);
	h += 4;
	for (i = 0; i < len; i++)
		frame[h + i] = (unsigned char)txt[i] ^ mask[i % 4];
	return load_write_all(s->fd, frame, h + len);
}

/* The next server frame's payload at s->buf[*off..*off+*plen). Returns its opcode or -1. */
static int load_ws_read(struct load_sender *s, size_t *off, size_t *plen)
{
	const unsigned char *b;
	size_t need, len;

	for (;;) {
		b = (const unsigned char *)s->buf;
		if (s->len >= 2) {
			len = b[1] & 0x7f;
			need = 2;
			if (len == 126)
				need = 4;
			else if (len == 127)
				need = 10;
			if (s->len >= need) {
				if (len == 126)
					len = (size_t)b[2] << 8 | b[3];
				else if (len == 127)
					return -1; /* chatd's frames are far smaller */
				if (s->len >= need + len) {
					*off = need;
					*plen = len;
					return b[0] & 0x0f;
				}
			}
		}
		if (load_fill(s) < 0)
			return -1;
	}
}

static int load_ws_open(struct load_sender *s)
{
	char req[512];
	char *end;
	int n;

	n = snprintf(req, sizeof req,
		     "GET /ws?channel=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n", s->cfg->subscribe);
	if (load_write_all(s->fd, req, (size_t)n) < 0)
		return -1;
	while (!(end = memmem(s->buf, s->len, "\r\n\r\n", 4)))
		if (load_fill(s) < 0)
			return -1;
	if (strncmp(s->buf, "HTTP/1.1 101", 12) != 0) {
		snprintf(s->why, sizeof s->why, "ws: handshake refused: %.40s", s->buf);
		return -1;
	}
	load_consume(s, (size_t)(end - s->buf) + 4);
	return 0;
}

static int load_ws_send(struct load_sender *s, long id, const char *frame, size_t flen)
{
	char want[64];
	size_t off, plen;
	int op, wl, ok;

	wl = snprintf(want, sizeof want, "\"reply_to\":%ld,", id); /* the comma: 1 is not 10 */
	if (load_ws_write(s, frame, flen) < 0) {
		snprintf(s->why, sizeof s->why, "ws: write failed");
		return -1;
	}
	for (;;) {
		op = load_ws_read(s, &off, &plen);
		if (op < 0 || op == 8) {
			snprintf(s->why, sizeof s->why, "ws: connection ended waiting for ack %ld", id);
			return -1;
		}
		if (op == 1 && memmem(s->buf + off, plen, want, (size_t)wl)) {
			ok = memmem(s->buf + off, plen, "\"ok\":true", 9) != NULL;
			if (!ok)
				snprintf(s->why, sizeof s->why, "ws: %.*s", (int)plen, s->buf + off);
			load_consume(s, off + plen);
			return ok ? 0 : -1;
		}
		load_consume(s, off + plen); /* a push, or a pong: not ours */
	}
}

/* Send message number i (unique key) and wait for its answer. Returns 0 or -1. */
static int load_one(struct load_sender *s, long i)
{
	const struct load_cfg *cfg = s->cfg;
	char body[512], frame[640];
	int n;

	n = snprintf(body, sizeof body,
		     "{\"channel\":\"%s\",\"text\":\"load %d.%ld\",\"client_msg_id\":\"load-%d-%d-%ld\"}",
		     cfg->channel, s->index, i, (int)getpid(), s->index, i);
	if (!cfg->ws)
		return load_http_send(s, body, (size_t)n);
	/* The same fields as the body, as a frame: {"type","id",...}. */
	n = snprintf(frame, sizeof frame, "{\"type\":\"message\",\"id\":%ld,%s", i + 1, body + 1);
	return load_ws_send(s, i + 1, frame, (size_t)n);
}

static void *load_sender_run(void *arg)
{
	struct load_sender *s = arg;
	int64_t t0, deadline;
	long i, w;
	int ok;

	ok = load_connect(s) == 0 && (!s->cfg->ws || load_ws_open(s) == 0);
	for (w = 0; ok && w < s->warm; w++)
		ok = load_one(s, -1 - w) == 0;
	pthread_barrier_wait(&s->cfg->go);
	if (!ok) {
		s->failed = s->quota;
		return NULL;
	}
	deadline = mono_ns() + s->cfg->seconds * 1000000000LL;
	for (i = 0; i < s->quota && mono_ns() < deadline; i++) {
		t0 = mono_ns();
		if (load_one(s, i) < 0)
			break;
		s->lat_ms[s->acked++] = ms_since(t0);
	}
	if (i < s->quota && mono_ns() < deadline)
		s->failed = s->quota - s->acked; /* stopped on an error: the rest count as failed */
	return NULL;
}

static int load_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void load_usage(FILE *f)
{
	fprintf(f, "usage: chatd_load --port P [--transport http|ws] [--senders N] [--messages M]\n"
		   "                  [--seconds S] [--warmup W] [--channel general] [--subscribe random]\n");
}

static int load_parse(int argc, char **argv, struct load_cfg *cfg)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "transport", required_argument, NULL, 't' },
		{ "senders", required_argument, NULL, 'n' },
		{ "messages", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "channel", required_argument, NULL, 'c' },
		{ "subscribe", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	char err[128];
	long v;
	int c;

	err[0] = '\0';
	cfg->senders = 1;
	cfg->messages = 2048;
	cfg->seconds = 10;
	cfg->channel = "general";
	cfg->subscribe = "random";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 1, 65535, &v, err, sizeof err) < 0)
				goto bad;
			cfg->port = (int)v;
			break;
		case 't':
			if (strcmp(optarg, "http") != 0 && strcmp(optarg, "ws") != 0) {
				snprintf(err, sizeof err, "'%s': expected http or ws", optarg);
				goto bad;
			}
			cfg->ws = strcmp(optarg, "ws") == 0;
			break;
		case 'n':
			if (parse_long(optarg, 1, LOAD_SENDERS_MAX, &v, err, sizeof err) < 0)
				goto bad;
			cfg->senders = (int)v;
			break;
		case 'm':
			if (parse_long(optarg, 1, 10000000, &cfg->messages, err, sizeof err) < 0)
				goto bad;
			break;
		case 's':
			if (parse_long(optarg, 1, 600, &cfg->seconds, err, sizeof err) < 0)
				goto bad;
			break;
		case 'w':
			if (parse_long(optarg, 0, 10000000, &cfg->warmup, err, sizeof err) < 0)
				goto bad;
			break;
		case 'c': cfg->channel = optarg; break;
		case 'u': cfg->subscribe = optarg; break;
		default:
			load_usage(stderr);
			return -1;
		}
	}
	if (!cfg->port || optind < argc) {
		load_usage(stderr);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "chatd_load: %s: %s\n", argv[optind - 1], err);
	return -1;
}

int main(int argc, char **argv)
{
	struct load_cfg cfg = { 0 };
	struct load_sender *s;
	pthread_t tid[LOAD_SENDERS_MAX];
	double *all, secs;
	long total = 0, failed = 0, k = 0;
	int64_t start;
	int i;

	if (load_parse(argc, argv, &cfg) < 0)
		return 2;
	s = calloc((size_t)cfg.senders, sizeof *s);
	all = calloc((size_t)cfg.messages, sizeof *all);
	if (!s || !all || pthread_barrier_init(&cfg.go, NULL, (unsigned)cfg.senders + 1) != 0)
		return 1;
	for (i = 0; i < cfg.senders; i++) {
		s[i].cfg = &cfg;
		s[i].index = i;
		s[i].fd = -1;
		s[i].warm = cfg.warmup / cfg.senders + (i < cfg.warmup % cfg.senders);
		s[i].quota = cfg.messages / cfg.senders + (i < cfg.messages % cfg.senders);
		s[i].lat_ms = all + k;
		k += s[i].quota;
		if (pthread_create(&tid[i], NULL, load_sender_run, &s[i]) != 0) {
			fprintf(stderr, "chatd_load: cannot start sender %d\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&cfg.go);
	start = mono_ns();
	for (i = 0; i < cfg.senders; i++)
		pthread_join(tid[i], NULL);
	secs = ms_since(start) / 1000.0;
	pthread_barrier_destroy(&cfg.go);
	/* Pack the acked latencies together, then sort them for the percentiles. */
	for (i = 0, k = 0; i < cfg.senders; i++) {
		memmove(all + k, s[i].lat_ms, (size_t)s[i].acked * sizeof *all);
		k += s[i].acked;
		total += s[i].acked;
		failed += s[i].failed;
		if (s[i].failed && s[i].why[0])
			fprintf(stderr, "chatd_load: sender %d: %s\n", i, s[i].why);
		if (s[i].fd >= 0)
			close(s[i].fd);
	}
	qsort(all, (size_t)total, sizeof *all, load_cmp);
	printf("transport=%s senders=%d acked=%ld failed=%ld seconds=%.3f rate=%.0f p50_ms=%.3f p99_ms=%.3f\n",
	       cfg.ws ? "ws" : "http", cfg.senders, total, failed, secs, total / secs,
	       total ? all[(size_t)(total * 50 / 100)] : 0.0,
	       total ? all[(size_t)((total * 99) / 100 < total ? (total * 99) / 100 : total - 1)] : 0.0);
	free(all);
	free(s);
	return failed || total == 0 ? 1 : 0;
}
