/*
 * detect_sig_set.h - the signature rule set that the parser
 * (detect_sig_parse.c) fills and the matcher (detect_sig_match.c) reads:
 * the parsed rule layout, the set, the arena rules live in, the
 * classification and name tables, adding a rule (detect_sig_set.c).
 *
 * The parser and the matcher both use this and neither uses the other.
 * Not part of the public interface (detect_sig.h); nothing outside the
 * detect_sig files includes it.
 */
#ifndef VIGIL_DETECT_SIG_SET_H
#define VIGIL_DETECT_SIG_SET_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect_sig.h"

/* ---- arena: every string and array of a rule set lives here ---------------- */

struct sig_arena_chunk;

struct sig_arena {
	struct sig_arena_chunk *head;    /* newest chunk; older ones chain back */
};

/* A position in the arena, to drop everything a failed rule allocated. */
struct sig_arena_mark {
	struct sig_arena_chunk *chunk;
	size_t used;
};

void *sig_arena_alloc(struct sig_arena *a, size_t n);   /* zeroed; NULL: no memory */
char *sig_arena_strndup(struct sig_arena *a, const char *s, size_t n);
char *sig_arena_strdup(struct sig_arena *a, const char *s);
struct sig_arena_mark sig_arena_mark(const struct sig_arena *a);
void sig_arena_rewind(struct sig_arena *a, struct sig_arena_mark m);
void sig_arena_free(struct sig_arena *a);

/* ---- rule layout ------------------------------------------------------------- */

/* Address group: any, one network, $HOME_NET, $EXTERNAL_NET or a list. */
enum sig_addr_kind { SA_ANY, SA_CIDR, SA_HOME, SA_EXTERNAL, SA_LIST };

struct sig_addr {
	uint8_t kind;            /* enum sig_addr_kind */
	uint8_t neg;             /* written with '!' */
	uint8_t bits;            /* SA_CIDR: prefix length on the 16-byte form */
	uint8_t addr[16];        /* SA_CIDR: network, host bits zero */
	uint16_t n;              /* SA_LIST: items */
	struct sig_addr *items;
};

enum sig_port_kind { SP_ANY, SP_RANGE, SP_LIST };

struct sig_port {
	uint8_t kind;            /* enum sig_port_kind */
	uint8_t neg;
	uint16_t lo, hi;         /* SP_RANGE, inclusive */
	uint16_t n;              /* SP_LIST */
	struct sig_port *items;
};

/* Sticky buffers: flow metadata strings a content or pcre looks at, then
 * (from SB_HTTP_URI on) the buffers taken from the payload window
 * (flow/flow_payload.h) - the HTTP ones fall back to what nDPI extracted
 * when the window has no HTTP message - and SB_FILEMAGIC, the kind of file
 * a direction's payload or HTTP body starts with (detect_http.h). */
enum sig_buf { SB_NONE = 0, SB_DNS_QUERY, SB_TLS_SNI, SB_HTTP_HOST, SB_HTTP_UA,
	       SB_JA3, SB_JA3S,
	       SB_HTTP_URI, SB_HTTP_URI_RAW, SB_HTTP_METHOD, SB_HTTP_STAT_CODE,
	       SB_HTTP_CTYPE, SB_HTTP_REQLINE,
	       SB_PKT, SB_FILEDATA, SB_FILEMAGIC, SB__COUNT };

#define SB_FIRST_WINDOW SB_HTTP_URI          /* evaluated once the window is ready */
#define SB_FIRST_DIRECTIONAL SB_PKT          /* one value per direction */

/* One buffer check. */
enum sig_match_kind { SM_CONTENT, SM_PCRE, SM_BSIZE, SM_ISDATAAT };

#define SMF_NOCASE    0x01
#define SMF_STARTS    0x02
#define SMF_ENDS      0x04
#define SMF_NEG       0x08
#define SMF_DEPTH     0x10
#define SMF_OFFSET    0x20
#define SMF_DOTPREFIX 0x40   /* transform: the buffer with a '.' in front */
#define SMF_DISTANCE  0x80   /* content: relative to the previous match */
#define SMF_WITHIN    0x100
#define SMF_RELATIVE  0x200  /* pcre (R), isdataat: from the previous match's end */

/* bsize comparisons */
enum sig_bsize_op { BS_EQ, BS_LT, BS_GT, BS_LE, BS_GE, BS_RANGE };

struct sig_match {
	uint8_t kind;            /* enum sig_match_kind */
	uint8_t buf;             /* enum sig_buf */
	uint16_t flags;          /* SMF_* */
	uint8_t op;              /* SM_BSIZE: enum sig_bsize_op */
	uint32_t offset, depth;  /* SM_CONTENT; SM_BSIZE: the sizes (lo, hi);
	                            SM_ISDATAAT: offset */
	int32_t distance;        /* SM_CONTENT */
	uint32_t within;
	const uint8_t *pat;      /* SM_CONTENT */
	uint32_t len;
	pcre2_code *re;          /* SM_PCRE */
};

/* Protocol and risk names are compared without case. Rules refer to them
 * by the id of the lowercase name in the set's name table (sig_name_id),
 * and a flow's names are looked up there once, so matching compares ids. */

/* An application protocol name as a rule writes it, with the nDPI names
 * it stands for (e.g. "smb" -> smb, smbv1, smbv23). */
#define SIG_MAX_ALIASES 4

struct sig_app {
	uint32_t ids[SIG_MAX_ALIASES];
	uint8_t n;
	uint8_t neg;
};

/* ndpi-protocol: one name; dotted ("TLS.YouTube") compares the whole. */
struct sig_ndpi {
	uint32_t id;
	uint8_t neg, dotted;
};

/* ndpi-risk: all names present (or, negated, not all of them). */
struct sig_risk {
	const uint32_t *ids;
	uint8_t n;
	uint8_t neg;
};

enum sig_thresh_type { ST_NONE = 0, ST_LIMIT, ST_THRESHOLD, ST_BOTH, ST_DFILTER };
enum sig_track { TR_SRC, TR_DST, TR_RULE, TR_BOTH };

struct sig_thresh {
	uint8_t type;            /* enum sig_thresh_type */
	uint8_t track;           /* enum sig_track */
	uint32_t count;
	uint64_t window_us;
};

enum sig_flow_state { SF_ANY = 0, SF_ESTABLISHED, SF_NOT_ESTABLISHED };

struct sig_rule {
	uint32_t gid, sid, rev;
	const char *msg;
	const char *text;        /* the rule as written (continuations joined) */
	const char *file;
	int line;
	int class_idx;           /* into sig_set.classes; -1: none */
	int priority;            /* 0: the classtype's */
	const char **refs;
	uint8_t n_refs;
	uint8_t n_meta;
	struct alert_kv *meta;

	/* header */
	uint8_t l4a, l4b;        /* accepted IP protocols; 0: any */
	uint8_t bidir;           /* "<>" */
	uint8_t flow_state;      /* enum sig_flow_state */
	uint8_t dir;             /* flow:to_server 1, to_client 2, else 0 */
	uint8_t window;          /* uses a buffer of the payload window */
	uint8_t directional;     /* uses pkt_data, file.data or filemagic */
	struct sig_app hdr_app;  /* n == 0: no application protocol */
	const struct sig_addr *src, *dst;   /* NULL: any */
	const struct sig_port *sport, *dport;

	/* options */
	const struct sig_app *apps;
	uint8_t n_apps;
	uint8_t n_ndpi;
	uint8_t n_risks;
	uint8_t n_matches;
	const struct sig_ndpi *ndpi;
	const struct sig_risk *risks;
	struct sig_match *matches;
	struct sig_thresh thr;
};

/* Protocols a payload rule may apply to (struct sig_set.window_l4). */
#define WL4_TCP   0x01
#define WL4_UDP   0x02
#define WL4_OTHER 0x04

/* ---- the set ----------------------------------------------------------------- */

struct sig_class {
	const char *name, *desc;
	int prio;
};

/* Rule indexes in load order, one list per IP protocol family so a flow
 * only walks the rules that can apply to it. */
enum sig_plist { PL_ANY, PL_TCP, PL_UDP, PL_ICMP, PL_SCTP, PL__COUNT };

struct sig_idx_list {
	uint32_t *v;
	size_t n, cap;
};

/* What a flow is first checked against, per rule, in one small array the
 * matcher walks (the rules themselves are spread over the arena): the
 * header's application protocol, the buffers the rule needs, and a quick
 * check of the first positive content (its minimum buffer length and, when
 * anchored by startswith / endswith, up to 4 of its bytes at that end). */
#define HOT_Q_NOCASE 0x01
#define HOT_Q_DOT    0x02
#define HOT_Q_ENDS   0x04

struct sig_hot {
	struct sig_app app;      /* n == 0: any */
	uint32_t need_bufs;      /* 1 << enum sig_buf */
	uint8_t qbuf;            /* SB_NONE: no quick check */
	uint8_t qflags;          /* HOT_Q_* */
	uint8_t qlen;            /* bytes in q (0..4) */
	uint32_t qmin;           /* the buffer is at least this long */
	uint8_t q[4];
};

/* The threshold and detection_filter state of a set: its policy is the
 * matcher's (detect_sig_match.c); the set makes it for the first
 * thresholded rule and frees it. */
#define THR_CAP 65536u   /* a power of two */

struct thr_entry {
	uint32_t rule;
	uint32_t count;
	uint64_t start_us;
	uint8_t a[16], b[16];
	int32_t hnext;           /* hash chain */
	int32_t prev, next;      /* window-start order, oldest first */
};

struct sig_thresh_table {
	uint64_t seed;           /* of the bucket hash: addresses are the traffic's */
	int32_t bucket[THR_CAP];
	struct thr_entry e[THR_CAP];
	uint32_t used;
	int32_t oldest, newest;
};

struct sig_set {
	struct homenet home;
	struct sig_arena arena;
	struct sig_rule **rules;
	struct sig_hot *hot;         /* one per rule, same index */
	size_t n_rules, cap_rules;
	struct sig_class *classes;
	size_t n_classes, cap_classes;
	char **names;                /* name table: lowercase, malloc'd (kept */
	size_t *name_len;            /* when a rule fails, unlike the arena) */
	size_t n_names, cap_names;
	int has_risk_rules;          /* some rule uses ndpi-risk */
	uint64_t *sid_keys;          /* open addressing: gid << 32 | sid; 0 empty */
	uint32_t *sid_rule;
	size_t sid_cap, sid_used;
	struct sig_idx_list plist[PL__COUNT];
	pcre2_match_data *md;        /* shared by all pcre matches */
	int n_window_rules;          /* rules that read the payload window */
	struct sig_idx_list wlist;   /* their indexes, in load order */
	uint8_t window_l4;           /* WL4_* of the protocols they may apply to */
	int window_applies;          /* the last SIG_PHASE_META call's flow: a
	                                window rule may apply to it */
	uint8_t *scratch;            /* the normalised URI, request line (matcher) */
	size_t scratch_cap;
	struct sig_thresh_table *thr;/* made for the first thresholded rule */
	uint64_t thr_evicted;
};

/* Classification table. */
int sig_class_builtin(struct sig_set *s);
int sig_class_find(const struct sig_set *s, const char *name);
int sig_class_set(struct sig_set *s, const char *name, const char *desc, int prio);

/* Name table: the id of a name (case-insensitive),
 * added if new (-1: out of memory); the id of n bytes, -1 if unknown. */
int sig_name_id(struct sig_set *s, const char *name);
int sig_name_find(const struct sig_set *s, const char *p, size_t n);

/* Rule registration: the sid of r must be unique; returns
 * 0, or -1 with the reason in err. */
int sig_add_rule(struct sig_set *s, struct sig_rule *r, char *err, size_t errlen);

#endif
