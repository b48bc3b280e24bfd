/*
 * checker_class: the checker's vocabulary, shared by the scenario language
 * (expectations), the checker and the reporters. In the order of precedence
 * the checker uses when one message shows several (most alarming first):
 *
 *   phantom         a recipient saw a copy the store does not have
 *   duplicate       stored twice, or two distinct stored copies shown to one recipient
 *   lost            the client showed Sent (or never said), the store does not have it
 *   failed-stored   the client showed Failed, yet the store has it (the user's
 *                   manual retry will duplicate it)
 *   ts-mismatch     the client showed Sent with a ts the store does not hold for it
 *   orphan-reply    a reply whose parent is not in the store
 *   dup-push        a recipient was shown the same stored copy more than once
 *   gap             stored, and a recipient never got it, even after catch-up
 *   reordered       a recipient was pushed it after a message of the same sender
 *                   that the store holds after it
 *   failed-visible  the client showed Failed and it is not stored (honest; still
 *                   a failure unless the scenario expects it)
 *   bot-lost        stored and otherwise ok, and the bot never processed it
 *   bot-dup         stored and otherwise ok, and the bot processed it twice or more
 *                   (the bot classes are looked at only when the cell has a bot,
 *                   and only for messages every other class calls ok)
 *   ok              stored once, the client showed Sent, every recipient saw it once
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
	CHK_FAILED_STORED,
	CHK_TS_MISMATCH,
	CHK_DUP_PUSH,
	CHK_REORDERED,
	CHK_BOT_LOST,                 /* the bot view (checker_bot.c), of messages otherwise ok */
	CHK_BOT_DUP,
	CHK_CLASS_COUNT
};

/* "ok", "lost", ... ; and the reverse (-1 when unknown). */
const char *chk_class_name(enum chk_class c);
int chk_class_parse(const char *name);
/* Short verdict words: "LOST", "DUP", "PHANTOM", "FAILED-STORED", ... */
const char *chk_class_short(enum chk_class c);
/* True for the classes that are bugs (everything but ok and failed-visible). */
int chk_class_is_bug(enum chk_class c);
/* "lost, duplicate, ..., failed-visible": every class that an expect line may name. */
const char *chk_class_list(void);

#endif
