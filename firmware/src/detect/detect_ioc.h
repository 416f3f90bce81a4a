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
#include "flow/flow_record.h"

/* sid of an IOC alert (gid GID_IOC) */
enum ioc_kind { IOC_IP = 1, IOC_DOMAIN = 2, IOC_JA3 = 3, IOC_JA3S = 4, IOC_CERT_SHA1 = 5 };

struct ioc_db;

struct ioc_counts {
	size_t ip, cidr, domain, ja3, ja3s, cert_sha1; /* entries by kind */
	size_t duplicates;   /* entries already present (first one kept) */
	size_t skipped;      /* MISP rows of a type that is not an indicator kind */
	size_t bytes;        /* memory the lookup structures hold */
};

struct ioc_db *ioc_db_new(void);
void ioc_db_free(struct ioc_db *db);

/* Load one list file; the format is recognised from its content. The
 * list's name in alerts is the file's base name (loading a file of the
 * same name again adds to that list). Returns the entries added (not
 * counting duplicates); -1 with errno set, and a line-0 problem, if the
 * file cannot be read or memory runs out. Bad lines go to problem() and
 * are skipped (at most 100 reports per file, then one line-0 summary).
 * problem may be NULL.
 *
 * Formats: a header (commented or not) of a known CSV layout selects it:
 * abuse.ch Feodo Tracker ipblocklist.csv, SSLBL ja3_fingerprints.csv and
 * sslblacklist.csv, URLhaus csv.txt, a MISP CSV export (columns by name).
 * Anything else is a plain list: one indicator per line, '#' comments,
 * optional ",description"; the kind is recognised per line: IPv4/IPv6
 * address or CIDR, domain (matches its subdomains too), 32 hex = JA3 MD5
 * (matches both JA3 and JA3S unless written "ja3:" or "ja3s:"; counted in
 * ioc_counts.ja3), 40 hex or aa:bb:.. = certificate SHA1, "url:" or
 * scheme://... = the URL's host. */
long ioc_load_file(struct ioc_db *db, const char *path, rule_problem_fn problem, void *ctx);

void ioc_get_counts(const struct ioc_db *db, struct ioc_counts *out);

/* The sid of a list's indicators of one kind (1 ip, 2 domain, 3 ja3, 4
 * ja3s, 5 cert_sha1): kind * 1000000 + a hash of the list's file name
 * modulo 1000000, so the same list file raises the same sid on every
 * sensor and after every reload. Two lists whose names give the same sid
 * are refused when loaded ("rename one"). */
uint32_t ioc_list_sid(const char *list, int kind);
/* The signature text of those alerts: "vigil IOC: domain on list
 * misp.csv" (the indicator itself is in the metadata). */
void ioc_signature(char *out, size_t outlen, int kind, const char *list);
/* The kind (IOC_IP ...) of a kind's name in alerts ("ip", "domain",
 * "ja3", "ja3s", "cert_sha1"); 0 for anything else. */
int ioc_kind_of(const char *name);

/* Check a flow's addresses, names (DNS query, TLS SNI, HTTP host), JA3,
 * JA3S and certificate fingerprint. One alert per matching indicator
 * through cb (engine ALERT_IOC, gid GID_IOC, sid = ioc_list_sid of the
 * indicator's list and kind). Returns hits.
 *
 * An address matches its longest listed prefix; a name matches its most
 * specific listed domain (itself or a parent), an IP literal name is
 * matched as an address. An indicator alerts once per call even when it
 * matches both ends or several names. Alerts: a signature that names
 * only the kind and the list ("vigil IOC: ip address on list
 * feodo.csv"), the indicator itself in ioc_indicator and in the metadata
 * (indicator, indicator_list, indicator_kind, indicator_description),
 * category "Indicator of compromise", classtype NULL, severity 2, the
 * flow's tuple and record; their strings are valid during the callback
 * only. The db is not modified (concurrent matching is safe). */
int ioc_match_flow(const struct ioc_db *db, const struct flow_record *rec, uint64_t now_us,
		   alert_fn cb, void *ctx);

#endif
