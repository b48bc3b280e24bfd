/*
 * fault_proc: the faults that act on a role's process — crash (SIGKILL),
 * pause (SIGSTOP, healed by SIGCONT), resume (SIGCONT) and restart (the
 * same command again). Rows of the fault table (fault_table.c); each
 * carries its doctor's proof on the lab's echo process.
 */
#ifndef ACKLAB_FAULT_PROC_H
#define ACKLAB_FAULT_PROC_H

#include "fault.h"

extern const struct fault_ops fault_crash, fault_pause, fault_resume, fault_restart;

#endif
