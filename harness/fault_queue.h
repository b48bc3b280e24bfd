/*
 * fault_queue: the faults made of the router's packet queue (pktq.h):
 * hold (keep every packet of a link until healed, then let them go in
 * order), delay (with jitter), loss, duplicate and reorder, Toxiproxy's
 * toxics at L3 for any protocol on a kernel without netem. Rows of the
 * fault table (fault_table.c). Their random choices come from generators
 * seeded with the cell's seed (fault_env), so a run repeats. Each row
 * carries its doctor's proof on plain TCP between the lab's client and
 * server hosts, serving the queue itself while it watches (pktq_pump).
 *
 * The hold row also describes the holds a cell's `on packet MSG ... hold:`
 * rules make (fault_queue_hold_rule): those are a hold with a third
 * argument, the message whose packet was held.
 */
#ifndef ACKLAB_FAULT_QUEUE_H
#define ACKLAB_FAULT_QUEUE_H

#include "fault.h"

extern const struct fault_ops fault_hold, fault_delay, fault_loss, fault_duplicate,
	fault_reorder;

/*
 * f as the record of a rule's flow hold: the packet carrying msg_id went
 * from host from to host to, and packets were held (final counts). Not
 * applied or healed: the cell released the hold itself.
 */
void fault_queue_hold_rule(struct fault *f, const char *from, const char *to, const char *msg_id,
			   uint64_t packets);

/*
 * "5%" or "0.5%" as parts per million in (0, 1000000]; "80ms" or "2s" as
 * milliseconds in [0, 60000]. 0, or -1 with err. Exposed for tests.
 */
int fault_queue_percent(const char *s, uint32_t *ppm, char *err, size_t errlen);
int fault_queue_duration(const char *s, int64_t *ms, char *err, size_t errlen);

#endif
