/*
 * detect_ioc.c - indicator lists (see detect_ioc.h).
 *
 * Layout (sized for million-entry lists on a Raspberry Pi):
 *
 *   - one string pool (a growing char buffer, 32-bit offsets, offset 0 is
 *     the empty string = "none") holds domain names and descriptions;
 *     descriptions are interned (abuse.ch lists repeat "Dridex C2 port
 *     443" thousands of times);
 *   - addresses and networks: a path-compressed binary trie over 128-bit
 *     keys (IPv4 as ::ffff:a.b.c.d, so IPv4 /n is /96+n). Branch nodes live
 *     in one array and are named by 32-bit indices; entries are the leaves
 *     (a child reference with the top bit set is an entry index), so n
 *     addresses cost n entries (24 bytes) and fewer than n branch nodes
 *     (16 bytes). Longest-prefix match walks down the branch bits and then
 *     verifies the prefixes seen on the way, deepest first. There are three
 *     tries in the one node pool: IPv4 entries of /16 or longer hang below
 *     a 65536-entry table indexed by the address's first 16 bits (256 KiB,
 *     allocated with the first one; it takes 16 cache misses off every
 *     IPv4 lookup), IPv4 networks shorter than /16 are a second trie, and
 *     IPv6 a third, so that an IPv4 lookup never walks IPv6 branches. An
 *     IPv6 network that covers ::ffff:0:0/96 (::/0, say) is in both the
 *     IPv6 trie and the short IPv4 one;
 *   - domains: an open-addressing (linear probing) table of {hash, entry}
 *     over lowercase names; a name is looked up, then each parent domain;
 *   - JA3/JA3S MD5s and certificate SHA1s: binary keys (with a tag for the
 *     kind) in one more open-addressing table.
 *
 * Indicator text: domains keep their (normalised) name; for the binary
 * kinds the text is regenerated from the key in canonical form when an
 * alert is built ("203.0.113.0/24", "2001:db8::/48", 40 lowercase hex), so
 * it costs no memory per entry.
 *
 * Matching never writes to the db; the alert's strings live on the
 * caller's stack for the duration of the callback.
 */
#include "detect_ioc.h"

#include "core/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/homenet.h"

#define MAX_PROBLEMS 100          /* reports per file before summarising */
#define MAX_RECORD (64 * 1024)    /* longest CSV record (joined lines) */
#define MAX_FIELDS 32
#define MAX_LISTS 65535

#define LEAF_BIT 0x80000000u
#define IS_LEAF(r) ((r)&LEAF_BIT)
#define LEAF_IDX(r) ((r) & ~LEAF_BIT)

/* tags of the binary-key table */
enum { TAG_JA3 = 1, TAG_JA3S = 2, TAG_JA3_ANY = 3, TAG_SHA1 = 4 };

struct ip_ent {                   /* 24 bytes */
	uint8_t key[16];          /* host bits zero */
	uint32_t desc;            /* pool offset, 0 none */
	uint16_t list;
	uint8_t plen;             /* 0..128 */
	uint8_t pad;
};

struct tnode {                    /* 16 bytes */
	uint32_t child[2];        /* 0 none, LEAF_BIT|entry, or node index */
	uint32_t rep;             /* an entry of the subtree (its first `bits`
	                             bits are this node's prefix); the node's
	                             own entry when has_entry */
	uint8_t bits;             /* prefix length = the branch bit */
	uint8_t has_entry;
	uint16_t pad;
};

struct dom_ent {
	uint32_t name;            /* pool offset */
	uint32_t desc;
	uint16_t list;
};

struct hash_ent {
	uint8_t key[20];          /* MD5: 16 bytes used */
	uint32_t desc;
	uint16_t list;
	uint8_t tag;
};

struct slot {
	uint32_t hash, val;       /* val 0 = empty */
};

struct stab {
	struct slot *s;
	uint32_t cap, n;          /* cap: power of two or 0 */
};

struct ioc_db {
	char *pool;
	size_t pool_len, pool_cap;
	struct stab descs;        /* val = pool offset */

	char **lists;
	uint32_t n_lists, cap_lists;

	struct ip_ent *ip;
	uint32_t n_ip, cap_ip;
	struct tnode *node;       /* node[0] unused: index 0 = none */
	uint32_t n_node, cap_node;
	uint32_t *v4;             /* [first 16 bits]: trie of IPv4 >= /16 */
	uint32_t root4;           /* trie of IPv4 < /16 (and IPv6 covering it) */
	uint32_t root6;           /* trie of IPv6 */

	struct dom_ent *dom;
	uint32_t n_dom, cap_dom;
	struct stab domains;      /* val = dom index + 1 */

	struct hash_ent *hs;
	uint32_t n_hs, cap_hs;
	uint32_t *htab;           /* hs index + 1, 0 empty */
	uint32_t htab_cap, htab_n;

	struct ioc_counts c;
};

/* ---- small helpers ------------------------------------------------------- */

static uint32_t hash_bytes(const void *p, size_t n, uint32_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ULL ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* An array of elem-sized elements grown to hold need: returns the (maybe
 * moved) array, NULL when out of memory (arr is then unchanged). */
static void *grow(void *arr, uint32_t *cap, uint32_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return arr;
	if (need >= LEAF_BIT)
		return NULL;
	ncap = *cap ? (size_t)*cap + *cap / 2 : 64;
	if (ncap < need)
		ncap = need;
	if (ncap >= LEAF_BIT)
		ncap = LEAF_BIT - 1;
	p = realloc(arr, ncap * elem);
	if (!p)
		return NULL;
	*cap = (uint32_t)ncap;
	return p;
}

#define GROW(arr, cap, need)                                            \
	(grow_tmp = grow((arr), &(cap), (need), sizeof *(arr)),          \
	 grow_tmp ? ((arr) = grow_tmp, 0) : -1)

/* Give back the unused tail of an array (after a file is loaded). */
#define SHRINK(arr, cap, n)                                                        \
	do {                                                                       \
		if ((n) > 0 && (n) < (cap)) {                                      \
			void *p_ = realloc((arr), (size_t)(n) * sizeof *(arr));   \
			if (p_) {                                                  \
				(arr) = p_;                                        \
				(cap) = (n);                                       \
			}                                                          \
		}                                                                  \
	} while (0)

/* hex digit values + 1, 0 for other characters */
static const uint8_t hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

static int ishex(int c)
{
	return hexv[(unsigned char)c] != 0;
}

static int hexval(int c)
{
	return hexv[(unsigned char)c] - 1;
}

/* n hex digits (exactly, then the end of s) into n/2 bytes. */
static int parse_hex(const char *s, size_t n, uint8_t *out)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n; i += 2) {
		int hi = hexv[u[i]], lo;
		if (!hi || !(lo = hexv[u[i + 1]]))
			return -1;
		out[i / 2] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return s[n] == '\0' ? 0 : -1;
}

/* 40 hex digits, or 20 colon-separated pairs. */
static int parse_sha1(const char *s, uint8_t out[20])
{
	if (strlen(s) == 59) {
		for (int i = 0; i < 20; i++) {
			const char *p = s + i * 3;
			if (!ishex((unsigned char)p[0]) || !ishex((unsigned char)p[1]) ||
			    (i < 19 && p[2] != ':'))
				return -1;
			out[i] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
		}
		return 0;
	}
	return parse_hex(s, 40, out);
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* ASCII lowercase in place (names are ASCII; no locale). */
static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static int bit_at(const uint8_t k[16], int i)
{
	return (k[i >> 3] >> (7 - (i & 7))) & 1;
}

static void mask_key(uint8_t k[16], int plen)
{
	for (int i = 0; i < 16; i++) {
		int keep = plen - i * 8;
		if (keep >= 8)
			continue;
		k[i] &= keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));
	}
}

/* 1 if the first plen bits of a and b agree. */
static int prefix_eq(const uint8_t a[16], const uint8_t b[16], int plen)
{
	int full = plen >> 3, rest = plen & 7;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | p[7];
}

/* The first bit (< m) where a and b differ, or m. */
static int first_diff(const uint8_t a[16], const uint8_t b[16], int m)
{
	for (int w = 0; w < 2 && w * 64 < m; w++) {
		uint64_t x = be64(a + 8 * w) ^ be64(b + 8 * w);
		if (x) {
			int d = w * 64 + __builtin_clzll(x);
			return d < m ? d : m;
		}
	}
	return m;
}

static const uint8_t v4_prefix[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int is_v4mapped(const uint8_t k[16])
{
	return memcmp(k, v4_prefix, 12) == 0;
}

/* Canonical text of an address entry: "a.b.c.d", "a.b.c.0/24", "2001:db8::/48". */
static void ip_text(const struct ip_ent *e, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];

	if (e->plen >= 96 && is_v4mapped(e->key)) {
		inet_ntop(AF_INET, e->key + 12, a, sizeof a);
		if (e->plen == 128)
			snprintf(out, outsz, "%s", a);
		else
			snprintf(out, outsz, "%s/%d", a, e->plen - 96);
	} else {
		inet_ntop(AF_INET6, e->key, a, sizeof a);
		if (e->plen == 128)
			snprintf(out, outsz, "%s", a);
		else
			snprintf(out, outsz, "%s/%d", a, e->plen);
	}
}

/* ---- string pool ------------------------------------------------------------ */

/* Append s[0..n) and a NUL; returns its offset, 0 when out of memory. */
static uint32_t pool_add(struct ioc_db *db, const char *s, size_t n)
{
	uint32_t off;

	if (db->pool_len + n + 1 > UINT32_MAX)
		return 0;
	if (db->pool_len + n + 1 > db->pool_cap) {
		size_t ncap = db->pool_cap + db->pool_cap / 2;
		char *p;
		if (ncap < db->pool_len + n + 1)
			ncap = db->pool_len + n + 1;
		if (ncap > UINT32_MAX)
			ncap = UINT32_MAX;
		p = realloc(db->pool, ncap);
		if (!p)
			return 0;
		db->pool = p;
		db->pool_cap = ncap;
	}
	off = (uint32_t)db->pool_len;
	memcpy(db->pool + off, s, n);
	db->pool[off + n] = '\0';
	db->pool_len += n + 1;
	return off;
}

/* ---- string tables (domains, interned descriptions) ------------------------- */

/* The pool string a slot value stands for. */
static const char *stab_str(const struct ioc_db *db, const struct stab *t, uint32_t val)
{
	if (t == &db->domains)
		return db->pool + db->dom[val - 1].name;
	return db->pool + val;
}

/* Find s[0..n) (hash h); returns the slot value, 0 if absent. */
static uint32_t stab_find(const struct ioc_db *db, const struct stab *t, const char *s, size_t n,
			  uint32_t h)
{
	uint32_t mask, i;

	if (!t->cap)
		return 0;
	mask = t->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		const struct slot *sl = &t->s[i];
		if (!sl->val)
			return 0;
		if (sl->hash == h) {
			const char *x = stab_str(db, t, sl->val);
			if (strncmp(x, s, n) == 0 && x[n] == '\0')
				return sl->val;
		}
	}
}

/* Insert (h, val), known to be absent; grows at 3/4 load. */
static int stab_put(struct stab *t, uint32_t h, uint32_t val)
{
	uint32_t mask, i;

	if ((uint64_t)(t->n + 1) * 4 > (uint64_t)t->cap * 3) {
		uint32_t ncap = t->cap ? t->cap * 2 : 1024;
		struct slot *ns;
		if (ncap < t->cap)
			return -1;
		ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return -1;
		for (uint32_t j = 0; j < t->cap; j++) {
			if (!t->s[j].val)
				continue;
			for (i = t->s[j].hash & (ncap - 1); ns[i].val; i = (i + 1) & (ncap - 1))
				;
			ns[i] = t->s[j];
		}
		free(t->s);
		t->s = ns;
		t->cap = ncap;
	}
	mask = t->cap - 1;
	for (i = h & mask; t->s[i].val; i = (i + 1) & mask)
		;
	t->s[i].hash = h;
	t->s[i].val = val;
	t->n++;
	return 0;
}

/* Intern a description; returns its pool offset, 0 for none; sets *oom. */
static uint32_t desc_intern(struct ioc_db *db, const char *s, int *oom)
{
	size_t n;
	uint32_t h, off;

	if (!s || !*s)
		return 0;
	n = strlen(s);
	h = hash_bytes(s, n, 0);
	off = stab_find(db, &db->descs, s, n, h);
	if (off)
		return off;
	off = pool_add(db, s, n);
	if (!off || stab_put(&db->descs, h, off) < 0) {
		*oom = 1;
		return 0;
	}
	return off;
}

/* ---- address trie ------------------------------------------------------------ */

static uint32_t node_new(struct ioc_db *db)
{
	void *grow_tmp;

	if (db->n_node == 0)
		db->n_node = 1; /* index 0 means none */
	if (GROW(db->node, db->cap_node, db->n_node + 1) < 0)
		return 0;
	memset(&db->node[db->n_node], 0, sizeof *db->node);
	return db->n_node++;
}

static void set_ref(struct ioc_db *db, uint32_t *rootp, uint32_t parent, int side, uint32_t ref)
{
	if (parent)
		db->node[parent].child[side] = ref;
	else
		*rootp = ref;
}

/* Insert entry e (already in db->ip) into the trie at *rootp. Returns 1,
 * 0 if an entry with the same prefix exists, -1 out of memory. */
static int trie_insert(struct ioc_db *db, uint32_t *rootp, uint32_t e)
{
	const uint8_t *key = db->ip[e].key;
	int plen = db->ip[e].plen;
	uint32_t leaf = LEAF_BIT | e, parent = 0, r = *rootp, n;
	int side = 0;

	if (!r) {
		*rootp = leaf;
		return 1;
	}
	for (;;) {
		const uint8_t *rk;
		int rl, m, d;

		if (IS_LEAF(r)) {
			rk = db->ip[LEAF_IDX(r)].key;
			rl = db->ip[LEAF_IDX(r)].plen;
		} else {
			rk = db->ip[db->node[r].rep].key;
			rl = db->node[r].bits;
		}
		m = plen < rl ? plen : rl;
		d = first_diff(key, rk, m);
		if (d < m) {
			/* the two part before either ends: a new branch at d */
			int b = bit_at(key, d);
			if (!(n = node_new(db)))
				return -1;
			db->node[n].bits = (uint8_t)d;
			db->node[n].rep = e;
			db->node[n].child[b] = leaf;
			db->node[n].child[!b] = r;
			set_ref(db, rootp, parent, side, n);
			return 1;
		}
		if (plen == rl) {
			if (IS_LEAF(r) || db->node[r].has_entry)
				return 0;
			db->node[r].has_entry = 1;
			db->node[r].rep = e;
			return 1;
		}
		if (plen < rl) {
			/* the new entry is a shorter prefix of r: it goes above */
			int b = bit_at(rk, plen);
			if (!(n = node_new(db)))
				return -1;
			db->node[n].bits = (uint8_t)plen;
			db->node[n].has_entry = 1;
			db->node[n].rep = e;
			db->node[n].child[b] = r;
			set_ref(db, rootp, parent, side, n);
			return 1;
		}
		/* r's prefix is a shorter prefix of the new entry */
		if (IS_LEAF(r)) {
			int b = bit_at(key, rl);
			if (!(n = node_new(db)))
				return -1;
			db->node[n].bits = (uint8_t)rl;
			db->node[n].has_entry = 1;
			db->node[n].rep = LEAF_IDX(r);
			db->node[n].child[b] = leaf;
			set_ref(db, rootp, parent, side, n);
			return 1;
		}
		side = bit_at(key, rl);
		if (!db->node[r].child[side]) {
			db->node[r].child[side] = leaf;
			return 1;
		}
		parent = r;
		r = db->node[r].child[side];
	}
}

/* Longest-prefix match in the trie r; returns the entry index + 1, 0 if
 * none. */
static uint32_t trie_lookup(const struct ioc_db *db, uint32_t r, const uint8_t q[16])
{
	uint32_t cand[130];
	int nc = 0;

	while (r) {
		const struct tnode *n;
		if (IS_LEAF(r)) {
			cand[nc++] = LEAF_IDX(r);
			break;
		}
		n = &db->node[r];
		if (n->has_entry)
			cand[nc++] = n->rep;
		if (n->bits >= 128)
			break;
		r = n->child[bit_at(q, n->bits)];
	}
	while (nc-- > 0) {
		const struct ip_ent *e = &db->ip[cand[nc]];
		if (prefix_eq(q, e->key, e->plen))
			return cand[nc] + 1;
	}
	return 0;
}

/* ---- adding entries ------------------------------------------------------------ */

static int add_ip(struct ioc_db *db, const uint8_t key[16], int plen, uint16_t list, uint32_t desc)
{
	struct ip_ent *e;
	void *grow_tmp;
	int rc;

	if (GROW(db->ip, db->cap_ip, db->n_ip + 1) < 0)
		return -1;
	e = &db->ip[db->n_ip];
	memcpy(e->key, key, 16);
	mask_key(e->key, plen);
	e->plen = (uint8_t)plen;
	e->pad = 0;
	e->list = list;
	e->desc = desc;
	if (plen >= 112 && is_v4mapped(e->key)) {
		if (!db->v4 && !(db->v4 = calloc(65536, sizeof *db->v4)))
			return -1;
		rc = trie_insert(db, &db->v4[e->key[12] << 8 | e->key[13]], db->n_ip);
	} else if (plen >= 96 && is_v4mapped(e->key)) {
		rc = trie_insert(db, &db->root4, db->n_ip);
	} else {
		rc = trie_insert(db, &db->root6, db->n_ip);
	}
	if (rc == 0) {
		db->c.duplicates++;
		return 0;
	}
	if (rc < 0)
		return -1;
	db->n_ip++;
	if (plen == 128)
		db->c.ip++;
	else
		db->c.cidr++;
	if (plen < 96 && prefix_eq(e->key, v4_prefix, plen)) /* also covers IPv4 */
		if (trie_insert(db, &db->root4, db->n_ip - 1) < 0)
			return -1;
	return 1;
}

/* name: normalised (see norm_domain) */
static int add_domain(struct ioc_db *db, const char *name, uint16_t list, uint32_t desc)
{
	size_t n = strlen(name);
	uint32_t h = hash_bytes(name, n, 0), off;
	void *grow_tmp;

	if (stab_find(db, &db->domains, name, n, h)) {
		db->c.duplicates++;
		return 0;
	}
	if (GROW(db->dom, db->cap_dom, db->n_dom + 1) < 0)
		return -1;
	if (!(off = pool_add(db, name, n)))
		return -1;
	db->dom[db->n_dom].name = off;
	db->dom[db->n_dom].desc = desc;
	db->dom[db->n_dom].list = list;
	if (stab_put(&db->domains, h, db->n_dom + 1) < 0)
		return -1;
	db->n_dom++;
	db->c.domain++;
	return 1;
}

static size_t tag_len(int tag)
{
	return tag == TAG_SHA1 ? 20 : 16;
}

static uint32_t hkey_hash(int tag, const uint8_t *key)
{
	return hash_bytes(key, tag_len(tag), (uint32_t)tag);
}

/* Returns the hs index + 1, 0 if absent. */
static uint32_t hash_find(const struct ioc_db *db, int tag, const uint8_t *key)
{
	uint32_t mask, i;

	if (!db->htab_cap)
		return 0;
	mask = db->htab_cap - 1;
	for (i = hkey_hash(tag, key) & mask;; i = (i + 1) & mask) {
		uint32_t v = db->htab[i];
		if (!v)
			return 0;
		if (db->hs[v - 1].tag == tag && memcmp(db->hs[v - 1].key, key, tag_len(tag)) == 0)
			return v;
	}
}

static int hash_put(struct ioc_db *db, uint32_t idx)
{
	uint32_t mask, i;

	if ((uint64_t)(db->htab_n + 1) * 4 > (uint64_t)db->htab_cap * 3) {
		uint32_t ncap = db->htab_cap ? db->htab_cap * 2 : 256;
		uint32_t *nt = calloc(ncap, sizeof *nt);
		if (!nt || ncap < db->htab_cap) {
			free(nt);
			return -1;
		}
		for (uint32_t j = 0; j < db->htab_cap; j++) {
			uint32_t v = db->htab[j];
			if (!v)
				continue;
			for (i = hkey_hash(db->hs[v - 1].tag, db->hs[v - 1].key) & (ncap - 1); nt[i];
			     i = (i + 1) & (ncap - 1))
				;
			nt[i] = v;
		}
		free(db->htab);
		db->htab = nt;
		db->htab_cap = ncap;
	}
	mask = db->htab_cap - 1;
	for (i = hkey_hash(db->hs[idx].tag, db->hs[idx].key) & mask; db->htab[i]; i = (i + 1) & mask)
		;
	db->htab[i] = idx + 1;
	db->htab_n++;
	return 0;
}

static int add_hash(struct ioc_db *db, int tag, const uint8_t *key, uint16_t list, uint32_t desc)
{
	struct hash_ent *e;
	void *grow_tmp;

	if (hash_find(db, tag, key)) {
		db->c.duplicates++;
		return 0;
	}
	if (GROW(db->hs, db->cap_hs, db->n_hs + 1) < 0)
		return -1;
	e = &db->hs[db->n_hs];
	memset(e, 0, sizeof *e);
	memcpy(e->key, key, tag_len(tag));
	e->tag = (uint8_t)tag;
	e->list = list;
	e->desc = desc;
	if (hash_put(db, db->n_hs) < 0)
		return -1;
	db->n_hs++;
	if (tag == TAG_SHA1)
		db->c.cert_sha1++;
	else if (tag == TAG_JA3S)
		db->c.ja3s++;
	else
		db->c.ja3++;
	return 1;
}

/* ---- parsing indicators ------------------------------------------------------- */

/* Normalise a domain name into out: lowercase, without a trailing dot or a
 * leading "*." / "."; letters, digits, '-', '_', dots; at least two
 * labels, none empty or longer than 63, the last one not all digits.
 * Returns 0, -1 if s is not a domain name. */
static int norm_domain(const char *s, char *out, size_t outsz)
{
	size_t n, lab = 0;
	int digits_only = 1, dots = 0;

	if (s[0] == '*' && s[1] == '.')
		s += 2;
	else if (s[0] == '.')
		s++;
	n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= outsz)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0)
				return -1;
			dots++;
			lab = 0;
			digits_only = 1;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++lab > 63)
				return -1;
			if (!(c >= '0' && c <= '9'))
				digits_only = 0;
		} else {
			return -1;
		}
		out[i] = (char)c;
	}
	out[n] = '\0';
	if (lab == 0 || dots == 0 || digits_only)
		return -1;
	return 0;
}

/* The host of a URL ("http://user@host:port/path", "host/path",
 * "[2001:db8::1]:8080/x") into out, without brackets. 0 ok, -1 none. */
static int url_host(const char *s, char *out, size_t outsz)
{
	const char *p = strstr(s, "://"), *e, *at;
	size_t n;

	if (p)
		s = p + 3;
	e = s + strcspn(s, "/?#\\");
	at = memchr(s, '@', (size_t)(e - s));
	if (at)
		s = at + 1;
	if (*s == '[') {
		const char *rb = memchr(s, ']', (size_t)(e - s));
		if (!rb)
			return -1;
		s++;
		e = rb;
	} else {
		const char *colon = memchr(s, ':', (size_t)(e - s));
		if (colon)
			e = colon;
	}
	n = (size_t)(e - s);
	if (n == 0 || n >= outsz)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* "a.b.c.d", "a.b.c.d/n", "v6", "v6/n". Returns 0 and sets key (not yet
 * masked), *plen (0..128) and *hostbits; -1 if not an address. */
static int parse_cidr(const char *s, uint8_t key[16], int *plen, int *hostbits)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int v4, bits;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ip_parse16(buf, key) < 0)
		return -1;
	v4 = strchr(buf, ':') == NULL;
	bits = v4 ? 32 : 128;
	if (slash) {
		const char *d = slash + 1;
		int b = 0;
		if (!*d || strlen(d) > 3)
			return -1;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -1;
			b = b * 10 + (*d - '0');
		}
		if (b > bits)
			return -1;
		bits = b;
	}
	if (v4)
		bits += 96;
	*plen = bits;
	{
		uint8_t m[16];
		memcpy(m, key, 16);
		mask_key(m, bits);
		*hostbits = memcmp(m, key, 16) != 0;
	}
	return 0;
}

/* ---- loading -------------------------------------------------------------------- */

enum fmt { F_UNKNOWN = 0, F_PLAIN, F_FEODO, F_SSLBL_JA3, F_SSLBL_CERT, F_URLHAUS, F_MISP };

struct cols {
	int ip, port, malware;          /* Feodo */
	int md5, sha1, reason;          /* SSLBL */
	int url, threat, tags;          /* URLhaus */
	int type, value, comment;       /* MISP */
};

struct loader {
	struct ioc_db *db;
	const char *path;
	rule_problem_fn problem;
	void *ctx;
	uint16_t list;
	int line;
	long loaded;
	long problems;
	int oom;
	struct cols c;
};

__attribute__((format(printf, 3, 4)))
static void lprob(struct loader *L, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (++L->problems > MAX_PROBLEMS || !L->problem)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	L->problem(L->ctx, L->path, line, msg);
}

/* Count the result of an add_*(). */
static void added(struct loader *L, int rc)
{
	if (rc > 0)
		L->loaded++;
	else if (rc < 0)
		L->oom = 1;
}

static uint32_t ldesc(struct loader *L, const char *s)
{
	return desc_intern(L->db, s, &L->oom);
}

/* An address or network; reports host bits. Returns 0, -1 if not one. */
static int load_cidr(struct loader *L, const char *s, const char *desc)
{
	uint8_t key[16];
	int plen, hostbits;

	if (parse_cidr(s, key, &plen, &hostbits) < 0)
		return -1;
	if (hostbits)
		lprob(L, L->line, "host bits set in %s", s);
	added(L, add_ip(L->db, key, plen, L->list, ldesc(L, desc)));
	return 0;
}

/* Could s be an address or a network (only hex digits, ':', '.', '/',
 * and a colon or a digit before the '/' or the end)? A quick test that
 * keeps inet_pton() away from domain names. */
static int ip_like(const char *s)
{
	const char *p = s;
	int colon = 0;

	for (; *p && *p != '/'; p++) {
		if (*p == ':')
			colon = 1;
		else if (!ishex(*p) && *p != '.')
			return 0;
	}
	return colon || (p > s && p[-1] >= '0' && p[-1] <= '9');
}

/* A host name or an IP literal (a URL's host). Returns 0, -1 if neither. */
static int load_host(struct loader *L, const char *host, const char *desc)
{
	char name[256];
	uint8_t key[16];

	if (ip_like(host) && ip_parse16(host, key) == 0) {
		added(L, add_ip(L->db, key, 128, L->list, ldesc(L, desc)));
		return 0;
	}
	if (norm_domain(host, name, sizeof name) < 0)
		return -1;
	added(L, add_domain(L->db, name, L->list, ldesc(L, desc)));
	return 0;
}

static int load_url(struct loader *L, const char *url, const char *desc)
{
	char host[256];

	if (url_host(url, host, sizeof host) < 0)
		return -1;
	return load_host(L, host, desc);
}

static int load_md5(struct loader *L, int tag, const char *s, const char *desc)
{
	uint8_t key[16];

	if (parse_hex(s, 32, key) < 0)
		return -1;
	added(L, add_hash(L->db, tag, key, L->list, ldesc(L, desc)));
	return 0;
}

static int load_sha1(struct loader *L, const char *s, const char *desc)
{
	uint8_t key[20];

	if (parse_sha1(s, key) < 0)
		return -1;
	added(L, add_hash(L->db, TAG_SHA1, key, L->list, ldesc(L, desc)));
	return 0;
}

/* One line of a plain list (trimmed, not blank, not a comment). */
static void plain_line(struct loader *L, char *p)
{
	char *desc = NULL, *c, ind[512];
	size_t n;
	int rc;

	/* " # comment" after the indicator, ",description" */
	for (c = p; (c = strchr(c, '#')); c++)
		if (c > p && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	if ((c = strchr(p, ','))) {
		*c = '\0';
		desc = trim(c + 1);
		if (!*desc)
			desc = NULL;
	}
	p = trim(p);
	if (strlen(p) >= sizeof ind) {
		lprob(L, L->line, "not an indicator: '%.60s...'", p);
		return;
	}
	strcpy(ind, p);
	lower(ind);
	n = strlen(ind);

	if (!strncmp(ind, "ja3s:", 5))
		rc = load_md5(L, TAG_JA3S, trim(ind + 5), desc);
	else if (!strncmp(ind, "ja3:", 4))
		rc = load_md5(L, TAG_JA3, trim(ind + 4), desc);
	else if (!strncmp(ind, "sha1:", 5))
		rc = load_sha1(L, trim(ind + 5), desc);
	else if (!strncmp(ind, "url:", 4))
		rc = load_url(L, trim(ind + 4), desc);
	else if (strstr(ind, "://"))
		rc = load_url(L, ind, desc);
	else if (strchr(ind, '/'))
		rc = load_cidr(L, ind, desc);
	else if (ip_like(ind) && load_cidr(L, ind, desc) == 0)
		rc = 0;
	else if (n == 32 && load_md5(L, TAG_JA3_ANY, ind, desc) == 0)
		rc = 0;
	else if ((n == 40 || n == 59) && load_sha1(L, ind, desc) == 0)
		rc = 0;
	else
		rc = load_host(L, ind, desc);
	if (rc < 0)
		lprob(L, L->line, "not an indicator: '%.200s'", p);
}

/* Split a CSV record in place: commas, "quoted" fields with "" for a
 * quote. Returns the number of fields (only the first max are stored). */
static int csv_split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		char *start = s, *out = s, next;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '"') {
			out = start;
			s++;
			for (;;) {
				if (*s == '"') {
					if (s[1] == '"') {
						*out++ = '"';
						s += 2;
						continue;
					}
					s++;
					break;
				}
				if (!*s)
					break;
				*out++ = *s++;
			}
			while (*s && *s != ',') /* junk after the closing quote */
				*out++ = *s++;
		} else {
			s = start;
			while (*s && *s != ',')
				s++;
			out = s;
		}
		next = *s;
		*out = '\0';
		if (n < max)
			f[n] = start;
		n++;
		if (next != ',')
			return n;
		s++;
	}
}

static int col_of(char **f, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(f[i], name) == 0)
			return i;
	return -1;
}

/* Is text (a line, or a comment's text) the header of a known CSV
 * format? Fills L->c. */
static enum fmt detect_header(struct loader *L, const char *text)
{
	char buf[1024], *f[MAX_FIELDS];
	int n;
	struct cols *c = &L->c;

	if (strlen(text) >= sizeof buf || !strchr(text, ','))
		return F_UNKNOWN;
	strcpy(buf, text);
	lower(buf);
	n = csv_split(buf, f, MAX_FIELDS);
	if (n > MAX_FIELDS)
		n = MAX_FIELDS;
	if (n < 3)
		return F_UNKNOWN;
	for (int i = 0; i < n; i++)
		f[i] = trim(f[i]);
	memset(c, -1, sizeof *c);
	if ((c->ip = col_of(f, n, "dst_ip")) >= 0 || (c->ip = col_of(f, n, "dstip")) >= 0) {
		c->port = col_of(f, n, "dst_port");
		if (c->port < 0)
			c->port = col_of(f, n, "dstport");
		c->malware = col_of(f, n, "malware");
		return F_FEODO;
	}
	if ((c->md5 = col_of(f, n, "ja3_md5")) >= 0) {
		c->reason = col_of(f, n, "listingreason");
		return F_SSLBL_JA3;
	}
	if ((c->sha1 = col_of(f, n, "sha1")) >= 0 && (c->reason = col_of(f, n, "listingreason")) >= 0)
		return F_SSLBL_CERT;
	if ((c->url = col_of(f, n, "url")) >= 0 &&
	    (col_of(f, n, "urlhaus_link") >= 0 || col_of(f, n, "url_status") >= 0)) {
		c->threat = col_of(f, n, "threat");
		c->tags = col_of(f, n, "tags");
		return F_URLHAUS;
	}
	if ((c->type = col_of(f, n, "type")) >= 0 && (c->value = col_of(f, n, "value")) >= 0) {
		c->comment = col_of(f, n, "comment");
		return F_MISP;
	}
	return F_UNKNOWN;
}

/* Field i of a row, trimmed; "" when the column is missing. */
static const char *fld(char **f, int n, int i)
{
	if (i < 0 || i >= n)
		return "";
	return trim(f[i]);
}

static void misp_row(struct loader *L, char **f, int n)
{
	char type[64], value[1024];
	const char *t = fld(f, n, L->c.type), *v = fld(f, n, L->c.value);
	const char *comment = fld(f, n, L->c.comment);
	char *bar;
	int rc;

	snprintf(type, sizeof type, "%s", t);
	lower(type);
	if (strlen(v) >= sizeof value) {
		lprob(L, L->line, "%s value too long", type);
		return;
	}
	strcpy(value, v);
	if ((bar = strchr(type, '|'))) { /* ip-dst|port, domain|ip: the first part */
		*bar = '\0';
		if ((bar = strchr(value, '|')))
			*bar = '\0';
	}
	if (!*comment)
		comment = NULL;
	if (!strcmp(type, "ip-src") || !strcmp(type, "ip-dst"))
		rc = load_cidr(L, trim(value), comment);
	else if (!strcmp(type, "domain") || !strcmp(type, "hostname"))
		rc = load_host(L, trim(value), comment);
	else if (!strcmp(type, "ja3-fingerprint-md5"))
		rc = load_md5(L, TAG_JA3, trim(value), comment);
	else if (!strcmp(type, "ja3s-fingerprint-md5"))
		rc = load_md5(L, TAG_JA3S, trim(value), comment);
	else if (!strcmp(type, "x509-fingerprint-sha1"))
		rc = load_sha1(L, trim(value), comment);
	else if (!strcmp(type, "url"))
		rc = load_url(L, trim(value), comment);
	else {
		L->db->c.skipped++;
		return;
	}
	if (rc < 0)
		lprob(L, L->line, "not a valid %s: '%.200s'", type, value);
}

/* One data record of a CSV format. */
static void csv_row(struct loader *L, enum fmt fmt, char *rec)
{
	char *f[MAX_FIELDS], desc[512];
	int n = csv_split(rec, f, MAX_FIELDS), need, rc = 0;
	const char *what = "", *v = "";

	if (n > MAX_FIELDS)
		n = MAX_FIELDS;
	switch (fmt) {
	case F_FEODO: need = L->c.ip; break;
	case F_SSLBL_JA3: need = L->c.md5; break;
	case F_SSLBL_CERT: need = L->c.sha1; break;
	case F_URLHAUS: need = L->c.url; break;
	default: need = L->c.value > L->c.type ? L->c.value : L->c.type; break;
	}
	if (need >= n) {
		lprob(L, L->line, "expected at least %d columns, found %d", need + 1, n);
		return;
	}
	switch (fmt) {
	case F_FEODO: {
		const char *mw = fld(f, n, L->c.malware), *port = fld(f, n, L->c.port);
		what = "IP address";
		v = fld(f, n, L->c.ip);
		if (*port)
			snprintf(desc, sizeof desc, "%s%sC2 port %s", mw, *mw ? " " : "", port);
		else
			snprintf(desc, sizeof desc, "%s%sC2", mw, *mw ? " " : "");
		rc = load_cidr(L, v, desc);
		break;
	}
	case F_SSLBL_JA3:
		what = "JA3 MD5";
		v = fld(f, n, L->c.md5);
		rc = load_md5(L, TAG_JA3, v, fld(f, n, L->c.reason));
		break;
	case F_SSLBL_CERT:
		what = "SHA1";
		v = fld(f, n, L->c.sha1);
		rc = load_sha1(L, v, fld(f, n, L->c.reason));
		break;
	case F_URLHAUS: {
		const char *threat = fld(f, n, L->c.threat), *tags = fld(f, n, L->c.tags);
		what = "URL";
		v = fld(f, n, L->c.url);
		if (*tags && strcmp(tags, "None") != 0)
			snprintf(desc, sizeof desc, "%s (%s)", threat, tags);
		else
			snprintf(desc, sizeof desc, "%s", threat);
		rc = load_url(L, v, desc);
		break;
	}
	default:
		misp_row(L, f, n);
		return;
	}
	if (rc < 0)
		lprob(L, L->line, "not a valid %s: '%.200s'", what, v);
}

static int odd_quotes(const char *s)
{
	int q = 0;

	for (; *s; s++)
		q ^= *s == '"';
	return q;
}

/* The records of one list, line by line (conf.h: lines of at most
 * CONF_LINE_RULES bytes; a quoted CSV field may span lines, a record at
 * most MAX_RECORD bytes). */
static void load_stream(struct loader *L, struct conf_lines *lr)
{
	char *line, *rec = NULL;
	size_t rcap = 0;
	ssize_t n;
	enum fmt fmt = F_UNKNOWN;

	while (!L->oom && (n = conf_lines_next(lr, &line)) >= 0) {
		char *p;
		int start;

		L->line = lr->line;
		p = trim(line);
		if (*p == '#') {
			if (fmt == F_UNKNOWN) {
				char *t = p + 1;
				while (*t == '#' || *t == ' ' || *t == '\t')
					t++;
				fmt = detect_header(L, t);
			}
			continue;
		}
		if (!*p)
			continue;
		if (fmt == F_UNKNOWN) {
			fmt = detect_header(L, p);
			if (fmt != F_UNKNOWN)
				continue; /* the header row */
			fmt = F_PLAIN;
		}
		if (fmt == F_PLAIN) {
			plain_line(L, p);
			continue;
		}
		/* a quoted field may span lines */
		start = L->line;
		if (odd_quotes(p)) {
			size_t len = strlen(p);
			int open = 1;
			char *nr;
			if (!(nr = realloc(rec, len + 1))) {
				L->oom = 1;
				break;
			}
			rec = nr;
			rcap = len + 1;
			memcpy(rec, p, len + 1);
			while (open && len < MAX_RECORD && (n = conf_lines_next(lr, &line)) >= 0) {
				L->line = lr->line;
				if (len + 1 + (size_t)n + 1 > rcap) {
					rcap = (len + 1 + (size_t)n + 1) * 2;
					if (!(nr = realloc(rec, rcap))) {
						L->oom = 1;
						break;
					}
					rec = nr;
				}
				rec[len++] = '\n';
				memcpy(rec + len, line, (size_t)n + 1);
				len += (size_t)n;
				open ^= odd_quotes(line);
			}
			if (L->oom)
				break;
			p = rec;
		}
		{
			int save = L->line;
			L->line = start;
			csv_row(L, fmt, p);
			L->line = save;
		}
	}
	free(rec);
}

/* FNV-1a of the list's file name: stable across sensors and runs. */
uint32_t ioc_list_sid(const char *list, int kind)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)list; *p; p++)
		h = (h ^ *p) * 16777619u;
	return (uint32_t)kind * 1000000u + h % 1000000u;
}

/* The list's index; -1 out of memory or too many lists, -2 with *other
 * set when its name gives another list's sid. */
static int list_index(struct ioc_db *db, const char *name, const char **other)
{
	void *grow_tmp;

	for (uint32_t i = 0; i < db->n_lists; i++)
		if (strcmp(db->lists[i], name) == 0)
			return (int)i;
	for (uint32_t i = 0; i < db->n_lists; i++)
		if (ioc_list_sid(db->lists[i], 1) == ioc_list_sid(name, 1)) {
			*other = db->lists[i];
			return -2;
		}
	if (db->n_lists >= MAX_LISTS)
		return -1;
	if (GROW(db->lists, db->cap_lists, db->n_lists + 1) < 0)
		return -1;
	if (!(db->lists[db->n_lists] = strdup(name)))
		return -1;
	return (int)db->n_lists++;
}

/* A problem about the whole file (line 0). */
__attribute__((format(printf, 4, 5)))
static void file_problem(rule_problem_fn problem, void *ctx, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!problem)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	problem(ctx, path, 0, msg);
}

/* conf_problem_fn: the line reader's problems count (and are capped)
 * like the loader's own. */
static void reader_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct loader *L = ctx;

	(void)file;
	lprob(L, line, "%s", msg);
}

long ioc_load_file(struct ioc_db *db, const char *path, rule_problem_fn problem, void *ctx)
{
	struct loader L;
	struct conf_lines lr;
	const char *base = strrchr(path, '/');
	int li;

	memset(&L, 0, sizeof L);
	L.db = db;
	L.path = path;
	L.problem = problem;
	L.ctx = ctx;
	if (conf_lines_open(&lr, path, CONF_MAX_LIST, CONF_LINE_RULES, reader_problem, &L) < 0)
		return -1; /* errno: why */
	const char *other = NULL;
	li = list_index(db, base ? base + 1 : path, &other);
	if (li == -2) {
		conf_lines_close(&lr);
		file_problem(problem, ctx, path, "its alerts would get the sids of list '%s' "
			     "(sid %u for ip indicators); rename one of the two files",
			     other, ioc_list_sid(other, 1));
		errno = EEXIST;
		return -1;
	}
	if (li < 0) {
		conf_lines_close(&lr);
		file_problem(problem, ctx, path, "%s", db->n_lists >= MAX_LISTS ? "too many lists" : "out of memory");
		errno = ENOMEM;
		return -1;
	}
	L.list = (uint16_t)li;
	load_stream(&L, &lr);
	conf_lines_close(&lr);
	if (L.problems > MAX_PROBLEMS)
		file_problem(problem, ctx, path, "%ld more problems not shown", L.problems - MAX_PROBLEMS);
	if (L.oom) {
		file_problem(problem, ctx, path, "out of memory at line %d", L.line);
		errno = ENOMEM;
		return -1;
	}
	SHRINK(db->ip, db->cap_ip, db->n_ip);
	SHRINK(db->node, db->cap_node, db->n_node);
	SHRINK(db->dom, db->cap_dom, db->n_dom);
	SHRINK(db->hs, db->cap_hs, db->n_hs);
	if (db->pool_len < db->pool_cap) {
		char *p = realloc(db->pool, db->pool_len);
		if (p) {
			db->pool = p;
			db->pool_cap = db->pool_len;
		}
	}
	return L.loaded;
}

/* ---- db ------------------------------------------------------------------------- */

struct ioc_db *ioc_db_new(void)
{
	struct ioc_db *db = calloc(1, sizeof *db);

	if (!db)
		return NULL;
	db->pool = malloc(4096);
	if (!db->pool) {
		free(db);
		return NULL;
	}
	db->pool_cap = 4096;
	db->pool[0] = '\0'; /* offset 0: none */
	db->pool_len = 1;
	return db;
}

void ioc_db_free(struct ioc_db *db)
{
	if (!db)
		return;
	for (uint32_t i = 0; i < db->n_lists; i++)
		free(db->lists[i]);
	free(db->lists);
	free(db->pool);
	free(db->descs.s);
	free(db->ip);
	free(db->node);
	free(db->v4);
	free(db->dom);
	free(db->domains.s);
	free(db->hs);
	free(db->htab);
	free(db);
}

void ioc_get_counts(const struct ioc_db *db, struct ioc_counts *out)
{
	size_t b = sizeof *db;

	*out = db->c;
	b += db->pool_cap;
	b += (size_t)db->descs.cap * sizeof(struct slot);
	b += (size_t)db->cap_lists * sizeof(char *);
	for (uint32_t i = 0; i < db->n_lists; i++)
		b += strlen(db->lists[i]) + 1;
	b += (size_t)db->cap_ip * sizeof *db->ip;
	b += (size_t)db->cap_node * sizeof *db->node;
	if (db->v4)
		b += 65536 * sizeof *db->v4;
	b += (size_t)db->cap_dom * sizeof *db->dom;
	b += (size_t)db->domains.cap * sizeof(struct slot);
	b += (size_t)db->cap_hs * sizeof *db->hs;
	b += (size_t)db->htab_cap * sizeof *db->htab;
	out->bytes = b;
}

/* ---- matching ------------------------------------------------------------------- */

struct mctx {
	const struct ioc_db *db;
	const struct flow_record *rec;
	uint64_t now_us;
	int filled;               /* a's flow fields are set (at the first hit) */
	struct alert a;
	alert_fn cb;
	void *ctx;
	uint64_t seen[16];        /* (table << 32 | entry) already alerted */
	int n_seen, hits;
};

enum { TB_IP = 1, TB_DOM, TB_HASH };

static const char *const kind_names[] = { "", "ip", "domain", "ja3", "ja3s", "cert_sha1" };

int ioc_kind_of(const char *name)
{
	for (int k = IOC_IP; name && k <= IOC_CERT_SHA1; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return 0;
}

void ioc_signature(char *out, size_t outlen, int kind, const char *list)
{
	static const char *const kind_text[] = {
		"", "ip address", "domain", "JA3 fingerprint", "JA3S fingerprint",
		"certificate SHA1",
	};

	snprintf(out, outlen, "vigil IOC: %s on list %s",
		 kind >= IOC_IP && kind <= IOC_CERT_SHA1 ? kind_text[kind] : "indicator", list);
}

/* The fields every IOC alert of the flow shares. */
static void fill_alert(struct alert *a, const struct flow_record *rec, uint64_t now_us)
{
	memset(a, 0, sizeof *a);
	a->ts_us = now_us;
	a->engine = ALERT_IOC;
	a->gid = GID_IOC;
	a->rev = 1;
	a->classtype = NULL;
	a->category = "Indicator of compromise";
	a->severity = 2;
	a->proto = rec->proto;
	memcpy(a->src_ip, rec->src_ip, sizeof a->src_ip);
	a->src_ip[sizeof a->src_ip - 1] = '\0';
	memcpy(a->dest_ip, rec->dest_ip, sizeof a->dest_ip);
	a->dest_ip[sizeof a->dest_ip - 1] = '\0';
	a->src_port = rec->src_port;
	a->dest_port = rec->dest_port;
	a->has_ports = rec->proto == 6 || rec->proto == 17 || rec->proto == 132;
	a->app_proto = rec->app_proto;
	a->flow_ids[0] = rec->flow_id;
	a->n_flow_ids = 1;
	a->flow = rec;
}

static void emit(struct mctx *m, int kind, int table, uint32_t idx)
{
	const struct ioc_db *db = m->db;
	uint64_t key = (uint64_t)table << 32 | idx;
	char text[64], sig[640];
	const char *ind;
	uint32_t desc;
	uint16_t list;

	for (int i = 0; i < m->n_seen; i++)
		if (m->seen[i] == key)
			return;
	if (m->n_seen < (int)(sizeof m->seen / sizeof m->seen[0]))
		m->seen[m->n_seen++] = key;
	if (!m->filled) {
		fill_alert(&m->a, m->rec, m->now_us);
		m->filled = 1;
	}
	if (table == TB_IP) {
		ip_text(&db->ip[idx], text, sizeof text);
		ind = text;
		desc = db->ip[idx].desc;
		list = db->ip[idx].list;
	} else if (table == TB_DOM) {
		ind = db->pool + db->dom[idx].name;
		desc = db->dom[idx].desc;
		list = db->dom[idx].list;
	} else {
		to_hex(db->hs[idx].key, tag_len(db->hs[idx].tag), text);
		ind = text;
		desc = db->hs[idx].desc;
		list = db->hs[idx].list;
	}
	ioc_signature(sig, sizeof sig, kind, db->lists[list]);
	m->a.sid = ioc_list_sid(db->lists[list], kind);
	m->a.signature = sig;
	m->a.ioc_kind = kind_names[kind];
	m->a.ioc_indicator = ind;
	m->a.ioc_list = db->lists[list];
	m->a.ioc_description = desc ? db->pool + desc : NULL;
	/* the variable parts, where every consumer shows a rule's metadata */
	m->a.n_meta = 0;
	m->a.meta[m->a.n_meta++] = (struct alert_kv){ "indicator", ind };
	m->a.meta[m->a.n_meta++] = (struct alert_kv){ "indicator_kind", kind_names[kind] };
	m->a.meta[m->a.n_meta++] = (struct alert_kv){ "indicator_list", db->lists[list] };
	if (m->a.ioc_description)
		m->a.meta[m->a.n_meta++] = (struct alert_kv){ "indicator_description",
							      m->a.ioc_description };
	m->hits++;
	if (m->cb)
		m->cb(m->ctx, &m->a);
}

static void match_addr(struct mctx *m, const uint8_t addr[16])
{
	const struct ioc_db *db = m->db;
	uint32_t v = 0;

	if (is_v4mapped(addr)) {
		if (db->v4)
			v = trie_lookup(db, db->v4[addr[12] << 8 | addr[13]], addr);
		if (!v)
			v = trie_lookup(db, db->root4, addr);
	} else {
		v = trie_lookup(db, db->root6, addr);
	}
	if (v)
		emit(m, IOC_IP, TB_IP, v - 1);
}

/* A DNS query, SNI or HTTP host: an IP literal, or the name and its
 * parent domains (the most specific listed one alerts). */
static void match_name(struct mctx *m, const char *name)
{
	char buf[256], *h = buf;
	size_t n;
	uint8_t addr[16];
	char *colon;

	if (!name || !*name || (n = strlen(name)) >= sizeof buf)
		return;
	memcpy(buf, name, n + 1);
	lower(buf);
	if (buf[0] == '[') { /* [v6]:port */
		char *rb = strchr(buf, ']');
		if (!rb)
			return;
		*rb = '\0';
		h = buf + 1;
	} else if ((colon = strchr(buf, ':')) && !strchr(colon + 1, ':')) {
		*colon = '\0'; /* host:port */
	}
	n = strlen(h);
	while (n && h[n - 1] == '.')
		h[--n] = '\0';
	if (!n)
		return;
	/* an IP literal ends in a digit or has a colon; a listed domain's
	 * last label is never all digits */
	if (((h[n - 1] >= '0' && h[n - 1] <= '9') || strchr(h, ':')) && ip_parse16(h, addr) == 0) {
		if (m->db->n_ip)
			match_addr(m, addr);
		return;
	}
	if (!m->db->n_dom)
		return;
	for (const char *s = h; s;) {
		const char *dot = strchr(s, '.');
		size_t len;
		uint32_t v;
		if (!dot)
			break; /* listed names have at least two labels */
		len = strlen(s);
		v = stab_find(m->db, &m->db->domains, s, len, hash_bytes(s, len, 0));
		if (v) {
			emit(m, IOC_DOMAIN, TB_DOM, v - 1);
			return;
		}
		s = dot + 1;
	}
}

static void match_md5(struct mctx *m, const char *hex, int tag, int kind)
{
	uint8_t key[16];
	uint32_t v;

	if (!hex || parse_hex(hex, 32, key) < 0)
		return;
	if ((v = hash_find(m->db, tag, key)) || (v = hash_find(m->db, TAG_JA3_ANY, key)))
		emit(m, kind, TB_HASH, v - 1);
}

int ioc_match_flow(const struct ioc_db *db, const struct flow_record *rec, uint64_t now_us,
		   alert_fn cb, void *ctx)
{
	struct mctx m; /* the alert itself is filled at the first hit */

	m.db = db;
	m.rec = rec;
	m.now_us = now_us;
	m.filled = 0;
	m.cb = cb;
	m.ctx = ctx;
	m.n_seen = 0;
	m.hits = 0;
	if (db->n_ip) {
		match_addr(&m, rec->src_addr);
		match_addr(&m, rec->dest_addr);
	}
	if (db->n_ip || db->n_dom) {
		const char *names[3] = { rec->dns_rrname, rec->tls_sni, rec->http_host };
		for (int i = 0; i < 3; i++) {
			if (!names[i] || !*names[i] || (i > 0 && names[i - 1] && !strcmp(names[i], names[i - 1])))
				continue; /* SNI = HTTP host is common */
			match_name(&m, names[i]);
		}
	}
	if (db->n_hs) {
		match_md5(&m, rec->ja3, TAG_JA3, IOC_JA3);
		match_md5(&m, rec->ja3s, TAG_JA3S, IOC_JA3S);
		if (rec->tls_cert_sha1 && *rec->tls_cert_sha1) {
			uint8_t key[20];
			uint32_t v;
			if (parse_sha1(rec->tls_cert_sha1, key) == 0 && (v = hash_find(db, TAG_SHA1, key)))
				emit(&m, IOC_CERT_SHA1, TB_HASH, v - 1);
		}
	}
	return m.hits;
}
