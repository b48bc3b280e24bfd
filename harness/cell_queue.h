/*
 * cell_queue: the router's packet queue for one cell (cell_queue.c): hold
 * rules and packet triggers with a direction, decided where the packet is
 * held. The loop polls its fd and serves it, handing it the way to fire a
 * rule, so the queue needs nothing of the loop.
 */
#ifndef ACKLAB_CELL_QUEUE_H
#define ACKLAB_CELL_QUEUE_H

#include <stdbool.h>

#include "cell.h"

/*
 * Open the router's queue for the rules that need it (holds, packet
 * triggers with a direction): a watch for each, and the classify callback
 * that counts their packets. Nothing when no rule needs it. 0, or -1 with
 * the cell failed.
 */
int cell_queue_setup(struct cell *c);
/*
 * Serve the queue, if open: read it (when readable), release what is due,
 * then fire what its rules noted with fire, each hold's fault before its
 * packets go.
 */
void cell_queue_service(struct cell *c, bool readable, cell_fire_fn fire);
/* The queue's fd to poll, or -1 when it is not open. */
int cell_queue_fd(struct cell *c);
/* ms, or less when a packet the queue keeps is due sooner. */
int cell_queue_timeout(struct cell *c, int ms);

#endif
