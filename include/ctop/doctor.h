/* SPDX-License-Identifier: MIT */
/* doctor: `ctop-prof --check [PID]`, the permission doctor. One line
 * each: the kernel's gates, what they allow us on PID (or on a command
 * we would launch), the backend --backend auto would run, whether kernel
 * frames and other users' processes are visible, what each of the
 * target's modules gives for naming and the least-privilege fix for
 * whatever is missing, and a verdict. Nothing is attached or stopped.
 * Thread: main. */
#ifndef CTOP_DOCTOR_H
#define CTOP_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct sampler_access;
struct symbols_file_report;

/* Runs every check for pid (0: launching a command) and prints the
 * report to out. Returns the exit status: 0 when profiling would work,
 * 1 when not. */
int doctor_run(pid_t pid, FILE *out);

/* The gate lines and the verdict's reason from gathered facts (pure: the
 * tests give it every gate's answers). Returns true when profiling would
 * work; *why (at most size bytes) says why not. */
bool doctor_print_access(FILE *out, const struct sampler_access *a,
    bool python, char *why, size_t size);

/* One module's line (pure but for fix, the package hint, may be NULL). */
void doctor_print_module(FILE *out, const char *path,
    const struct symbols_file_report *r, const char *fix);

#endif
