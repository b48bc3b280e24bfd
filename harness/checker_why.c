/*
 * checker_why: the sentence of an ok message, made when a report asks for
 * it (chk_why in checker.h). A big cell holds a million ok messages whose
 * sentences no report shows in full, so the checker keeps none and this
 * puts one together from the message's fields, by hand: printf would be a
 * third of a big check's time.
 */
#include "checker.h"
#include "util.h"

/* Decimal digits of v into buf (24 bytes). */
static void chk_itoa(long long v, char *buf)
{
	char tmp[24];
	int n = 0, k = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < 22);
	if (v < 0)
		buf[k++] = '-';
	while (n)
		buf[k++] = tmp[--n];
	buf[k] = '\0';
}

/*
 * "stored once (ts X); client showed Sent at N ms after K attempts": the
 * sentence of most messages, put together by hand (printf would be a third
 * of a big check's time).
 */
static void chk_why_ok(char *why, size_t len, const struct chk_message *msg, const char *ts,
		       double client_ms)
{
	/* An ok message is stored once, and its client showed Sent. */
	char num[24];
	size_t n = 0;

	n += str_copy(why + n, "stored once (ts ", len - n);
	n += str_copy(why + (n < len ? n : len - 1), ts, n < len ? len - n : 1);
	if (n < len)
		n += str_copy(why + n, "); client showed Sent at ", len - n);
	if (n < len) {
		chk_itoa((long long)(client_ms + 0.5), num);
		n += str_copy(why + n, num, len - n);
	}
	if (n < len)
		n += str_copy(why + n, " ms after ", len - n);
	if (n < len) {
		chk_itoa(msg->attempts, num);
		n += str_copy(why + n, num, len - n);
	}
	if (n < len)
		str_copy(why + n, msg->attempts == 1 ? " attempt" : " attempts", len - n);
}

const char *chk_why(const struct chk_message *m, char *buf, size_t len)
{
	if (m->why)
		return m->why;
	chk_why_ok(buf, len, m, m->stored_ts, m->client_ms);
	return buf;
}
