/*
 * capture: one libpcap handle on the router's "any" device, a pcap file, and
 * the token scan behind packet triggers.
 *
 * The handle is created and activated while the thread is inside the
 * router's namespace (sandbox_in_netns): the packet socket libpcap opens is
 * bound to that namespace for its lifetime, so acklab can keep polling it
 * from home. Immediate mode and non-blocking reads, so packets are seen the
 * moment they cross and capture_poll() never waits; whole packets (snaplen
 * 256 KiB); every batch is flushed to the file, so a killed run still leaves
 * a capture Wireshark opens; closing completes the file at once and leaves
 * the kernel's slow release of the socket to a thread. The link type is
 * LINUX_SLL2 where libpcap offers it (it carries the interface index,
 * resolved to a name with an ioctl socket also made in the router's
 * namespace) and LINUX_SLL otherwise; EN10MB is parsed too in case a caller
 * opens a real interface. For IPv4/TCP the payload is scanned for each
 * watched token, both as plain bytes and inside WebSocket frames, whose
 * client-to-server payloads are XOR-masked on the wire (RFC 6455 5.2, 5.3):
 * the walk starts at the payload's first byte, takes frames one after
 * another, unmasks into a scratch buffer, and stops at the first header that
 * does not parse or does not fit, after searching what is there of a
 * truncated frame. Packet times are pcap's wall-clock stamps moved onto
 * CLOCK_MONOTONIC, acklab's one time base.
 */
#include "capture.h"
#include "token.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"

#define CAPTURE_SNAPLEN     262144
#define CAPTURE_BUFFER      (4 * 1024 * 1024)
#define CAPTURE_MAX_BATCHES 16      /* pcap_dispatch rounds per capture_poll */

struct capture {
	pcap_t *pcap;
	pcap_dumper_t *dump;
	int linktype;
	int ioctl_sock;               /* AF_INET socket in the router's namespace, for ifindex -> name */
	char **tokens;                /* watched; grows */
	int ntokens, captokens;
	uint64_t count;
};

/* What capture_poll's pcap callback needs. */
struct capture_batch {
	struct capture *c;
	capture_match_fn on_match;
	void *arg;
	int64_t mono_now, real_now;   /* to move pcap's wall-clock stamps onto CLOCK_MONOTONIC */
};

/* A TCP/IPv4 packet, as far as the scan needs it. */
struct capture_pkt {
	const uint8_t *payload;
	size_t payload_len;
	uint32_t src, dst;            /* network order */
	uint16_t sport, dport;
	int ifindex;                  /* 0 if the link type does not say */
	int outgoing;
};

static int64_t capture_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ------------------------------------------------------------------ */
/* Token scan                                                          */

static int capture_mem_has(const uint8_t *buf, size_t len, const char *token, size_t tlen)
{
	return tlen > 0 && len >= tlen && token_memfind((const char *)buf, len, token, tlen) != NULL;
}

/*
 * The client-to-server WebSocket frames of payload, unmasked, one after the
 * other with a NUL between two (so no token spans frames), into a buffer the
 * caller frees; *outlen its length. NULL (and 0) when the payload holds no
 * masked frame. Unmasked frames need no copy: the plain search covers them.
 */
static uint8_t *capture_unmasked(const uint8_t *payload, size_t len, size_t *outlen)
{
	uint8_t *scratch = NULL;
	size_t pos = 0, used = 0;

	*outlen = 0;
	while (len - pos >= 2) {
		uint8_t b0 = payload[pos], b1 = payload[pos + 1];
		unsigned opcode = b0 & 0x0f;
		size_t hdr = 2, avail;
		uint64_t plen = b1 & 0x7f;
		const uint8_t *key;

		/* Data frames 0-2, control frames 8-10; anything else is not a WebSocket frame. */
		if (!(opcode <= 2 || (opcode >= 8 && opcode <= 10)))
			break;
		if (opcode >= 8 && (!(b0 & 0x80) || plen > 125))
			break;
		if (plen == 126) {
			if (len - pos < 4)
				break;
			plen = rd16(payload + pos + 2);
			hdr = 4;
		} else if (plen == 127) {
			if (len - pos < 10)
				break;
			plen = (uint64_t)rd32(payload + pos + 2) << 32 | rd32(payload + pos + 6);
			if (plen >> 63)
				break;
			hdr = 10;
		}
		if (!(b1 & 0x80)) {
			if (plen > len - pos - hdr)
				break;
			pos += hdr + (size_t)plen;
			continue;
		}
		if (len - pos < hdr + 4)
			break;
		key = payload + pos + hdr;
		hdr += 4;
		avail = len - pos - hdr;
		if (plen < avail)
			avail = (size_t)plen;
		if (!scratch && !(scratch = malloc(len + 1)))
			break;
		if (used)
			scratch[used++] = '\0';
		for (size_t i = 0; i < avail; i++)
			scratch[used + i] = payload[pos + hdr + i] ^ key[i & 3];
		used += avail;
		if (avail < plen)
			break;   /* truncated: what was there is in */
		pos += hdr + avail;
	}
	*outlen = used;
	return scratch;
}

int capture_payload_has_token(const uint8_t *payload, size_t len, const char *token)
{
	size_t tlen = token ? strlen(token) : 0, ulen;
	uint8_t *unmasked;
	int found;

	if (!payload || tlen == 0)
		return 0;
	if (capture_mem_has(payload, len, token, tlen))
		return 1;
	unmasked = capture_unmasked(payload, len, &ulen);
	found = unmasked && capture_mem_has(unmasked, ulen, token, tlen);
	free(unmasked);
	return found;
}

/* ------------------------------------------------------------------ */
/* Packet parsing                                                      */

/* Find IPv4 behind the link header. Returns the IP header offset, or -1. */
static long capture_link(int linktype, const uint8_t *b, size_t caplen, struct capture_pkt *pk)
{
	uint16_t proto;

	switch (linktype) {
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		pk->outgoing = rd16(b) == 4;   /* PACKET_OUTGOING */
		proto = rd16(b + 14);
		return proto == 0x0800 ? 16 : -1;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		proto = rd16(b);
		pk->ifindex = (int)rd32(b + 4);
		pk->outgoing = b[10] == 4;
		return proto == 0x0800 ? 20 : -1;
	case DLT_EN10MB: {
		size_t off = 12;

		if (caplen < 14)
			return -1;
		proto = rd16(b + off);
		if (proto == 0x8100 || proto == 0x88a8) {
			if (caplen < 18)
				return -1;
			off += 4;
			proto = rd16(b + off);
		}
		return proto == 0x0800 ? (long)off + 2 : -1;
	}
	default:
		return -1;
	}
}

/* 0 if b holds a TCP/IPv4 packet (pk filled), -1 otherwise. */
static int capture_parse(int linktype, const uint8_t *b, size_t caplen, struct capture_pkt *pk)
{
	long ip = capture_link(linktype, b, caplen, pk);
	size_t ihl, tot, thl, end;
	const uint8_t *iph, *tcp;

	if (ip < 0 || caplen < (size_t)ip + 20)
		return -1;
	iph = b + ip;
	if (iph[0] >> 4 != 4 || iph[9] != 6)
		return -1;
	if (rd16(iph + 6) & 0x1fff)
		return -1;   /* a later fragment: no TCP header */
	ihl = (size_t)(iph[0] & 0x0f) * 4;
	tot = rd16(iph + 2);
	if (ihl < 20 || tot < ihl)
		return -1;
	end = (size_t)ip + tot;
	if (end > caplen)
		end = caplen;   /* snapped, or offloaded with a zero length: take what was captured */
	if (tot == 0)
		end = caplen;
	if ((size_t)ip + ihl + 20 > end)
		return -1;
	tcp = iph + ihl;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || (size_t)ip + ihl + thl > end)
		return -1;
	memcpy(&pk->src, iph + 12, 4);
	memcpy(&pk->dst, iph + 16, 4);
	pk->sport = rd16(tcp);
	pk->dport = rd16(tcp + 2);
	pk->payload = tcp + thl;
	pk->payload_len = end - ((size_t)ip + ihl + thl);
	return 0;
}

static void capture_ifname(const struct capture *c, int ifindex, char *buf, size_t len)
{
	struct ifreq ifr;

	buf[0] = '\0';
	if (ifindex <= 0 || c->ioctl_sock < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = ifindex;
	if (ioctl(c->ioctl_sock, SIOCGIFNAME, &ifr) == 0)
		str_copy(buf, ifr.ifr_name, len);
}

static void capture_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture_batch *b = (struct capture_batch *)user;
	struct capture *c = b->c;
	struct capture_pkt pk;
	struct capture_match m;
	int64_t real_ns;
	uint8_t *unmasked;
	size_t ulen;

	c->count++;
	if (c->dump)
		pcap_dump((u_char *)c->dump, h, bytes);
	if (!b->on_match || c->ntokens == 0)
		return;
	memset(&pk, 0, sizeof(pk));
	if (capture_parse(c->linktype, bytes, h->caplen, &pk) != 0 || pk.payload_len == 0)
		return;
	memset(&m, 0, sizeof(m));
	real_ns = (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec * 1000;
	m.t_ns = b->mono_now - (b->real_now - real_ns);
	if (m.t_ns > b->mono_now)
		m.t_ns = b->mono_now;
	inet_ntop(AF_INET, &pk.src, m.src, sizeof(m.src));
	inet_ntop(AF_INET, &pk.dst, m.dst, sizeof(m.dst));
	m.sport = pk.sport;
	m.dport = pk.dport;
	m.outgoing = pk.outgoing;
	m.frame = c->count;           /* every packet read is dumped: the count is its frame number */
	/* Masked frames are unmasked once per packet, then every watched token is looked for. */
	unmasked = capture_unmasked(pk.payload, pk.payload_len, &ulen);
	for (int i = 0; i < c->ntokens; i++) {
		size_t tlen = strlen(c->tokens[i]);

		if (!capture_mem_has(pk.payload, pk.payload_len, c->tokens[i], tlen) &&
		    !(unmasked && capture_mem_has(unmasked, ulen, c->tokens[i], tlen)))
			continue;
		if (!m.ifname[0])
			capture_ifname(c, pk.ifindex, m.ifname, sizeof(m.ifname));
		m.token = c->tokens[i];
		b->on_match(b->arg, &m);
	}
	free(unmasked);
}

/* ------------------------------------------------------------------ */
/* Handle                                                              */

static int capture_has_dlt(pcap_t *p, int dlt)
{
	int *dlts = NULL, n = pcap_list_datalinks(p, &dlts), found = 0;

	for (int i = 0; i < n; i++)
		if (dlts[i] == dlt)
			found = 1;
	if (n > 0)
		pcap_free_datalinks(dlts);
	return found;
}

/* Runs inside the router's namespace: everything that binds a socket. */
static int capture_open_here(void *arg, char *err, size_t errlen)
{
	struct capture *c = arg;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	c->pcap = pcap_create("any", ebuf);
	if (!c->pcap)
		return err_set(err, errlen, "capture: pcap_create(any): %s", ebuf);
	if (pcap_set_snaplen(c->pcap, CAPTURE_SNAPLEN) != 0 || pcap_set_immediate_mode(c->pcap, 1) != 0 ||
	    pcap_set_buffer_size(c->pcap, CAPTURE_BUFFER) != 0 || pcap_set_timeout(c->pcap, 1) != 0)
		return err_set(err, errlen, "capture: cannot configure the handle: %s", pcap_geterr(c->pcap));
	rc = pcap_activate(c->pcap);
	if (rc < 0)
		return err_set(err, errlen, "capture: pcap_activate(any): %s: %s%s", pcap_statustostr(rc),
			       pcap_geterr(c->pcap),
			       rc == PCAP_ERROR_PERM_DENIED ? " (needs CAP_NET_RAW in the router's namespace)" : "");
	if (capture_has_dlt(c->pcap, DLT_LINUX_SLL2) && pcap_set_datalink(c->pcap, DLT_LINUX_SLL2) != 0)
		return err_set(err, errlen, "capture: cannot select LINUX_SLL2: %s", pcap_geterr(c->pcap));
	c->linktype = pcap_datalink(c->pcap);
	if (pcap_setnonblock(c->pcap, 1, ebuf) != 0)
		return err_set(err, errlen, "capture: non-blocking mode: %s", ebuf);
	c->ioctl_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return 0;
}

/* The handle in netns_fd, dumping to fd (owned from here on, closed on failure). */
static int capture_start(struct capture **out, int netns_fd, int fd, const char *shown, char *err,
			 size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if (!c) {
		close(fd);
		return err_set(err, errlen, "capture: out of memory");
	}
	c->ioctl_sock = -1;
	if (netns_fd >= 0)
		rc = sandbox_in_netns(netns_fd, capture_open_here, c, err, errlen);
	else
		rc = capture_open_here(c, err, errlen);
	if (rc != 0)
		goto err;
	f = fdopen(fd, "w");
	if (!f) {
		err_set(err, errlen, "capture: cannot write %s: %s", shown, strerror(errno));
		goto err;
	}
	fd = -1;                      /* f owns it now */
	c->dump = pcap_dump_fopen(c->pcap, f);
	/*
	 * From here libpcap owns f: on success the dump closes it, and when it
	 * fails to write the file header it closes f itself (its other failure,
	 * a link type savefiles cannot hold, is impossible on the any device).
	 */
	f = NULL;
	if (!c->dump) {
		err_set(err, errlen, "capture: cannot write %s: %s", shown, pcap_geterr(c->pcap));
		goto err;
	}
	if (pcap_get_selectable_fd(c->pcap) < 0) {
		err_set(err, errlen, "capture: the handle has no pollable fd");
		goto err;
	}
	*out = c;
	return 0;
err:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	capture_close(c);
	return -1;
}

int capture_open_at(struct capture **out, int netns_fd, const struct outdir *dir, const char *name,
		    char *err, size_t errlen)
{
	char shown[PATH_MAX + 256], why[PATH_MAX + 512];
	int fd = outdir_open_file(dir, name, OUTDIR_TRUNCATE, why, sizeof why);

	*out = NULL;
	if (fd < 0)
		return err_set(err, errlen, "capture: %s", why);
	snprintf(shown, sizeof shown, "%s/%s", dir->path, name);
	return capture_start(out, netns_fd, fd, shown, err, errlen);
}

int capture_open(struct capture **out, int netns_fd, const char *pcap_path, char *err, size_t errlen)
{
	int fd = open(pcap_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	*out = NULL;
	if (fd < 0)
		return err_set(err, errlen, "capture: cannot write %s: %s", pcap_path,
			       errno == ELOOP ? "it is a symbolic link (not followed)" : strerror(errno));
	return capture_start(out, netns_fd, fd, pcap_path, err, errlen);
}

int capture_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(c->pcap);
}

int capture_watch(struct capture *c, const char *token, char *err, size_t errlen)
{
	if (!token || !*token)
		return err_set(err, errlen, "capture: empty token");
	for (int i = 0; i < c->ntokens; i++)
		if (strcmp(c->tokens[i], token) == 0)
			return 0;
	if (c->ntokens == c->captokens) {
		int cap = c->captokens ? c->captokens * 2 : 64;
		char **v = realloc(c->tokens, (size_t)cap * sizeof *v);

		if (!v)
			return err_set(err, errlen, "capture: out of memory");
		c->tokens = v;
		c->captokens = cap;
	}
	c->tokens[c->ntokens] = strdup(token);
	if (!c->tokens[c->ntokens])
		return err_set(err, errlen, "capture: out of memory");
	c->ntokens++;
	return 0;
}

int capture_poll(struct capture *c, capture_match_fn on_match, void *arg)
{
	struct capture_batch b = { c, on_match, arg, capture_clock(CLOCK_MONOTONIC),
				   capture_clock(CLOCK_REALTIME) };
	int total = 0;

	for (int i = 0; i < CAPTURE_MAX_BATCHES; i++) {
		int n = pcap_dispatch(c->pcap, -1, capture_packet, (u_char *)&b);

		if (n < 0) {
			total = n == PCAP_ERROR_BREAK ? total : -1;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	if (c->dump)
		pcap_dump_flush(c->dump);
	return total;
}

uint64_t capture_count(const struct capture *c)
{
	return c->count;
}

/* The slow part of closing: the socket's release waits for RCU grace periods. */
static void *capture_release(void *pcap)
{
	pcap_close(pcap);
	return NULL;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->pcap && c->dump)
		capture_poll(c, NULL, NULL);
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->pcap) {
		pthread_attr_t attr;
		pthread_t t;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, capture_release, c->pcap) != 0)
			pcap_close(c->pcap);
		pthread_attr_destroy(&attr);
	}
	if (c->ioctl_sock >= 0)
		close(c->ioctl_sock);
	for (int i = 0; i < c->ntokens; i++)
		free(c->tokens[i]);
	free(c->tokens);
	free(c);
}
