/*
 * doctor: what this machine allows, and proof that every fault primitive
 * does what it says on real TCP between two hosts of a real topology.
 */
#ifndef ACKLAB_DOCTOR_H
#define ACKLAB_DOCTOR_H

extern const char doctor_usage[];

/*
 * `acklab doctor [-v]`: enters the sandbox, checks the kernel features, builds
 * the topology, proves each primitive and prints a table. Returns the exit
 * status: 0 all hold, 1 a primitive misbehaved, 4 a needed feature is missing.
 */
int doctor_main(int argc, char **argv, const char *bin_dir);

/* The hidden `acklab probe-echo PORT` command: the doctor's echo server. */
int doctor_probe_echo(const char *port_arg);

#endif
