/*
 * fault_lb: the faults of a deploy behind a load balancer. `stop ROLE` ends
 * a process the way a deploy does (SIGTERM, time to finish, SIGKILL only
 * after that); `drain ROLE` tells the balancer (HAProxy, through its runtime
 * API: balancer.h) to send a server instance no new connections while those
 * it has keep going, and its heal makes the instance ready again. Rows of
 * the fault table (fault_table.c).
 */
#ifndef ACKLAB_FAULT_LB_H
#define ACKLAB_FAULT_LB_H

#include "fault.h"

extern const struct fault_ops fault_stop, fault_drain;

#endif
