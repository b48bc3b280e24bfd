/*
 * fault_net: the faults that act in the router — drop-replies, drop,
 * partition, blackhole and reset (rules in the router's fault chain, nft.h) and
 * evict-nat (conntrack entries deleted, conntrack.h). Rows of the fault
 * table (fault_table.c); each carries its doctor's proof on plain TCP
 * between the lab's client and server hosts.
 */
#ifndef ACKLAB_FAULT_NET_H
#define ACKLAB_FAULT_NET_H

#include "fault.h"

extern const struct fault_ops fault_drop_replies, fault_drop, fault_blackhole, fault_reset,
	fault_evict_nat, fault_partition;

#endif
