/*
 * prefault: a thread that makes the pages of a few growing arrays present
 * a little ahead of where their owner writes, so that the owner's thread
 * does not stop at every fresh page while the kernel finds and zeroes it.
 *
 * For one big job on one thread (the checker filing a million messages):
 * on a virtual machine a fresh page can cost more than the work done in
 * it, and that cost is the same wherever it is paid, so it is paid on a
 * core that would otherwise wait. The thread asks the kernel to populate
 * the pages (madvise MADV_POPULATE_WRITE), which changes no byte: a region
 * that moved or was freed meanwhile (the owner's realloc) costs a wasted
 * call, never a wrong value. The thread runs ten nice steps below its
 * owner, which it must never slow. Where the kernel cannot (before Linux
 * 5.14), or no thread can be started, every call is a no-op.
 */
#ifndef ACKLAB_PREFAULT_H
#define ACKLAB_PREFAULT_H

#include <stddef.h>

#define PREFAULT_REGIONS 4

struct prefault;

/* A thread for up to PREFAULT_REGIONS regions, or NULL (no thread: prefault_ahead does nothing). */
struct prefault *prefault_start(void);
/*
 * Region `region` is base[0..cap) and its owner has written base[0..used):
 * keep some megabytes past used populated. Cheap when nothing is to be
 * done, so it can be called for every element. pf may be NULL.
 */
void prefault_ahead(struct prefault *pf, int region, void *base, size_t used, size_t cap);
/* Stop the thread and free pf (accepts NULL). */
void prefault_stop(struct prefault *pf);

#endif
