/*
 * scenario_sysctl: a scenario's `sysctl HOST KEY=VALUE` lines checked against
 * what a host's network namespace really has, before anything runs.
 *
 * The parser already refuses keys outside net.* (sandbox_sysctl_key_ok());
 * whether a key exists, and what its value looks like, only the kernel can
 * say, and it says so per network namespace (a fresh one has fewer keys than
 * the machine's own). So the keys are looked up in a throwaway namespace
 * (sandbox_sysctl_fresh(), which changes nothing) and the value is compared
 * with the shape of the key's own: a number where it holds a number, as
 * many numbers as it holds; a word where it holds a word is left to the
 * kernel. This is what `acklab check` and `acklab run` both do, so a typo is
 * exit 2 with file:line:col instead of a cell that fails to start.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "scenario.h"
#include "scenario_priv.h"
#include "util.h"

/* How many blank-separated whole numbers v holds, or -1 if something else is in it. */
static int scn_sysctl_numbers(const char *v)
{
	int n = 0;

	while (*v) {
		const char *start;

		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v)
			break;
		start = v;
		if (*v == '-')
			v++;
		if (!isdigit((unsigned char)*v))
			return -1;
		while (isdigit((unsigned char)*v))
			v++;
		if (*v && *v != ' ' && *v != '\t')
			return -1;
		n += v > start;
	}
	return n;
}

/* "x.scn:L:C: unknown sysctl 'K' (did you mean 'K2'?)", pointing at the missing part. */
static int scn_sysctl_unknown(const struct scenario *s, const struct scn_sysctl *sc,
			      const struct sandbox_sysctl_seen *seen, char *err, size_t errlen)
{
	const char *names[256], *part = sc->key, *sug;
	char siblings[sizeof seen->siblings], missing[96], dym[256] = "";
	int n = 0;

	for (int i = 0; i < seen->missing && strchr(part, '.'); i++)
		part = strchr(part, '.') + 1;
	snprintf(missing, sizeof missing, "%.*s", (int)strcspn(part, "."), part);
	str_copy(siblings, seen->siblings, sizeof siblings);
	for (char *save = NULL, *t = strtok_r(siblings, "\n", &save); t && n < 255; t = strtok_r(NULL, "\n", &save))
		names[n++] = t;
	names[n] = NULL;
	sug = scn_suggest(missing, names);
	if (sug)
		snprintf(dym, sizeof dym, " (did you mean '%.*s%s%s'?)", (int)(part - sc->key), sc->key, sug,
			 part + strlen(missing));
	else
		snprintf(dym, sizeof dym, " (a host's network namespace has no '%s' there)", missing);
	return err_set(err, errlen, "%s:%d:%d: unknown sysctl '%s'%s", s->path, sc->key_pos.line,
		       sc->key_pos.col + (int)(part - sc->key), sc->key, dym);
}

int scenario_check_sysctls(const struct scenario *s, char *err, size_t errlen)
{
	struct sandbox_sysctl_seen seen[ARRAY_LEN(s->sysctls)];
	const char *keys[ARRAY_LEN(s->sysctls)];
	char why[512];

	if (s->nsysctls == 0)
		return 0;
	for (int i = 0; i < s->nsysctls; i++)
		keys[i] = s->sysctls[i].key;
	if (sandbox_sysctl_fresh(keys, s->nsysctls, seen, why, sizeof why) == -1) {
		err_set(err, errlen, "%s: sysctl keys not checked: %s", s->path, why);
		return 1;
	}
	for (int i = 0; i < s->nsysctls; i++) {
		const struct scn_sysctl *sc = &s->sysctls[i];
		int want = seen[i].value[0] ? scn_sysctl_numbers(seen[i].value) : -1;
		int got = scn_sysctl_numbers(sc->value);

		if (!seen[i].found)
			return scn_sysctl_unknown(s, sc, &seen[i], err, errlen);
		if (want <= 0 || got == want)
			continue;
		if (want == 1)
			return err_set(err, errlen, "%s:%d:%d: bad value '%s' for %s (expected a whole number, "
				       "like its default %s)", s->path, sc->value_pos.line, sc->value_pos.col,
				       sc->value, sc->key, seen[i].value);
		return err_set(err, errlen, "%s:%d:%d: bad value '%s' for %s (expected %d whole numbers "
			       "separated by blanks, like its default '%s')", s->path, sc->value_pos.line,
			       sc->value_pos.col, sc->value, sc->key, want, seen[i].value);
	}
	return 0;
}
