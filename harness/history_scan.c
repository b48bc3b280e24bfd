/*
 * history_scan: the checker's fields of one history entry (history_scan.h).
 *
 * history_scan_line() is a strict reader of one object on one line: no
 * whitespace, keys without escapes, string values of printable ASCII with
 * the short escapes (\" \\ \/ \b \f \n \r \t), integers of up to 18 digits,
 * decimals of up to 30 digits without an exponent, true, false and null.
 * Everything jansson would accept beyond that (and everything it would
 * refuse) is "not mine". It reads the line twice: once to check the whole
 * line and note where the values it needs are, then, only when the line is
 * accepted, to end those strings with NULs in place, so a refused line is
 * handed to jansson exactly as it came.
 */
#include "history_scan.h"

#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum scan_key {
	KEY_ROLE, KEY_EV, KEY_ID, KEY_TOKEN, KEY_TEXT, KEY_VIA, KEY_CHANNEL, KEY_PARENT, KEY_PARENT_TS,
	KEY_T, KEY_TS, KEY_ATTEMPT, KEY_ATTEMPTS, KEY_WATCHED,
	KEY_COUNT, KEY_OTHER = KEY_COUNT
};

void history_fields_of(json_t *e, struct history_fields *f)
{
	const char *key;
	json_t *v;

	memset(f, 0, sizeof *f);
	json_object_foreach(e, key, v) {
		const char **slot = NULL;

		switch (key[0]) {
		case 'r':
			if (!strcmp(key, "role")) {
				slot = &f->role;
				f->has_role = true;
			}
			break;
		case 'e':
			if (!strcmp(key, "ev")) {
				slot = &f->ev;
				f->has_ev = true;
			}
			break;
		case 'i': if (!strcmp(key, "id")) slot = &f->id; break;
		case 'v': if (!strcmp(key, "via")) slot = &f->via; break;
		case 'c': if (!strcmp(key, "channel")) slot = &f->channel; break;
		case 't':
			if (!strcmp(key, "text")) {
				slot = &f->text;
			} else if (!strcmp(key, "token")) {
				slot = &f->token;
			} else if (!strcmp(key, "t")) {
				f->t_is_integer = json_is_integer(v);
				f->t = json_integer_value(v);
			} else if (!strcmp(key, "ts")) {
				if (json_is_string(v)) {
					f->ts_kind = HISTORY_TS_STRING;
					f->ts_string = json_string_value(v);
				} else if (json_is_integer(v)) {
					f->ts_kind = HISTORY_TS_INTEGER;
					f->ts_integer = json_integer_value(v);
				} else if (json_is_real(v)) {
					f->ts_kind = HISTORY_TS_REAL;
					f->ts_real = json_real_value(v);
				}
			}
			break;
		case 'p':
			if (!strcmp(key, "parent"))
				slot = &f->parent;
			else if (!strcmp(key, "parent_ts"))
				slot = &f->parent_ts;
			break;
		case 'a':
			if (!strcmp(key, "attempt"))
				f->attempt = json_integer_value(v);
			else if (!strcmp(key, "attempts"))
				f->attempts = json_integer_value(v);
			break;
		case 'w': if (!strcmp(key, "watched")) f->watched_false = json_is_false(v); break;
		}
		if (slot)
			*slot = json_string_value(v);
	}
}

static enum scan_key scan_key_of(const char *k, size_t n)
{
#define IS(word) (n == sizeof(word) - 1 && memcmp(k, word, n) == 0)
	switch (k[0]) {
	case 'r': return IS("role") ? KEY_ROLE : KEY_OTHER;
	case 'e': return IS("ev") ? KEY_EV : KEY_OTHER;
	case 'i': return IS("id") ? KEY_ID : KEY_OTHER;
	case 'v': return IS("via") ? KEY_VIA : KEY_OTHER;
	case 'c': return IS("channel") ? KEY_CHANNEL : KEY_OTHER;
	case 'w': return IS("watched") ? KEY_WATCHED : KEY_OTHER;
	case 't':
		return IS("t") ? KEY_T : IS("ts") ? KEY_TS : IS("text") ? KEY_TEXT : IS("token") ? KEY_TOKEN
										   : KEY_OTHER;
	case 'p': return IS("parent") ? KEY_PARENT : IS("parent_ts") ? KEY_PARENT_TS : KEY_OTHER;
	case 'a': return IS("attempt") ? KEY_ATTEMPT : IS("attempts") ? KEY_ATTEMPTS : KEY_OTHER;
	}
	return KEY_OTHER;
#undef IS
}

/* The bytes a string holds as they are: printable ASCII but '"' and '\\'. */
static const bool scan_plain_byte[256] = { [0x20 ... 0x21] = true, [0x23 ... 0x5b] = true,
					   [0x5d ... 0x7f] = true };

/*
 * The first byte at or after c that is not plain: a quote, a backslash, a
 * control byte, a non-ASCII byte, or the NUL at end (line's end, which is
 * read but never passed). Sixteen bytes at a time where SSE2 is there.
 */
static inline const unsigned char *scan_plain(const unsigned char *c, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);

	while (end - c >= 15) {           /* c[0..15] are all at or before end */
		__m128i v = _mm_loadu_si128((const __m128i *)c);
		/* Signed: bytes from 0x80 up are negative, so "less than a space" catches them too. */
		int stop = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
									 _mm_cmpeq_epi8(v, backslash)),
							  _mm_cmplt_epi8(v, space)));

		if (stop)
			return c + __builtin_ctz((unsigned)stop);
		c += 16;
	}
#else
	(void)end;
#endif
	while (scan_plain_byte[*c])
		c++;
	return c;
}

/*
 * The string whose opening quote is at s: its closing quote (*escaped when
 * it holds escapes), or NULL for what this scanner leaves to jansson
 * (control bytes, the line's end, non-ASCII bytes, \u and unknown escapes).
 */
static inline const unsigned char *scan_string(const unsigned char *s, const unsigned char *end, bool *escaped)
{
	const unsigned char *c = scan_plain(s + 1, end);

	while (*c != '"') {
		if (*c != '\\' || !c[1] || !strchr("\"\\/bfnrt", c[1]))
			return NULL;
		*escaped = true;
		c = scan_plain(c + 2, end);
	}
	return c;
}

/* A number at *p: an integer of up to 18 digits (value in *v), or a decimal (*real). */
static inline bool scan_number(const unsigned char **p, long long *v, bool *real)
{
	const unsigned char *c = *p;
	bool negative = *c == '-';
	long long n = 0;
	int digits = 0;

	if (negative)
		c++;
	if (*c == '0') {
		c++;
		digits = 1;
	} else if (*c >= '1' && *c <= '9') {
		/* Eighteen digits always fit; a nineteenth is jansson's to range-check. */
		while (*c >= '0' && *c <= '9' && digits < 18) {
			n = n * 10 + (*c++ - '0');
			digits++;
		}
		if (*c >= '0' && *c <= '9')
			return false;
	} else {
		return false;
	}
	*real = *c == '.';
	if (*real) {
		int frac = 0;

		for (c++; *c >= '0' && *c <= '9' && frac < 31; c++)
			frac++;
		if (frac == 0 || digits + frac > 30)
			return false;
	}
	if (*c == 'e' || *c == 'E' || (*c >= '0' && *c <= '9'))
		return false;
	*v = negative ? -n : n;
	*p = c;
	return true;
}

/* Undo the short escapes of [start, quote) in place and end it with a NUL. */
static const char *scan_finish_string(unsigned char *start, unsigned char *quote, bool escaped)
{
	unsigned char *out = start, *in = start;

	if (!escaped) {
		*quote = '\0';
		return (const char *)start;
	}
	while (in < quote) {
		if (*in != '\\') {
			*out++ = *in++;
			continue;
		}
		switch (in[1]) {
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		default: *out++ = in[1]; break;        /* " \ / */
		}
		in += 2;
	}
	*out = '\0';
	return (const char *)start;
}

bool history_scan_line(char *line, size_t len, struct history_fields *f)
{
	/* Where each string key's value goes in f, plus one (0: not a string the checker reads). */
#define SLOT(field) (offsetof(struct history_fields, field) + 1)
	static const size_t slots[KEY_COUNT] = {
		[KEY_ROLE] = SLOT(role), [KEY_EV] = SLOT(ev), [KEY_ID] = SLOT(id), [KEY_TOKEN] = SLOT(token),
		[KEY_TEXT] = SLOT(text), [KEY_VIA] = SLOT(via), [KEY_CHANNEL] = SLOT(channel),
		[KEY_PARENT] = SLOT(parent), [KEY_PARENT_TS] = SLOT(parent_ts), [KEY_TS] = SLOT(ts_string),
	};
#undef SLOT
	const unsigned char *value_start[KEY_COUNT], *value_end[KEY_COUNT];
	const unsigned char *p = (const unsigned char *)line, *end = p + len;
	unsigned seen = 0, strings = 0, escapes = 0;

	/* Field by field: a memset of this size compiles to "rep stos", slow to start for so few bytes. */
	f->role = f->ev = f->id = f->token = f->text = f->via = f->channel = f->parent = f->parent_ts = NULL;
	f->ts_string = NULL;
	f->has_role = f->has_ev = f->t_is_integer = f->watched_false = f->text_token_known = false;
	f->t = 0;
	f->ts_kind = HISTORY_TS_NONE;
	f->ts_integer = f->attempt = f->attempts = 0;
	f->ts_real = 0;
	if (*p++ != '{')
		return false;
	if (*p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		const unsigned char *key_end, *value;
		enum scan_key k;
		long long n;
		bool escaped = false, real;

		if (*p != '"' || !(key_end = scan_string(p, end, &escaped)) || escaped || key_end[1] != ':')
			return false;
		k = scan_key_of((const char *)p + 1, (size_t)(key_end - p - 1));
		if (k != KEY_OTHER) {
			if (seen & (1u << k))
				return false;          /* jansson keeps the last; leave duplicates to it */
			seen |= 1u << k;
		}
		p = key_end + 2;
		switch (*p) {
		case '"':
			if (!(value = scan_string(p, end, &escaped)))
				return false;
			if (k == KEY_TS)
				f->ts_kind = HISTORY_TS_STRING;
			if (k != KEY_OTHER && slots[k]) {
				value_start[k] = p + 1;
				value_end[k] = value;
				strings |= 1u << k;
				escapes |= (unsigned)escaped << k;
			}
			p = value + 1;
			break;
		case 't':               /* strncmp, not memcmp: it stops at the line's NUL */
			if (strncmp((const char *)p, "true", 4) != 0)
				return false;
			p += 4;
			break;
		case 'n':
			if (strncmp((const char *)p, "null", 4) != 0)
				return false;
			p += 4;
			break;
		case 'f':
			if (strncmp((const char *)p, "false", 5) != 0)
				return false;
			p += 5;
			if (k == KEY_WATCHED)
				f->watched_false = true;
			break;
		default:
			if (!scan_number(&p, &n, &real))
				return false;
			if (real) {
				if (k == KEY_TS)
					return false;      /* its value is jansson's to round */
				break;
			}
			if (k == KEY_T) {
				f->t_is_integer = true;
				f->t = n;
			} else if (k == KEY_TS) {
				f->ts_kind = HISTORY_TS_INTEGER;
				f->ts_integer = n;
			} else if (k == KEY_ATTEMPT) {
				f->attempt = n;
			} else if (k == KEY_ATTEMPTS) {
				f->attempts = n;
			}
			break;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return false;
		break;
	}
done:
	if (p != end)
		return false;
	f->has_role = seen & (1u << KEY_ROLE);
	f->has_ev = seen & (1u << KEY_EV);
	for (; strings; strings &= strings - 1) {
		int k = __builtin_ctz(strings);

		*(const char **)((char *)f + slots[k] - 1) =
			scan_finish_string((unsigned char *)line + (value_start[k] - (const unsigned char *)line),
					   (unsigned char *)line + (value_end[k] - (const unsigned char *)line),
					   escapes & (1u << k));
	}
	return true;
}
