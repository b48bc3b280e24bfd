/*
 * fault: the life of one fault, whatever its kind; see fault.h.
 *
 * Everything here goes through the row (f->ops), so this file never names
 * a kind of fault: the rows include fault.h, the table includes the rows,
 * and nothing points back up. The shared validators are here because most
 * rows take the same arguments: roles, or hosts with a link.
 */
#include "fault.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

int fault_validate(const struct fault_ops *ops, const char *const *args, int nargs,
		   int recipients, int *bad_arg, char *err, size_t errlen)
{
	*bad_arg = -1;
	return ops->validate(ops, args, nargs, recipients, bad_arg, err, errlen);
}

/* The argument count against the row's (and FAULT_MAX_ARGS, the most args holds). */
static int fault_check_count(const struct fault_ops *ops, int nargs, int *bad_arg, char *err,
			     size_t errlen)
{
	char want[48];

	if (nargs >= ops->min_args && nargs <= ops->max_args && nargs <= FAULT_MAX_ARGS)
		return 0;
	if (ops->min_args == ops->max_args)
		snprintf(want, sizeof want, "%d argument%s", ops->min_args,
			 ops->min_args == 1 ? "" : "s");
	else
		snprintf(want, sizeof want, "%d to %d arguments", ops->min_args, ops->max_args);
	*bad_arg = nargs > ops->max_args ? ops->max_args : -1;
	return err_set(err, errlen, "fault '%s' takes %s, got %d (usage: %s)", ops->name, want,
		       nargs, ops->usage);
}

int fault_names_in(const struct fault_ops *ops, int nargs)
{
	if (ops->arg_kind == FAULT_ARG_ROLE_THEN_VALUES)
		return nargs < 1 ? nargs : 1;
	return ops->nnames > 0 && ops->nnames < nargs ? ops->nnames : nargs;
}

/* Is name client, server or recipient1..recipients? (any recipientN when unknown) */
static bool fault_is_peer(const char *name, int recipients)
{
	long k;

	/* A bot exists only where the scenario says so: scn_check_refs() checks that. */
	if (strcmp(name, "client") == 0 || strcmp(name, "server") == 0 || strcmp(name, "bot") == 0)
		return true;
	return strncmp(name, "recipient", 9) == 0 &&
	       parse_long(name + 9, 1, recipients < 0 ? 8 : recipients, &k, NULL, 0) == 0;
}

/* "client, server, recipient1, recipient2" for a run with that many recipients. */
static const char *fault_peer_list(int recipients, char *buf, size_t len)
{
	size_t used = str_copy(buf, "client, server", len);

	if (recipients < 0)
		snprintf(buf + used, used < len ? len - used : 0, " or a recipient");
	for (int i = 1; i <= recipients && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, ", recipient%d", i);
	return buf;
}

int fault_validate_roles(const struct fault_ops *ops, const char *const *args, int nargs,
			 int recipients, int *bad_arg, char *err, size_t errlen)
{
	char list[160];

	if (fault_check_count(ops, nargs, bad_arg, err, errlen) == -1)
		return -1;
	/* Until the recipients are known, which roles exist is the caller's to check. */
	if (recipients == FAULT_RECIPIENTS_UNKNOWN)
		return 0;
	for (int i = 0; i < fault_names_in(ops, nargs); i++) {
		if (!fault_is_peer(args[i], recipients)) {
			*bad_arg = i;
			return err_set(err, errlen, "unknown role '%s' (expected a role: %s)", args[i],
				       fault_peer_list(recipients, list, sizeof list));
		}
	}
	return 0;
}

int fault_validate_hosts(const struct fault_ops *ops, const char *const *args, int nargs,
			 int recipients, int *bad_arg, char *err, size_t errlen)
{
	char list[160];

	if (fault_check_count(ops, nargs, bad_arg, err, errlen) == -1)
		return -1;
	for (int i = 0; i < fault_names_in(ops, nargs); i++) {
		*bad_arg = i;
		/* Faults act on a host's link at the router; the router has none of its own. */
		if (strcmp(args[i], "router") == 0)
			return err_set(err, errlen, "fault '%s' acts on a host's link, and the router "
				       "has none of its own (expected a host: %s)", ops->name,
				       fault_peer_list(recipients, list, sizeof list));
		if (recipients != FAULT_RECIPIENTS_UNKNOWN && !fault_is_peer(args[i], recipients))
			return err_set(err, errlen, "unknown host '%s' (expected a host: %s)", args[i],
				       fault_peer_list(recipients, list, sizeof list));
		for (int j = 0; j < i; j++)
			if (strcmp(args[i], args[j]) == 0)
				return err_set(err, errlen, "fault '%s' names '%s' twice (expected two "
					       "different hosts: %s)", ops->name, args[i], ops->usage);
	}
	*bad_arg = -1;
	return 0;
}

int fault_init(struct fault *f, const struct fault_ops *ops, const char *const *args, int nargs,
	       char *err, size_t errlen)
{
	int bad;

	memset(f, 0, sizeof *f);
	if (fault_validate(ops, args, nargs, FAULT_RECIPIENTS_UNKNOWN, &bad, err, errlen) == -1)
		return -1;
	f->ops = ops;
	f->nargs = nargs;
	for (int i = 0; i < nargs; i++)
		str_copy(f->args[i], args[i], sizeof f->args[i]);
	return 0;
}

int fault_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	char inner[512];

	if (f->ops->apply(f, env, inner, sizeof inner) == -1)
		return err_set(err, errlen, "fault %s: %s", f->ops->name, inner);
	return 0;
}

int fault_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	char inner[512];

	if (!f->active || !f->ops->heal)
		return 0;
	if (f->ops->heal(f, env, inner, sizeof inner) == -1)
		return err_set(err, errlen, "heal %s: %s", f->ops->name, inner);
	f->active = false;
	f->healed = true;
	return 0;
}

int fault_heal_all(struct fault *faults, int n, const char *name, struct fault_env *env,
		   void (*healed)(void *arg, struct fault *f), void *arg, char *err, size_t errlen)
{
	for (int i = n - 1; i >= 0; i--) {
		struct fault *f = &faults[i];

		if (!f->active || (name && name[0] && strcmp(f->ops->name, name) != 0))
			continue;
		if (fault_heal(f, env, err, errlen) == -1)
			return -1;
		if (healed)
			healed(arg, f);
	}
	return 0;
}

void fault_describe(const struct fault *f, char *buf, size_t len)
{
	f->ops->describe(f, buf, len);
}

bool fault_bit(const struct fault *f)
{
	const struct fault_touched *t = &f->touched;

	bool queued = t->held > 0 || t->delayed > 0 || t->duplicated > 0;

	if (f->nft.nrules > 0)
		return t->packets > 0 || t->signalled > 0 || t->started > 0 || queued;
	return t->packets > 0 || t->flows > 0 || t->signalled > 0 || t->started > 0 || t->ops > 0 ||
	       queued;
}

int fault_touched(const struct fault *f, json_t **out)
{
	*out = json_pack("{s:I, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:b}", "packets",
			 (json_int_t)f->touched.packets, "flows", f->touched.flows, "signalled",
			 f->touched.signalled, "started", f->touched.started, "ops",
			 (json_int_t)f->touched.ops, "bytes", (json_int_t)f->touched.bytes, "held",
			 (json_int_t)f->touched.held, "delayed", (json_int_t)f->touched.delayed,
			 "duplicated", (json_int_t)f->touched.duplicated, "bit", fault_bit(f));
	return *out ? 0 : -1;
}
