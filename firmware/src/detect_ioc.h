/*
 * detect_ioc.h - indicator lists (IOCs): addresses, networks, domains,
 * JA3/JA3S hashes and certificate SHA1 fingerprints.
 *
 * Owns: reading the list files of a rule set's ioc/ folder (plain lists
 * and the published abuse.ch and MISP CSV formats), the lookup structures
 * (a prefix trie for addresses and networks, hash tables for the rest,
 * domains matched with their subdomains), and matching a flow.
 */
#ifndef VIGIL_DETECT_IOC_H
#define VIGIL_DETECT_IOC_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "flow_record.h"

/* sid of an IOC alert (gid GID_IOC) */
enum ioc_kind { IOC_IP = 1, IOC_DOMAIN = 2, IOC_JA3 = 3, IOC_JA3S = 4, IOC_CERT_SHA1 = 5 };

struct ioc_db;

struct ioc_counts {
	size_t ip, cidr, domain, ja3, ja3s, cert_sha1; /* entries by kind */
	size_t duplicates;   /* entries already present (first one kept) */
	size_t bytes;        /* memory the lookup structures hold */
};

struct ioc_db *ioc_db_new(void);
void ioc_db_free(struct ioc_db *db);

/* Load one list file; the format is recognised from its content. The
 * list's name in alerts is the file's base name. Returns entries loaded,
 * -1 if the file cannot be read; bad lines go to problem() and are
 * skipped. */
long ioc_load_file(struct ioc_db *db, const char *path, rule_problem_fn problem, void *ctx);

void ioc_get_counts(const struct ioc_db *db, struct ioc_counts *out);

/* Check a flow's addresses, names (DNS query, TLS SNI, HTTP host), JA3,
 * JA3S and certificate fingerprint. One alert per matching indicator
 * through cb (engine ALERT_IOC, gid GID_IOC, sid = kind). Returns hits. */
int ioc_match_flow(const struct ioc_db *db, const struct flow_record *rec, uint64_t now_us,
		   alert_fn cb, void *ctx);

#endif
