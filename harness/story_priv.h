/*
 * story_priv: what the story's files share while one story is built.
 * story.c walks the history and says each entry; story_wire.c knows the
 * network side of it (which address is which host, which packet the router
 * forwarded and which it dropped, which fault was acting on a flow then);
 * story_account.c tells one message attempt by attempt for the contrasts.
 * Nothing here outlives story_build().
 */
#ifndef ACKLAB_STORY_PRIV_H
#define ACKLAB_STORY_PRIV_H

#include <jansson.h>
#include <stdbool.h>

#include "story.h"

/* A packet carrying a watched token, as the router's capture saw it. */
struct story_pkt {
	size_t k;                     /* its history index */
	double t;                     /* ms since the cell's start */
	int msg;                      /* the message of chk.msgs it carries, or -1 */
	char src[16], dst[16];
	int sport, dport;
	bool outgoing;                /* leaving the router (else arriving at it) */
	long long frame;              /* pcap frame number, 0 when the history has none */
	long pair;                    /* the same packet on the router's other side, or -1 */
	bool told;                    /* an outgoing half told with its incoming half */
	bool readback;                /* part of acklab's store read-back, not the roles' traffic */
};

/* A fault as applied, with when it stopped acting. */
struct story_fault {
	double on, off;               /* ms; off = when healed, or a huge value if never */
	char name[32];
	char args[3][32];
	int nargs;
	bool on_role;                 /* acts on a role's process (crash, restart) rather than the network */
	long long packets;            /* packets its rules dropped or reset, final */
	int flows;                    /* flows it evicted or acted on, final */
};

/* What the story knows of one message while the history is walked. */
struct story_msg_state {
	int attempt;                  /* the latest attempt the client started */
	double attempt_t;             /* when it started */
	double prev_attempt_t;        /* when the attempt before it started */
	char cause[160];              /* why the latest attempt failed, when something said so */
	char flow[32];                /* "198.18.1.2:56856": the client end of its latest request */
	double first_unacked;         /* when its bytes first went out on a flow that then died; < 0 */
};

struct story_ctx {
	const struct cell_result *c;
	const struct chk_result *r;
	struct story *out;
	long long t0;
	int naffected;
	int recipients;
	struct story_pkt *pkts;
	size_t npkts;
	struct story_fault *faults;
	size_t nfaults;
	double readback_t;            /* when acklab started reading the store back; huge if never */
	struct story_msg_state *ms;   /* by message index */
	int *connects;                /* by lane: connections opened so far */
	bool *push_used;              /* by packet: a delivered push already told with a display */
};

/* story_base.c */
const char *story_str(json_t *o, const char *key);
double story_t(const struct story_ctx *x, json_t *e);
/* The affected message whose id, token or text e carries, or -1. */
int story_concerns(const struct story_ctx *x, json_t *e);
int story_push(struct story *s, const struct story_line *l);
/* Append printf text to buf (bounded). */
void story_cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* story_wire.c */
/* "client", "server", "router", "recipient3", or NULL, after topo.h's addressing. */
const char *story_host(const char *addr, char *buf, size_t len);
/* The lane of a host or role name ("client", "server", "recipient2", ...), or -1. */
int story_lane_of(const char *name);
/* Gather the packets and the faults of the history (the first pass). -1 when out of memory. */
int story_wire_scan(struct story_ctx *x);
void story_wire_free(struct story_ctx *x);
/* The packet whose history index is k, or NULL. */
struct story_pkt *story_pkt_at(struct story_ctx *x, size_t k);
/* Tell a packet (and the other half of it at the router); may push nothing. -1 when out of memory. */
int story_wire_packet(struct story_ctx *x, struct story_pkt *p);
/*
 * The fault that would stop a packet from host `from` to host `to` at time
 * t on a flow first seen at flow_t (an evicted flow stays dead), or NULL.
 */
const struct story_fault *story_fault_blocking(const struct story_ctx *x, const char *from, const char *to,
					       double t, double flow_t);
/* "drop-replies client server" into buf. */
const char *story_fault_name(const struct story_fault *f, char *buf, size_t len);
/* When the client's flow (e.g. "198.18.1.2:56856") was first seen; t when never. */
double story_flow_first_seen(const struct story_ctx *x, const char *flow, double t);
/* The times the client's kernel resent msg's bytes on flow after `after` and before `before`. */
int story_retransmissions(const struct story_ctx *x, int msg, const char *flow, double after, double before,
			  double *times, int max);
/* "frames 80, 81": the packet pair that pushed msg to host before t, not told yet; "" if none. */
void story_push_frames(struct story_ctx *x, int msg, const char *host, double t, char *buf, size_t len);
/* The address legend into x->out->legend. */
void story_wire_legend(struct story_ctx *x);

#endif
