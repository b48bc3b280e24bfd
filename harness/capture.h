/*
 * capture: the router's packet capture and the packet triggers.
 *
 * One libpcap handle opened inside the router's namespace on the "any"
 * device (Linux cooked capture), so every packet is seen on both sides of
 * the NAT: arriving from the client link and leaving on the server link, with
 * the original and the translated addresses. Packets are written to one pcap
 * file that Wireshark and tshark open and decode (HTTP, WebSocket), flushed
 * as they come so even a killed run leaves a readable capture.
 * Each TCP payload is also scanned for the tokens a scenario watches
 * (message tokens like "acklab-5f2c-m3"), both as plain bytes and inside
 * masked WebSocket frames (client-to-server frames are XOR-masked on the
 * wire, RFC 6455 5.3), so a fault can fire on "the packet carrying m3".
 */
#ifndef ACKLAB_CAPTURE_H
#define ACKLAB_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "outdir.h"

struct capture;

struct capture_match {
	const char *token;            /* which watched token was seen */
	int64_t t_ns;                 /* CLOCK_MONOTONIC time of the packet */
	char src[16], dst[16];
	uint16_t sport, dport;
	char ifname[16];              /* the router interface it crossed */
	int outgoing;                 /* 1: leaving the router on ifname, 0: arriving */
	uint64_t frame;               /* its frame number in the pcap file (1 = the first packet),
	                                 as Wireshark numbers frames */
};

/*
 * Open a capture in netns_fd (the router) writing to the file name in dir,
 * opened by outdir_open_file() (a link there is refused, not followed) and
 * handed to libpcap as a stream (pcap_dump_fopen), so libpcap never opens a
 * path itself. Owned by the caller (capture_close).
 */
int capture_open_at(struct capture **out, int netns_fd, const struct outdir *dir, const char *name,
		    char *err, size_t errlen);

/* The same, writing to pcap_path (e.g. /dev/null); a symbolic link there is refused too. */
int capture_open(struct capture **out, int netns_fd, const char *pcap_path, char *err, size_t errlen);

/* The fd to poll for readability. */
int capture_fd(const struct capture *c);

/* Watch for a token (copied). At most 64 tokens. */
int capture_watch(struct capture *c, const char *token, char *err, size_t errlen);

/*
 * Read the packets available now without blocking: write them to the file,
 * and call on_match for every watched token found in a packet's payload.
 * Returns the number of packets read, or -1.
 */
typedef void (*capture_match_fn)(void *arg, const struct capture_match *m);
int capture_poll(struct capture *c, capture_match_fn on_match, void *arg);

/* Packets captured so far. */
uint64_t capture_count(const struct capture *c);

/*
 * Drain what is left, flush and close the file, and stop capturing. NULL ok.
 * The file is complete when this returns. The kernel's release of the
 * packet socket waits for an RCU grace period or two (tens of ms) and needs
 * nothing from the caller, so it finishes on a detached thread of its own:
 * only the process's exit waits for it.
 */
void capture_close(struct capture *c);

/*
 * Find token in a TCP payload, as plain bytes or inside WebSocket frames
 * (unmasking masked ones). Pure; exposed for tests. Returns 1 if found.
 */
int capture_payload_has_token(const uint8_t *payload, size_t len, const char *token);

#endif
