/*
 * checker_class: the checker's vocabulary, shared by the scenario language
 * (expectations), the checker and the reporters.
 *
 *   ok              stored once, the client showed Sent
 *   lost            the client showed Sent (or never said), the store does not have it
 *   duplicate       stored twice, or delivered twice to one recipient (two copies)
 *   phantom         a recipient saw a copy the store does not have
 *   failed-visible  the client showed Failed and it is not stored (honest)
 *   gap             stored, and a recipient never got it, even after catch-up
 *   orphan-reply    a reply whose parent is not in the store
 */
#ifndef ACKLAB_CHECKER_CLASS_H
#define ACKLAB_CHECKER_CLASS_H

enum chk_class {
	CHK_OK,
	CHK_LOST,
	CHK_DUPLICATE,
	CHK_PHANTOM,
	CHK_FAILED_VISIBLE,
	CHK_GAP,
	CHK_ORPHAN_REPLY,
	CHK_CLASS_COUNT
};

/* "ok", "lost", ... ; and the reverse (-1 when unknown). */
const char *chk_class_name(enum chk_class c);
int chk_class_parse(const char *name);
/* True for the classes that are bugs (everything but ok and failed-visible). */
int chk_class_is_bug(enum chk_class c);

#endif
