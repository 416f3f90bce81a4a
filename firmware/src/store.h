/*
 * store.h - the SQLite sink: flows (and run statistics) on disk.
 *
 * Owns: the database file, its versioned schema and migrations, WAL mode,
 * and batching (many rows per transaction, so an SD card does not see an
 * fsync per flow). Flows are indexed by time, hosts and application.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "flow_record.h"
#include "stats.h"

#define STORE_SCHEMA_VERSION 1

struct store;

/* Open (create or migrate) the database. batch_rows: rows per transaction
 * (0 = default 1000). NULL and err filled on failure. */
struct store *store_open(const char *path, int batch_rows, char *err, size_t errlen);
int store_add_flow(struct store *s, const struct flow_record *rec);
/* Record one run's statistics (also commits the pending batch). */
int store_add_run(struct store *s, const struct vigil_stats *st,
		  const char *sources);
/* Commit what is pending. */
int store_flush(struct store *s);
const char *store_error(const struct store *s);
int store_close(struct store *s);

#endif
