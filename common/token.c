/*
 * token: whole-token search (token.h). The end-of-token rule lives in one
 * function, token_ends_at(), so text, packets and the checker agree.
 */
#include "token.h"

#include <string.h>

static bool token_idchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-' || c == '.';
}

static bool token_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Does a token end before buf[i] (buf holding len bytes)? */
static bool token_ends_at(const char *buf, size_t len, size_t i)
{
	unsigned char c;

	if (i >= len)
		return true;
	c = (unsigned char)buf[i];
	if (!token_idchar(c))
		return true;
	/* '.' or '-' ends it when no id character of substance follows: "m1." or "m1-)" */
	return (c == '.' || c == '-') && (i + 1 >= len || !token_alnum((unsigned char)buf[i + 1]));
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

bool token_next(const char *text, size_t *pos, char *out, size_t len)
{
	size_t n = text ? strlen(text) : 0, plen = strlen(TOKEN_PREFIX);

	while (*pos < n) {
		const char *hit = strstr(text + *pos, TOKEN_PREFIX);
		size_t start, i;

		if (!hit)
			break;
		start = (size_t)(hit - text);
		for (i = start + plen; !token_ends_at(text, n, i); i++)
			;
		*pos = i;
		if (i - start >= len)
			continue;     /* longer than any token: not one of ours */
		memcpy(out, text + start, i - start);
		out[i - start] = '\0';
		return true;
	}
	return false;
}
