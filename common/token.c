/*
 * token: whole-token search (token.h). The end-of-token rule lives in one
 * function, token_ends_at(), so text, packets and the checker agree.
 */
#include "token.h"

#include <string.h>

/* What a byte may be inside a message id: 1 a letter, digit or '_'; 2 a '-' or '.', which end it when no 1 follows. */
static const unsigned char token_char[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['_'] = 1, ['-'] = 2, ['.'] = 2,
};

/* Does a token end before buf[i] (buf holding len bytes)? */
static inline bool token_ends_at(const char *buf, size_t len, size_t i)
{
	unsigned char c;

	if (i >= len)
		return true;
	c = token_char[(unsigned char)buf[i]];
	/* '.' or '-' ends it when no id character of substance follows: "m1." or "m1-)" */
	return c == 0 || (c == 2 && (i + 1 >= len || token_char[(unsigned char)buf[i + 1]] != 1));
}

const char *token_memfind(const char *buf, size_t len, const char *token, size_t tlen)
{
	const char *p = buf, *end = buf + len;

	if (!buf || !tlen)
		return NULL;
	while ((size_t)(end - p) >= tlen) {
		const char *hit = memmem(p, (size_t)(end - p), token, tlen);

		if (!hit)
			return NULL;
		if (token_ends_at(buf, len, (size_t)(hit - buf) + tlen))
			return hit;
		p = hit + 1;
	}
	return NULL;
}

bool token_in_text(const char *text, const char *token)
{
	return text && token && token_memfind(text, strlen(text), token, strlen(token)) != NULL;
}

bool token_span_next(const char *text, size_t len, size_t *pos, size_t *start, size_t *tlen)
{
	static const size_t plen = sizeof TOKEN_PREFIX - 1;

	while (*pos < len) {
		/* strstr: text ends at len with a NUL, and strstr is quicker than memmem at this */
		const char *hit = strstr(text + *pos, TOKEN_PREFIX);
		size_t i;

		if (!hit)
			break;
		*start = (size_t)(hit - text);
		for (i = *start + plen; !token_ends_at(text, len, i); i++)
			;
		*pos = i;
		if (i - *start >= TOKEN_MAX)
			continue;     /* longer than any token: not one of ours */
		*tlen = i - *start;
		return true;
	}
	*pos = len;
	return false;
}

bool token_next(const char *text, size_t *pos, char *out, size_t len)
{
	size_t n = text ? strlen(text) : 0, start, tlen;

	while (token_span_next(text, n, pos, &start, &tlen)) {
		if (tlen >= len)
			continue;     /* longer than out holds: not one of ours */
		memcpy(out, text + start, tlen);
		out[tlen] = '\0';
		return true;
	}
	return false;
}
