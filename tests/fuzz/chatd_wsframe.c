/*
 * Fuzz program for chatd's WebSocket codec (fixtures/chatd/wsframe.c), the
 * byte parser every client frame goes through. The input is fed twice: in
 * one piece, and cut into pieces whose sizes come from the input itself, so
 * a frame split across reads (as TCP delivers it) is parsed too.
 *
 * Contract checked beyond the sanitizers, from wsframe.h: the two feedings
 * give the same events; every call consumes something or returns NONE;
 * a text message is valid UTF-8 within the limit and NUL-terminated; an
 * error carries a close code of the table and a reason; after a Close or an
 * error nothing more comes out.
 */
#include "fuzz.h"

#include "../../fixtures/chatd/wsframe.h"

#define MAX_MESSAGE 4096
#define MAX_EVENTS 256

struct seen {
	int ev[MAX_EVENTS];
	size_t len[MAX_EVENTS];
	int n;
};

static void feed(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, struct seen *out)
{
	struct wsframe_rx rx;
	size_t pos = 0, k = 0;
	int finished = 0;

	wsframe_rx_init(&rx, MAX_MESSAGE);
	out->n = 0;
	while (pos < size) {
		size_t piece = ncuts ? (size_t)cuts[k++ % ncuts] % 64 + 1 : size;

		if (piece > size - pos)
			piece = size - pos;
		for (size_t off = 0; off < piece;) {
			size_t used = 0;
			enum wsframe_event ev = wsframe_rx_feed(&rx, data + pos + off, piece - off, &used);

			FUZZ_CHECK(used <= piece - off, "used %zu of %zu", used, piece - off);
			if (ev == WSFRAME_NONE) {
				FUZZ_CHECK(used == piece - off, "NONE with %zu of %zu bytes left", piece - off - used,
					   piece - off);
				break;
			}
			FUZZ_CHECK(!finished, "event %d after a Close or an error", ev);
			FUZZ_CHECK(used > 0 || ev != WSFRAME_NONE, "no progress");
			if (ev == WSFRAME_TEXT) {
				FUZZ_CHECK(rx.msg_len <= MAX_MESSAGE, "message of %zu bytes", rx.msg_len);
				FUZZ_CHECK(rx.msg[rx.msg_len] == '\0', "message not terminated");
				FUZZ_CHECK(wsframe_utf8_valid((const unsigned char *)rx.msg, rx.msg_len),
					   "invalid UTF-8 delivered");
			}
			if (ev == WSFRAME_ERROR) {
				FUZZ_CHECK(rx.why && rx.why[0], "an error without a reason");
				FUZZ_CHECK(rx.close_code == WSFRAME_CLOSE_PROTOCOL ||
					   rx.close_code == WSFRAME_CLOSE_UNSUPPORTED ||
					   rx.close_code == WSFRAME_CLOSE_INVALID_DATA ||
					   rx.close_code == WSFRAME_CLOSE_TOO_BIG ||
					   rx.close_code == WSFRAME_CLOSE_INTERNAL, "close code %d", rx.close_code);
			}
			if (ev == WSFRAME_CLOSE || ev == WSFRAME_ERROR)
				finished = 1;
			if (out->n < MAX_EVENTS) {
				out->ev[out->n] = ev;
				out->len[out->n++] = ev == WSFRAME_TEXT ? rx.msg_len : rx.ctl_len;
			}
			off += used;
		}
		pos += piece;
	}
	wsframe_rx_free(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen whole, pieces;
	size_t ncuts = size > 8 ? 8 : size;

	feed(data, size, NULL, 0, &whole);
	feed(data, size, data, ncuts, &pieces);
	FUZZ_CHECK(whole.n == pieces.n, "%d events whole, %d in pieces", whole.n, pieces.n);
	for (int i = 0; i < whole.n && i < pieces.n; i++)
		FUZZ_CHECK(whole.ev[i] == pieces.ev[i] && whole.len[i] == pieces.len[i],
			   "event %d: %d/%zu whole, %d/%zu in pieces", i, whole.ev[i], whole.len[i],
			   pieces.ev[i], pieces.len[i]);
	return 0;
}
