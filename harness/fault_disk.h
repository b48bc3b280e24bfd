/*
 * fault_disk: the storage faults, which act on the server's data folder
 * ({dir}) through acklab's own FUSE filesystem (disk.h), so they need no
 * cooperation from the server: disk-full (ENOSPC), disk-error (EIO on
 * fsync, write or read), disk-slow (each fsync waits) and lose-unsynced (a
 * power cut: the server is killed and every write it had not fsynced is
 * dropped). Rows of the fault table (fault_table.c); each proves itself in
 * `acklab doctor` on a file of its own through a FUSE mount.
 */
#ifndef ACKLAB_FAULT_DISK_H
#define ACKLAB_FAULT_DISK_H

#include "fault.h"

extern const struct fault_ops fault_disk_full, fault_disk_error, fault_disk_slow,
	fault_lose_unsynced;

#endif
