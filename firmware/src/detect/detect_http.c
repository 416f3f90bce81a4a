/*
 * detect_http.c - HTTP and file kinds in a flow's payload window (see
 * detect_http.h).
 */
#include "detect_http.h"

#include <string.h>

/* The end of the line starting at p (the '\n'), NULL if not in [p, end). */
static const uint8_t *line_end(const uint8_t *p, const uint8_t *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* Length of a line without its "\r\n" / "\n". */
static uint32_t line_len(const uint8_t *p, const uint8_t *nl)
{
	return (uint32_t)(nl > p && nl[-1] == '\r' ? nl - 1 - p : nl - p);
}

static int is_upper_token(const uint8_t *p, size_t n)
{
	if (n < 3 || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-' || p[i] == '_'))
			return 0;
	return 1;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 1 if the header line [p, p+n) is named name (case-insensitive); *val
 * and *vlen get its value without surrounding blanks. */
static int header_is(const uint8_t *p, uint32_t n, const char *name, const uint8_t **val,
		     uint32_t *vlen)
{
	size_t k = strlen(name);
	uint32_t a, b;

	if (n <= k || p[k] != ':')
		return 0;
	for (size_t i = 0; i < k; i++)
		if (lower(p[i]) != name[i])
			return 0;
	a = (uint32_t)k + 1;
	b = n;
	while (a < b && (p[a] == ' ' || p[a] == '\t'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
		b--;
	*val = p + a;
	*vlen = b - a;
	return 1;
}

/* The headers after the start line at p: Content-Type and Content-Length;
 * the body's start when the head ends inside the window. */
static void headers(const uint8_t *p, const uint8_t *end, struct http_part *ctype,
		    struct http_part *body, int64_t *clen)
{
	*clen = -1;
	while (p < end) {
		const uint8_t *nl = line_end(p, end), *v;
		uint32_t n, vlen;

		if (!nl)
			return;
		n = line_len(p, nl);
		if (n == 0) {
			body->p = nl + 1;
			body->len = (uint32_t)(end - (nl + 1));
			return;
		}
		if (header_is(p, n, "content-type", &v, &vlen)) {
			ctype->p = v;
			ctype->len = vlen;
		} else if (header_is(p, n, "content-length", &v, &vlen)) {
			int64_t x = 0;
			uint32_t i;
			for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' && x < ((int64_t)1 << 40); i++)
				x = x * 10 + (v[i] - '0');
			if (i == vlen && vlen)
				*clen = x;
		}
		p = nl + 1;
	}
}

void http_parse(const struct flow_window *w, struct http_view *h)
{
	memset(h, 0, sizeof *h);
	h->clen[0] = h->clen[1] = -1;
	if (w->len[0]) {
		const uint8_t *p = w->data[0], *end = p + w->len[0], *nl = line_end(p, end);
		const uint8_t *sp1, *sp2;
		uint32_t n;

		if (nl && (n = line_len(p, nl)) > 0 &&
		    (sp1 = memchr(p, ' ', n)) && is_upper_token(p, (size_t)(sp1 - p)) &&
		    (sp2 = memchr(sp1 + 1, ' ', (size_t)(p + n - sp1 - 1))) &&
		    p + n - sp2 > 5 && memcmp(sp2 + 1, "HTTP/", 5) == 0 && sp2 > sp1 + 1) {
			h->request = 1;
			h->request_line = (struct http_part){ p, n };
			h->method = (struct http_part){ p, (uint32_t)(sp1 - p) };
			h->uri = (struct http_part){ sp1 + 1, (uint32_t)(sp2 - sp1 - 1) };
			headers(nl + 1, end, &h->ctype_req, &h->body[0], &h->clen[0]);
		}
	}
	if (w->len[1] >= 12 && memcmp(w->data[1], "HTTP/", 5) == 0) {
		const uint8_t *p = w->data[1], *end = p + w->len[1], *nl = line_end(p, end);
		const uint8_t *sp = memchr(p, ' ', w->len[1] < 16 ? w->len[1] : 16);

		if (sp && end - sp > 4 && sp[1] >= '1' && sp[1] <= '5' && sp[2] >= '0' && sp[2] <= '9' &&
		    sp[3] >= '0' && sp[3] <= '9' && (sp[4] == ' ' || sp[4] == '\r' || sp[4] == '\n')) {
			h->response = 1;
			h->stat_code = (struct http_part){ sp + 1, 3 };
			if (nl)
				headers(nl + 1, end, &h->ctype_rsp, &h->body[1], &h->clen[1]);
		}
	}
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX-decode n bytes of in into out; returns the length. */
static size_t pct_decode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];
		if (c == '%' && i + 2 < n && hexv(in[i + 1]) >= 0 && hexv(in[i + 2]) >= 0) {
			c = (uint8_t)(hexv(in[i + 1]) << 4 | hexv(in[i + 2]));
			i += 2;
		}
		out[o++] = c;
	}
	return o;
}

size_t http_uri_normalise(const uint8_t *in, size_t n, uint8_t *out)
{
	const uint8_t *q = memchr(in, '?', n);
	size_t plen = q ? (size_t)(q - in) : n, m, o = 0, r = 0;

	/* the path ends at the first '?' on the wire (a decoded %3F is path) */
	m = pct_decode(in, plen, out);
	if (m && out[0] == '/') {
		/* remove "." and ".." segments in place (reading never falls
		 * behind writing); ".." never climbs above the root */
		while (r < m) {
			size_t s = r + 1, e = s;
			while (e < m && out[e] != '/')
				e++;
			if (e - s == 1 && out[s] == '.') {
				if (e == m)
					out[o++] = '/';
			} else if (e - s == 2 && out[s] == '.' && out[s + 1] == '.') {
				while (o > 0 && out[o - 1] != '/')
					o--;
				if (o > 0)
					o--;
				if (e == m)
					out[o++] = '/';
			} else {
				memmove(out + o, out + r, e - r);
				o += e - r;
			}
			r = e;
		}
		if (o == 0)
			out[o++] = '/';
	} else {
		o = m;
	}
	if (q)
		o += pct_decode(q, n - plen, out + o);
	return o;
}

static int starts(const uint8_t *p, size_t n, const char *s, size_t k)
{
	return n >= k && memcmp(p, s, k) == 0;
}

/* Skip leading blanks and a UTF-8 byte order mark of a text file. */
static const uint8_t *text_start(const uint8_t *p, size_t *n)
{
	if (starts(p, *n, "\xEF\xBB\xBF", 3)) {
		p += 3;
		*n -= 3;
	}
	while (*n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		(*n)--;
	}
	return p;
}

static int istarts(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (lower(p[i]) != s[i])
			return 0;
	return 1;
}

/* 1 if [p, p+n) contains s (case-insensitive) in its first lim bytes. */
static int icontains(const uint8_t *p, size_t n, const char *s, size_t lim)
{
	size_t k = strlen(s);
	int c = s[0], cu = c >= 'a' && c <= 'z' ? c - 32 : c;

	if (n > lim)
		n = lim;
	for (size_t i = 0; i + k <= n; i++)
		if ((p[i] == c || p[i] == cu) && istarts(p + i, n - i, s))
			return 1;
	return 0;
}

/* 1 if the first bytes are printable ASCII or white space (a text file). */
static int looks_text(const uint8_t *p, size_t n)
{
	if (n > 32)
		n = 32;
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') || p[i] > 0x7E)
			return 0;
	return n > 0;
}

const char *http_filemagic(const uint8_t *p, size_t n)
{
	const uint8_t *t;
	size_t tn = n;

	if (!p || n < 2)
		return NULL;
	if (p[0] == 'M' && p[1] == 'Z') {
		if (n >= 64) {
			uint32_t pe = (uint32_t)p[60] | (uint32_t)p[61] << 8 | (uint32_t)p[62] << 16 |
				      (uint32_t)p[63] << 24;
			if (pe <= n - 26 && memcmp(p + pe, "PE\0\0", 4) == 0) {
				uint16_t magic = (uint16_t)(p[pe + 24] | p[pe + 25] << 8);
				uint16_t ch = (uint16_t)(p[pe + 22] | p[pe + 23] << 8);
				int dll = (ch & 0x2000) != 0;
				if (magic == 0x20b)
					return dll ? "PE32+ executable (DLL) (MS Windows)"
						   : "PE32+ executable (MS Windows)";
				return dll ? "PE32 executable (DLL) (MS Windows)"
					   : "PE32 executable (MS Windows)";
			}
		}
		return "MS-DOS executable";
	}
	if (starts(p, n, "\x7F" "ELF", 4) && n >= 6) {
		if (p[4] == 2)
			return p[5] == 2 ? "ELF 64-bit MSB executable" : "ELF 64-bit LSB executable";
		return p[5] == 2 ? "ELF 32-bit MSB executable" : "ELF 32-bit LSB executable";
	}
	if (starts(p, n, "PK\x03\x04", 4)) {
		if (icontains(p, n, "[content_types].xml", 512) || icontains(p, n, "word/", 512) ||
		    icontains(p, n, "xl/", 512) || icontains(p, n, "ppt/", 512) ||
		    icontains(p, n, "_rels/", 512))
			return "Microsoft OOXML document, Zip archive data";
		return "Zip archive data";
	}
	if (starts(p, n, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))
		return "Composite Document File V2 Document (Microsoft Office)";
	if (starts(p, n, "%PDF-", 5))
		return "PDF document";
	if (starts(p, n, "Rar!\x1A\x07", 6))
		return "RAR archive data";
	if (starts(p, n, "7z\xBC\xAF\x27\x1C", 6))
		return "7-zip archive data";
	if (starts(p, n, "\xCA\xFE\xBA\xBE", 4))
		return "Java class data or Mach-O universal binary";
	if (starts(p, n, "\xCF\xFA\xED\xFE", 4) || starts(p, n, "\xCE\xFA\xED\xFE", 4))
		return "Mach-O executable";
	if (starts(p, n, "{\\rtf", 5))
		return "Rich Text Format data";
	t = text_start(p, &tn);
	if (!looks_text(t, tn))
		return NULL;
	if (starts(t, tn, "#!", 2)) {
		if (icontains(t, tn, "python", 64))
			return "Python script, ASCII text executable";
		if (icontains(t, tn, "perl", 64))
			return "Perl script, ASCII text executable";
		if (icontains(t, tn, "bash", 64))
			return "Bourne-Again shell script, ASCII text executable";
		if (icontains(t, tn, "/sh", 64))
			return "POSIX shell script, ASCII text executable";
		return "script, ASCII text executable";
	}
	if (istarts(t, tn, "@echo off") || istarts(t, tn, "@echo on"))
		return "DOS batch file, ASCII text (Windows script)";
	if (istarts(t, tn, "<hta:application") ||
	    (istarts(t, tn, "<html") && icontains(t, tn, "<hta:application", 1024)))
		return "HTML Application (HTA) script (Windows script)";
	if (icontains(t, tn, "powershell", 256) && (icontains(t, tn, "-enc", 256) ||
						    icontains(t, tn, "iex", 256) ||
						    icontains(t, tn, "downloadstring", 256)))
		return "PowerShell script, ASCII text (Windows script)";
	if (istarts(t, tn, "$erroractionpreference") || istarts(t, tn, "[cmdletbinding"))
		return "PowerShell script, ASCII text (Windows script)";
	if (istarts(t, tn, "wscript.") || icontains(t, tn, "createobject(\"wscript", 512))
		return "VBScript script, ASCII text (Windows script)";
	return NULL;
}

/* 1 when a response's head is complete in the window and its body is
 * complete too, or the window holds 512 bytes of it. */
static int response_seen(const struct flow_window *w)
{
	struct http_view h;
	struct flow_window only = *w;

	only.len[0] = 0;
	http_parse(&only, &h);
	if (!h.response || !h.body[1].p)
		return 0;
	if (h.stat_code.p[0] == '1' || memcmp(h.stat_code.p, "204", 3) == 0 ||
	    memcmp(h.stat_code.p, "304", 3) == 0)
		return 1;
	if (h.clen[1] >= 0)
		return h.body[1].len >= h.clen[1] || h.body[1].len >= 512;
	return h.body[1].len >= 512;
}

int http_window_ready(const struct flow_window *w)
{
	for (int k = 0; k < 2; k++) {
		if (w->state[k] & (FPW_FULL | FPW_CUT | FPW_FIN | FPW_ANSWERED))
			continue;
		if (k == 1 && w->len[1] && response_seen(w))
			continue;
		return 0;
	}
	return 1;
}
