/*
 * fault_table: every kind of fault acklab knows, by name. The scenario
 * parser looks a fault's name up here, `acklab list` prints the rows, and
 * `acklab doctor` proves each row in table order.
 *
 * The table sits above the rows (fault_proc.h, fault_net.h, fault_disk.h) and the rows
 * above fault.h, so adding a kind of fault is one file of rows plus one
 * line here. "heal" is not a row: it is a step of its own.
 */
#ifndef ACKLAB_FAULT_TABLE_H
#define ACKLAB_FAULT_TABLE_H

#include "fault.h"

/* The row named name, or NULL. */
const struct fault_ops *fault_lookup(const char *name);
/* The closest known fault name to a misspelt one (for "did you mean"), or NULL. */
const char *fault_suggest(const char *name);
/* NULL-terminated list of every fault name, in table order. */
const char *const *fault_names(void);
/* NULL-terminated list of every row, in table order. */
const struct fault_ops *const *fault_table(void);

#endif
