/*
 * Unit tests for capture.c. First the pure token scan on payloads built
 * here: plain bytes, a masked WebSocket text frame, two frames in one
 * payload, 16-bit lengths, a frame cut short, and garbage that must neither
 * crash nor match. Then, inside the sandbox (exit 77 with the reason if the
 * kernel refuses), a real capture: a fresh namespace with loopback up, a
 * capture on "any" opened there, a TCP connection over 127.0.0.1 carrying
 * one token in plain bytes and another in a masked frame; both must be
 * reported within 2 s, and the pcap file must open with libpcap (and with
 * tshark, when installed) and hold the handshake and the data. A link
 * planted where the pcap file goes is refused, and its target left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../harness/capture.h"
#include "../../harness/sandbox.h"
#include "util.h"

#define TOKEN "acklab-5f2c-m3"

/* Build one WebSocket frame at out; returns its length. */
static size_t ws_frame(uint8_t *out, uint8_t opcode, const char *data, size_t len, const uint8_t *mask)
{
	size_t h = 0;

	out[h++] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		out[h++] = (uint8_t)((mask ? 0x80 : 0) | len);
	} else if (len < 65536) {
		out[h++] = (uint8_t)((mask ? 0x80 : 0) | 126);
		out[h++] = (uint8_t)(len >> 8);
		out[h++] = (uint8_t)len;
	} else {
		out[h++] = (uint8_t)((mask ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			out[h++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (mask) {
		memcpy(out + h, mask, 4);
		h += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[h + i] = (uint8_t)data[i] ^ (mask ? mask[i & 3] : 0);
	return h + len;
}

static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };

static void test_plain(void **state)
{
	const char *p = "POST /api/chat.postMessage HTTP/1.1\r\n\r\n{\"text\":\"m3: hi (" TOKEN ")\"}";

	(void)state;
	assert_int_equal(capture_payload_has_token((const uint8_t *)p, strlen(p), TOKEN), 1);
	assert_int_equal(capture_payload_has_token((const uint8_t *)p, strlen(p), "acklab-5f2c-m4"), 0);
	assert_int_equal(capture_payload_has_token((const uint8_t *)p, strlen(p), ""), 0);
	assert_int_equal(capture_payload_has_token((const uint8_t *)p, 0, TOKEN), 0);
	assert_int_equal(capture_payload_has_token(NULL, 10, TOKEN), 0);
	assert_int_equal(capture_payload_has_token((const uint8_t *)p, strlen(p), NULL), 0);
}

static void test_masked_frame(void **state)
{
	const char *msg = "{\"type\":\"message\",\"text\":\"m3: hi (" TOKEN ")\"}";
	uint8_t buf[512];
	size_t n = ws_frame(buf, 1, msg, strlen(msg), key);

	(void)state;
	/* Masked, the token is not visible as plain bytes. */
	assert_null(memmem(buf, n, TOKEN, strlen(TOKEN)));
	assert_int_equal(capture_payload_has_token(buf, n, TOKEN), 1);
	assert_int_equal(capture_payload_has_token(buf, n, "acklab-5f2c-m4"), 0);
	/* An unmasked server frame is plain bytes. */
	n = ws_frame(buf, 1, msg, strlen(msg), NULL);
	assert_int_equal(capture_payload_has_token(buf, n, TOKEN), 1);
}

static void test_two_frames_and_lengths(void **state)
{
	static char big[70000];
	uint8_t *buf = malloc(sizeof(big) + 64);
	const char *ping = "hb";
	const char *msg = "m4: second (acklab-5f2c-m4)";
	size_t n;

	(void)state;
	/* A ping, then the message: the walk must get past the first frame. */
	n = ws_frame(buf, 9, ping, strlen(ping), key);
	n += ws_frame(buf + n, 1, msg, strlen(msg), key);
	assert_int_equal(capture_payload_has_token(buf, n, "acklab-5f2c-m4"), 1);
	assert_int_equal(capture_payload_has_token(buf, n, TOKEN), 0);

	/* 16-bit length, token at the end of a 300-byte payload, then a second frame. */
	memset(big, 'a', 300);
	memcpy(big + 300 - strlen(TOKEN), TOKEN, strlen(TOKEN));
	n = ws_frame(buf, 1, big, 300, key);
	n += ws_frame(buf + n, 1, msg, strlen(msg), key);
	assert_int_equal(capture_payload_has_token(buf, n, TOKEN), 1);
	assert_int_equal(capture_payload_has_token(buf, n, "acklab-5f2c-m4"), 1);

	/* 64-bit length. */
	memset(big, 'b', sizeof(big));
	memcpy(big + 66000, TOKEN ")", strlen(TOKEN) + 1);
	n = ws_frame(buf, 2, big, sizeof(big), key);
	assert_int_equal(buf[1] & 0x7f, 127);
	assert_int_equal(capture_payload_has_token(buf, n, TOKEN), 1);
	free(buf);
}

static void test_truncated(void **state)
{
	const char *msg = "m3: hi (" TOKEN ") and a long tail after the token";
	uint8_t buf[256];
	size_t n = ws_frame(buf, 1, msg, strlen(msg), key);
	size_t cut_after_token = 6 + strlen("m3: hi (" TOKEN);

	(void)state;
	/* The segment ends mid-frame after the token: the prefix is searched. */
	assert_int_equal(capture_payload_has_token(buf, cut_after_token, TOKEN), 1);
	/* Cut before the token ends: no match. */
	assert_int_equal(capture_payload_has_token(buf, cut_after_token - 1, TOKEN), 0);
	/* Cut inside the header, or inside the mask key. */
	for (size_t cut = 0; cut < 6; cut++)
		assert_int_equal(capture_payload_has_token(buf, cut, TOKEN), 0);
	assert_true(n > cut_after_token);
}

static void test_garbage(void **state)
{
	uint8_t buf[4096];
	uint32_t x = 12345;

	(void)state;
	/* Pseudo-random bytes, and every length over them: no crash, no match. */
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t len = 0; len <= sizeof(buf); len += 7)
		assert_int_equal(capture_payload_has_token(buf, len, TOKEN), 0);
	/* Headers that claim huge lengths. */
	memcpy(buf, "\x81\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x03\x04", 14);
	assert_int_equal(capture_payload_has_token(buf, 64, TOKEN), 0);
	memcpy(buf, "\x81\xff\x00\x00\x00\x01\x00\x00\x00\x00\x01\x02\x03\x04", 14);
	assert_int_equal(capture_payload_has_token(buf, 64, TOKEN), 0);
	/* Every byte value as a first and second byte. */
	for (int a = 0; a < 256; a++)
		for (int b = 0; b < 256; b++) {
			buf[0] = (uint8_t)a;
			buf[1] = (uint8_t)b;
			assert_int_equal(capture_payload_has_token(buf, 40, TOKEN), 0);
		}
}

/* ------------------------------------------------------------------ */
/* In a namespace                                                      */

struct sockets {
	int listener, client;
	uint16_t port;
};

/* Inside the test namespace: loopback up, a listener and a connected client. */
static int make_sockets(void *arg, char *err, size_t errlen)
{
	struct sockets *s = arg;
	struct ifreq ifr;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		return err_set(err, errlen, "lo: SIOCGIFFLAGS: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		return err_set(err, errlen, "lo: SIOCSIFFLAGS: %s", strerror(errno));
	close(fd);

	s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listener < 0 || bind(s->listener, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->listener, 4) != 0 || getsockname(s->listener, (struct sockaddr *)&a, &alen) != 0)
		return err_set(err, errlen, "listener: %s", strerror(errno));
	s->port = ntohs(a.sin_port);
	s->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->client < 0 || connect(s->client, (struct sockaddr *)&a, sizeof(a)) != 0)
		return err_set(err, errlen, "connect: %s", strerror(errno));
	return 0;
}

struct seen {
	int plain, masked;
	struct capture_match first;
	char ifname[16];
};

static void on_match(void *arg, const struct capture_match *m)
{
	struct seen *s = arg;

	if (strcmp(m->token, TOKEN) == 0) {
		if (s->plain++ == 0)
			s->first = *m;
	} else if (strcmp(m->token, "acklab-5f2c-m9") == 0) {
		s->masked++;
	}
	if (m->ifname[0])
		str_copy(s->ifname, m->ifname, sizeof(s->ifname));
}

static void test_capture_in_netns(void **state)
{
	char dir[] = "/tmp/acklab-capture-XXXXXX", path[128], cmd[256], err[256] = "";
	struct sockets s = { -1, -1, 0 };
	struct capture *c = NULL;
	struct seen seen;
	int netns, accepted;
	int64_t t0, deadline;
	const char *plain = "POST / HTTP/1.1\r\nContent-Length: 30\r\n\r\n{\"text\":\"(" TOKEN ")\"}";
	const char *inner = "{\"text\":\"m9 (acklab-5f2c-m9)\"}";
	uint8_t frame[128];
	size_t flen;
	char rbuf[512];
	pcap_t *off;
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	int packets = 0;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/router.pcap", dir);
	netns = sandbox_netns_new(err, sizeof(err));
	if (netns < 0)
		fail_msg("%s", err);
	{
		struct outdir out;

		if (outdir_open(&out, dir, false, err, sizeof(err)) != 0 ||
		    capture_open_at(&c, netns, &out, "router.pcap", err, sizeof(err)) != 0)
			fail_msg("%s", err);
		outdir_close(&out);     /* the capture holds its file, not the folder */
	}
	assert_int_equal(capture_watch(c, TOKEN, err, sizeof(err)), 0);
	assert_int_equal(capture_watch(c, "acklab-5f2c-m9", err, sizeof(err)), 0);
	assert_int_equal(capture_watch(c, TOKEN, err, sizeof(err)), 0);
	assert_true(capture_fd(c) >= 0);

	/* Sockets made in the namespace stay there: the handshake crosses the capture. */
	if (sandbox_in_netns(netns, make_sockets, &s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	accepted = accept(s.listener, NULL, NULL);
	assert_true(accepted >= 0);
	t0 = mono_ns();
	assert_int_equal(send(s.client, plain, strlen(plain), 0), (ssize_t)strlen(plain));
	flen = 0;
	{
		uint8_t *o = frame;

		o[flen++] = 0x81;
		o[flen++] = (uint8_t)(0x80 | strlen(inner));
		memcpy(o + flen, key, 4);
		flen += 4;
		for (size_t i = 0; i < strlen(inner); i++)
			o[flen + i] = (uint8_t)inner[i] ^ key[i & 3];
		flen += strlen(inner);
	}
	assert_int_equal(send(s.client, frame, flen, 0), (ssize_t)flen);
	assert_true(recv(accepted, rbuf, sizeof(rbuf), 0) > 0);

	deadline = t0 + 2000000000LL;
	while ((seen.plain == 0 || seen.masked == 0) && mono_ns() < deadline) {
		struct pollfd pfd = { capture_fd(c), POLLIN, 0 };

		poll(&pfd, 1, 50);
		assert_true(capture_poll(c, on_match, &seen) >= 0);
	}
	print_message("plain token seen %d times, masked %d times, %.3f ms after send, on '%s'\n",
		      seen.plain, seen.masked, (double)(mono_ns() - t0) / 1e6, seen.ifname);
	assert_true(seen.plain >= 1);
	assert_true(seen.masked >= 1);
	assert_string_equal(seen.first.src, "127.0.0.1");
	assert_string_equal(seen.first.dst, "127.0.0.1");
	assert_int_equal(seen.first.dport, s.port);
	assert_true(seen.first.t_ns >= t0 - 1000000 && seen.first.t_ns <= mono_ns());
	if (seen.ifname[0])
		assert_string_equal(seen.ifname, "lo");
	assert_true(capture_count(c) >= 3);
	assert_true(seen.first.frame >= 1 && seen.first.frame <= capture_count(c));
	close(s.client);
	close(accepted);
	close(s.listener);
	capture_close(c);
	close(netns);

	off = pcap_open_offline(path, ebuf);
	if (!off)
		fail_msg("pcap_open_offline: %s", ebuf);
	while (pcap_next_ex(off, &h, &data) == 1)
		packets++;
	pcap_close(off);
	print_message("%d packets in %s\n", packets, path);
	assert_true(packets >= 3);

	if (system("command -v tshark >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd), "tshark -r '%s' -Y tcp >/dev/null 2>&1", path);
		assert_int_equal(system(cmd), 0);
		/* And it decodes the TCP payload, not just the file. */
		snprintf(cmd, sizeof(cmd), "tshark -r '%s' -Y 'tcp contains \"%s\"' 2>/dev/null | grep -q .",
			 path, TOKEN);
		assert_int_equal(system(cmd), 0);
		/* The frame number a match reports is the frame Wireshark shows with the token. */
		snprintf(cmd, sizeof(cmd), "tshark -r '%s' -Y 'frame.number == %llu && tcp contains \"%s\"' "
			 "2>/dev/null | grep -q .", path, (unsigned long long)seen.first.frame, TOKEN);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_open_errors(void **state)
{
	struct capture *c = (struct capture *)1;
	char err[256] = "";
	int netns = sandbox_netns_new(err, sizeof(err));

	(void)state;
	assert_true(netns >= 0);
	assert_int_equal(capture_open(&c, netns, "/nonexistent/dir/x.pcap", err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, "capture: cannot write /nonexistent/dir/x.pcap"));
	close(netns);
	capture_close(NULL);
}

/* A link planted where capture.pcap goes: refused both ways, its target untouched. */
static void test_open_refuses_link(void **state)
{
	char dir[] = "/tmp/acklab-capture-XXXXXX", link_path[96], target[96], want[512], err[512] = "";
	char buf[32] = "";
	struct capture *c = (struct capture *)1;
	struct outdir out;
	int netns = sandbox_netns_new(err, sizeof(err));
	FILE *f;

	(void)state;
	assert_true(netns >= 0);
	assert_non_null(mkdtemp(dir));
	snprintf(link_path, sizeof(link_path), "%s/capture.pcap", dir);
	snprintf(target, sizeof(target), "%s/precious", dir);
	f = fopen(target, "w");
	fputs("precious\n", f);
	fclose(f);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(outdir_open(&out, dir, false, err, sizeof(err)), 0);
	assert_int_equal(capture_open_at(&c, netns, &out, "capture.pcap", err, sizeof(err)), -1);
	assert_null(c);
	snprintf(want, sizeof(want), "capture: %s is a symbolic link (to %s): acklab never follows a link "
		 "where it writes; remove it or choose another --out", link_path, target);
	assert_string_equal(err, want);
	assert_int_equal(capture_open(&c, netns, link_path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "capture: cannot write %s: it is a symbolic link (not followed)", link_path);
	assert_string_equal(err, want);
	f = fopen(target, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	outdir_close(&out);
	close(netns);
	snprintf(want, sizeof(want), "rm -rf '%s'", dir);
	assert_int_equal(system(want), 0);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_masked_frame),
		cmocka_unit_test(test_two_frames_and_lengths),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
	};
	const struct CMUnitTest netns[] = {
		cmocka_unit_test(test_capture_in_netns),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_refuses_link),
	};
	char err[256] = "";
	int failed = cmocka_run_group_tests_name("capture_payload_has_token", pure, NULL, NULL);

	if (failed)
		return failed;
	fflush(NULL);
	if (sandbox_enter(err, sizeof(err)) != 0) {
		printf("skip: namespaces unavailable: %s\n", err);
		return 77;
	}
	return cmocka_run_group_tests_name("capture in a namespace", netns, NULL, NULL);
}
