/*
 * version: acklab's version, written into every plan, cell record and
 * report so a stored run says which acklab made it. ACKLAB_COMMIT comes from
 * the Makefile (git describe) when the source is a git checkout.
 */
#ifndef ACKLAB_VERSION_H
#define ACKLAB_VERSION_H

#define ACKLAB_VERSION "0.4.0"
#ifndef ACKLAB_COMMIT
#define ACKLAB_COMMIT "unknown"
#endif

#endif
