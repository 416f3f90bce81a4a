/*
 * report.h - human-readable summaries of what the store holds.
 *
 * Owns: the `vigil summary` text (flows per application, top talkers,
 * decode errors of the recorded runs), read from the SQLite store.
 */
#ifndef VIGIL_REPORT_H
#define VIGIL_REPORT_H

#include <stdio.h>

/* Print the summary of database path to out. top: rows per table.
 * Returns 0, or 1 with a one-line reason in err. */
int report_summary(const char *path, FILE *out, int top, char *err, size_t errlen);

#endif
