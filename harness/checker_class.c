/*
 * checker_class: the names of the checker's per-message classes. One table,
 * indexed by enum chk_class, so the scenario language, the checker and the
 * reporters spell every class the same way.
 */
#include <string.h>

#include "checker_class.h"

static const char *const chk_class_names[CHK_CLASS_COUNT] = {
	[CHK_OK] = "ok",
	[CHK_LOST] = "lost",
	[CHK_DUPLICATE] = "duplicate",
	[CHK_PHANTOM] = "phantom",
	[CHK_FAILED_VISIBLE] = "failed-visible",
	[CHK_GAP] = "gap",
	[CHK_ORPHAN_REPLY] = "orphan-reply",
};

const char *chk_class_name(enum chk_class c)
{
	if ((int)c < 0 || c >= CHK_CLASS_COUNT)
		return "?";
	return chk_class_names[c];
}

int chk_class_parse(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < CHK_CLASS_COUNT; i++)
		if (strcmp(chk_class_names[i], name) == 0)
			return i;
	return -1;
}

int chk_class_is_bug(enum chk_class c)
{
	return c != CHK_OK && c != CHK_FAILED_VISIBLE && (int)c >= 0 && c < CHK_CLASS_COUNT;
}
