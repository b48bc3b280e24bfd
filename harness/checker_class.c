/*
 * checker_class: the names of the checker's per-message classes. One table,
 * indexed by enum chk_class, so the scenario language, the checker and the
 * reporters spell every class the same way.
 */
#include <string.h>

#include "checker_class.h"

static const struct {
	const char *name, *shortname;
} chk_classes[CHK_CLASS_COUNT] = {
	[CHK_OK] = { "ok", "OK" },
	[CHK_LOST] = { "lost", "LOST" },
	[CHK_DUPLICATE] = { "duplicate", "DUP" },
	[CHK_PHANTOM] = { "phantom", "PHANTOM" },
	[CHK_FAILED_VISIBLE] = { "failed-visible", "FAILED" },
	[CHK_GAP] = { "gap", "GAP" },
	[CHK_ORPHAN_REPLY] = { "orphan-reply", "ORPHAN" },
	[CHK_FAILED_STORED] = { "failed-stored", "FAILED-STORED" },
	[CHK_TS_MISMATCH] = { "ts-mismatch", "TS-MISMATCH" },
	[CHK_DUP_PUSH] = { "dup-push", "DUP-PUSH" },
	[CHK_REORDERED] = { "reordered", "REORDERED" },
	[CHK_BOT_LOST] = { "bot-lost", "BOT-LOST" },
	[CHK_BOT_DUP] = { "bot-dup", "BOT-DUP" },
};

const char *chk_class_name(enum chk_class c)
{
	if ((int)c < 0 || c >= CHK_CLASS_COUNT)
		return "?";
	return chk_classes[c].name;
}

const char *chk_class_short(enum chk_class c)
{
	if ((int)c < 0 || c >= CHK_CLASS_COUNT)
		return "?";
	return chk_classes[c].shortname;
}

int chk_class_parse(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < CHK_CLASS_COUNT; i++)
		if (strcmp(chk_classes[i].name, name) == 0)
			return i;
	return -1;
}

int chk_class_is_bug(enum chk_class c)
{
	return c != CHK_OK && c != CHK_FAILED_VISIBLE && (int)c >= 0 && c < CHK_CLASS_COUNT;
}

const char *chk_class_list(void)
{
	return "lost, duplicate, phantom, gap, orphan-reply, failed-stored, ts-mismatch, dup-push, "
	       "reordered, bot-lost, bot-dup or failed-visible";
}
