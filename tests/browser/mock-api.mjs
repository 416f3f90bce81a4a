#!/usr/bin/env node
// A stand-in for `vigil serve`, for working on the page without the C side:
// docs/api.md over a vigil SQLite database (read with the sqlite3 command),
// with users, sessions, notes and the audit log kept in memory, the
// suppressions in <state-dir>/rules/suppress.conf as vigil keeps them (their
// silenced counts read from the database's suppress_counts, as a sensor
// wrote them). Not a test of anything: run.sh uses the real daemon unless
// VIGIL_MOCK=1.
//
//   node mock-api.mjs --db DB --listen 127.0.0.1:8080 --state-dir DIR --static OUT
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync, appendFileSync, renameSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => {
	if (v.startsWith('--')) a.push([v.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
	return a;
}, []));
const DB = args.db, STATIC = args.static, STATE = args['state-dir'];
const LISTEN = String(args.listen || '127.0.0.1:8080');
mkdirSync(STATE, { recursive: true });
let setupToken = randomBytes(16).toString('hex');
writeFileSync(join(STATE, 'setup-token'), setupToken + '\n');
console.log(`setup token: ${setupToken}`);

const users = new Map(); // name -> {password, role, created_us, disabled_us, last_login_us, must_change}
const sessions = new Map(); // sid -> {user, csrf, seen}
const notes = new Map(); // alert id -> [{user, ts_us, text}]
const audit = [];
const started = Date.now();
const now = () => Date.now() * 1000;

function sql(q) {
	const out = execFileSync('sqlite3', ['-json', DB, q], { encoding: 'utf8', maxBuffer: 64 << 20 });
	return out.trim() ? JSON.parse(out) : [];
}
const s = (v) => `'${String(v).replace(/'/g, "''")}'`;
const n = (v, d = 0) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Math.trunc(Number(v)));

function log(user, action, target, detail) { audit.unshift({ ts_us: now(), user, action, target, detail }); }

function alertOut(a) {
	const o = { ...a };
	delete o.refs; delete o.rule_text; delete o.metadata; delete o.ioc_description;
	// when it last fired again after it was triaged (a sensor's audit rows)
	const rec = audit.find((x) => x.action === 'recurred' && x.target === String(a.id));
	o.recurred_us = a.recurred_us ?? (rec ? rec.ts_us : null);
	return o;
}

// GET /api/alerts' and /api/alerts/groups' sort and order (docs/api.md)
const SORTS = { last_seen: 'last_seen_us', first_seen: 'first_seen_us', severity: 'severity', count: 'count' };
function alertOrder(p, groups) {
	const col = SORTS[p.sort] || 'last_seen_us';
	const asc = p.order === 'asc';
	// "desc" puts the worst (severity 1) first
	const dir = col === 'severity' ? (asc ? 'DESC' : 'ASC') : (asc ? 'ASC' : 'DESC');
	const tie = groups ? 'gid, sid' : 'id DESC';
	return col === 'last_seen_us' ? `last_seen_us ${dir}, ${tie}` : `${col} ${dir}, last_seen_us DESC, ${tie}`;
}
const RECURRED_SQL = "(SELECT max(ts_us) FROM audit WHERE action = 'recurred' AND target = CAST(alerts.id AS TEXT)) AS recurred_us";
const hasTable = (t) => sql(`SELECT count(*) AS n FROM sqlite_master WHERE name = ${s(t)}`)[0].n > 0;

function alertWhere(p) {
	const w = ['1'];
	if (p.from) w.push(`last_seen_us >= ${n(p.from)}`);
	if (p.to) w.push(`last_seen_us <= ${n(p.to)}`);
	if (p.severity) w.push(`severity <= ${n(p.severity)}`);
	if (p.engine) w.push(`engine = ${s(p.engine)}`);
	if (p.sid) w.push(`sid = ${n(p.sid)}`);
	if (p.host) w.push(`(src_ip = ${s(p.host)} OR dest_ip = ${s(p.host)})`);
	if (p.status) w.push(`status = ${s(p.status)}`);
	if (p.q) {
		const like = s(`%${p.q}%`);
		w.push(`(signature LIKE ${like} OR category LIKE ${like} OR detector LIKE ${like} OR ioc_indicator LIKE ${like} OR src_ip LIKE ${like} OR dest_ip LIKE ${like})`);
	}
	if (p.since_id) w.push(`id > ${n(p.since_id)}`);
	return w.join(' AND ');
}

function flowOut(f) { return { ...f, alerted: !!f.alerted }; }

const routes = [];
const route = (method, re, fn, opts = {}) => routes.push({ method, re, fn, ...opts });

route('GET', /^\/api\/setup$/, () => [200, { setup_needed: users.size === 0 }], { open: true });
route('POST', /^\/api\/setup$/, (req, b) => {
	if (users.size) return [409, { error: 'setup was already done' }];
	if (b.token !== setupToken) return [403, { error: 'wrong setup token' }];
	if (!b.username || String(b.password || '').length < 10) return [400, { error: 'password must have at least 10 characters' }];
	users.set(b.username, { password: b.password, role: 'admin', created_us: now() });
	setupToken = null;
	log(b.username, 'setup', b.username, 'administrator created');
	return [200, {}];
}, { open: true });
route('POST', /^\/api\/login$/, (req, b, ctx) => {
	const u = users.get(b.username);
	if (!u || u.password !== b.password || u.disabled_us) { log(b.username, 'login_failed', '', ''); return [401, { error: 'wrong user name or password' }]; }
	u.last_login_us = now();
	const sid = randomBytes(32).toString('hex');
	const csrf = randomBytes(16).toString('hex');
	sessions.set(sid, { user: b.username, csrf });
	ctx.headers['Set-Cookie'] = `vigil_session=${sid}; Path=/; HttpOnly; SameSite=Strict${args['secure-cookies'] ? '; Secure' : ''}`;
	log(b.username, 'login', '', '');
	return [200, { user: b.username, role: u.role, csrf, must_change_password: !!u.must_change }];
}, { open: true });
route('POST', /^\/api\/logout$/, (req, b, ctx) => {
	sessions.delete(ctx.sid);
	ctx.headers['Set-Cookie'] = 'vigil_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0';
	log(ctx.user, 'logout', '', '');
	return [200, {}];
});
const me = (ctx) => ({ user: ctx.user, role: users.get(ctx.user).role, csrf: ctx.csrf, must_change_password: !!users.get(ctx.user).must_change });
route('GET', /^\/api\/me$/, (req, b, ctx) => [200, me(ctx)]);
route('POST', /^\/api\/me\/password$/, (req, b, ctx) => {
	const u = users.get(ctx.user);
	if (String(b.password || '').length < 10) return [400, { error: 'password: at least 10 characters' }];
	if (b.current !== u.password) { log(ctx.user, 'password_change_failed', ctx.user, 'wrong current password'); return [403, { error: 'the current password is wrong' }]; }
	if (b.password === b.current) return [400, { error: 'password: the new password must differ from the current one' }];
	u.password = b.password;
	u.must_change = false;
	endSessions(ctx.user, ctx.sid);
	log(ctx.user, 'password_change', ctx.user, '');
	return [200, me(ctx)];
});

route('GET', /^\/api\/alerts$/, (req, b, ctx, p) => {
	const where = alertWhere(p);
	const total = sql(`SELECT count(*) AS n FROM alerts WHERE ${where}`)[0].n;
	const rows = sql(`SELECT *, ${RECURRED_SQL} FROM alerts WHERE ${where} ORDER BY ${alertOrder(p, false)} LIMIT ${Math.min(500, n(p.limit, 50))} OFFSET ${n(p.offset)}`);
	return [200, { total, alerts: rows.map(alertOut) }];
});
route('GET', /^\/api\/alerts\/groups$/, (req, b, ctx, p) => {
	const where = alertWhere(p);
	const total = sql(`SELECT count(*) AS n FROM (SELECT 1 FROM alerts WHERE ${where} GROUP BY gid, sid)`)[0].n;
	const groups = sql(`SELECT gid, sid, max(engine) AS engine, max(signature) AS signature, max(category) AS category,
		max(detector) AS detector, min(severity) AS severity, count(*) AS alerts, sum(status = 'new') AS new,
		count(DISTINCT src_ip) AS sources, count(DISTINCT nullif(dest_ip, '')) AS destinations, sum(count) AS count,
		min(first_seen_us) AS first_seen_us, max(last_seen_us) AS last_seen_us
		FROM alerts WHERE ${where} GROUP BY gid, sid ORDER BY ${alertOrder(p, true)} LIMIT ${Math.min(500, n(p.limit, 50))} OFFSET ${n(p.offset)}`);
	return [200, { total, groups }];
});
route('GET', /^\/api\/alerts\/export\.(csv|eve)$/, (req, b, ctx, p, m) => {
	const rows = sql(`SELECT * FROM alerts WHERE ${alertWhere(p)} ORDER BY last_seen_us DESC LIMIT 100000`);
	if (m[1] === 'csv') {
		const cols = ['id', 'engine', 'sid', 'signature', 'severity', 'src_ip', 'dest_ip', 'count', 'first_seen_us', 'last_seen_us', 'status'];
		const q = (v) => `"${String(v ?? '').replace(/"/g, '""')}"`;
		return [200, [cols.join(','), ...rows.map((r) => cols.map((c) => q(r[c])).join(','))].join('\n') + '\n', 'text/csv'];
	}
	return [200, rows.map((r) => JSON.stringify({ event_type: 'alert', src_ip: r.src_ip, dest_ip: r.dest_ip, alert: { signature_id: r.sid, signature: r.signature, severity: r.severity } })).join('\n') + '\n', 'application/x-ndjson'];
});
route('GET', /^\/api\/alerts\/(\d+)$/, (req, b, ctx, p, m) => {
	const a = sql(`SELECT * FROM alerts WHERE id = ${n(m[1])}`)[0];
	if (!a) return [404, { error: 'no such alert' }];
	const timeline = sql(`SELECT ts_us, flow_id FROM alert_flows WHERE alert_id = ${a.id} ORDER BY ts_us`);
	const flows = sql(`SELECT * FROM flows WHERE flow_id IN (SELECT flow_id FROM alert_flows WHERE alert_id = ${a.id}) ORDER BY start_us DESC LIMIT 100`).map(flowOut);
	const related = sql(`SELECT * FROM alerts WHERE id != ${a.id} AND (src_ip IN (${s(a.src_ip)}, ${s(a.dest_ip)}) OR dest_ip IN (${s(a.src_ip)}, ${s(a.dest_ip)})) ORDER BY last_seen_us DESC LIMIT 20`).map(alertOut);
	let metadata = {};
	try { metadata = a.metadata ? JSON.parse(a.metadata) : {}; } catch { /* keep empty */ }
	const history = hasTable('audit') ? sql(`SELECT ts_us, username AS user, action, detail FROM audit WHERE target = ${s(String(a.id))} AND action = 'recurred' ORDER BY ts_us DESC LIMIT 20`) : [];
	const mine = audit.filter((x) => (x.target === `alert ${a.id}` || x.target === String(a.id)) && ['status', 'ack', 'recurred'].includes(x.action))
		.map((x) => ({ ts_us: x.ts_us, user: x.user, action: x.action, detail: x.detail }));
	const recurred = hasTable('audit') ? sql(`SELECT max(ts_us) AS t FROM audit WHERE action = 'recurred' AND target = ${s(String(a.id))}`)[0].t : null;
	return [200, { ...alertOut({ ...a, recurred_us: recurred }), rule_text: a.rule_text || '', references: a.refs ? a.refs.split('\n').filter(Boolean) : [], metadata,
		notes: notes.get(a.id) || [], flows, related, timeline, pcap: [],
		history: [...mine, ...history].sort((x, y) => y.ts_us - x.ts_us).slice(0, 20) }];
});
route('GET', /^\/api\/alerts\/(\d+)\/flows$/, (req, b, ctx, p, m) => {
	const id = n(m[1]);
	if (!sql(`SELECT id FROM alerts WHERE id = ${id}`).length) return [404, { error: `no alert ${id}` }];
	const linked = sql(`SELECT count(*) AS n FROM alert_flows WHERE alert_id = ${id}`)[0].n;
	const where = `flow_id IN (SELECT flow_id FROM alert_flows WHERE alert_id = ${id})`;
	const total = sql(`SELECT count(DISTINCT flow_id) AS n FROM flows WHERE ${where}`)[0].n;
	const flows = sql(`SELECT * FROM flows WHERE ${where} ORDER BY start_us DESC, id DESC LIMIT ${Math.min(500, n(p.limit, 20))} OFFSET ${n(p.offset)}`).map(flowOut);
	return [200, { total, linked, per_decision_max: 16, flows }];
});
route('POST', /^\/api\/alerts\/(\d+)\/status$/, (req, b, ctx, p, m) => {
	if (!['new', 'acknowledged', 'false_positive', 'escalated'].includes(b.status)) return [400, { error: 'unknown status' }];
	sql(`UPDATE alerts SET status = ${s(b.status)} WHERE id = ${n(m[1])}`);
	log(ctx.user, 'status', `alert ${m[1]}`, b.status);
	return [200, alertOut(sql(`SELECT * FROM alerts WHERE id = ${n(m[1])}`)[0])];
});
route('POST', /^\/api\/alerts\/(\d+)\/notes$/, (req, b, ctx, p, m) => {
	const text = String(b.text || '');
	if (!text || text.length > 4000) return [400, { error: 'a note has 1 to 4000 characters' }];
	const id = n(m[1]);
	const list = notes.get(id) || [];
	list.push({ user: ctx.user, ts_us: now(), text });
	notes.set(id, list);
	log(ctx.user, 'note', `alert ${id}`, text.slice(0, 80));
	return [200, list];
});
route('POST', /^\/api\/alerts\/ack$/, (req, b, ctx) => {
	const ids = (b.ids || []).map((x) => n(x)).filter((x) => x > 0);
	if (ids.length) sql(`UPDATE alerts SET status = 'acknowledged' WHERE id IN (${ids.join(',')})`);
	log(ctx.user, 'ack', `${ids.length} alerts`, ids.join(','));
	return [200, { updated: ids.length }];
});
// ---- suppressions: <state-dir>/rules/suppress.conf, as vigil writes it
const SUP_DIR = join(STATE, 'rules'), SUP_FILE = join(SUP_DIR, 'suppress.conf');
const isoNow = () => new Date().toISOString().slice(0, 19) + 'Z';
const oneLine = (t) => String(t).replace(/[\x00-\x1f\x7f]/g, ' ');
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;
// the entry's key, as suppress.h's suppress_key_of: FNV-1a 64 of
// "gid:sid:track:expires:" and the ip list without spaces
function supKey(e) {
	let h = 14695981039346656037n;
	const text = `${e.gid}:${e.sid}:${e.trackNo}:${e.expiresS}:` + (e.trackNo ? e.ip.replace(/\s/g, '') : '');
	for (const ch of Buffer.from(text)) h = ((h ^ BigInt(ch)) * 1099511628211n) & 0xffffffffffffffffn;
	if (h === 0n) h = 1n;
	return BigInt.asIntN(64, h).toString();
}
const TRACKS = ['all', 'by_src', 'by_dst', 'by_either'];
function supParse(text) {
	const [body, ...c] = text.split('#');
	const cm = c.join('#').trim();
	const ex = /^expires(\s+(.*))?$/.exec(cm);
	let expiresS = 0;
	if (ex) {
		if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(ex[2] || '')) return null;
		expiresS = Date.parse(ex[2]) / 1000;
	}
	const m = /^suppress\s+gen_id\s+(\d+)\s*,\s*sig_id\s+(\d+)\s*(?:,\s*track\s+(by_src|by_dst|by_either)\s*,\s*ip\s+(.+?))?\s*$/.exec(body.trim());
	if (!m) return null;
	const ip = (m[4] || '').replace(/^\[(.*)\]$/, '$1');
	const e = { gid: Number(m[1]), sid: Number(m[2]), track: m[3] || 'all', trackNo: TRACKS.indexOf(m[3] || 'all'), ip, expiresS };
	e.key = supKey(e);
	return e;
}
function supEntries() {
	if (!existsSync(SUP_FILE)) return [];
	const counts = hasTable('suppress_counts')
		? Object.fromEntries(sql('SELECT CAST(key AS TEXT) AS k, silenced, last_us FROM suppress_counts').map((r) => [r.k, r])) : {};
	const out = [];
	let note = '';
	readFileSync(SUP_FILE, 'utf8').split('\n').forEach((raw, i) => {
		const l = raw.trim();
		if (l.startsWith('#')) { note = l.slice(1).trim(); return; }
		if (!l) { note = ''; return; }
		const e = supParse(l);
		const o = { line: i + 1, text: l, valid: !!e };
		if (e) Object.assign(o, { gen_id: e.gid, sig_id: e.sid, track: e.track }, e.track !== 'all' ? { ip: e.ip } : {});
		o.note = note;
		const m = /^(?:alert (\d+), )?by (.+?), (\S+): (.*)$/.exec(note);
		o.alert_id = m && m[1] ? Number(m[1]) : null;
		o.user = m ? m[2] : null;
		o.added = m ? m[3] : null;
		if (m && m[1]) {
			const w = m[4].indexOf('; why: ');
			o.signature = w >= 0 ? m[4].slice(0, w) : m[4];
			o.reason = w >= 0 ? m[4].slice(w + 7) : null;
		} else {
			o.reason = m ? m[4] : null;
		}
		o.expires = e && e.expiresS ? new Date(e.expiresS * 1000).toISOString().slice(0, 19) + 'Z' : null;
		o.expired = !!(e && e.expiresS && Date.now() / 1000 >= e.expiresS);
		const c = e && counts[e.key];
		o.silenced = e ? (c ? c.silenced : 0) : null;
		o.last_silenced_us = c && c.silenced ? c.last_us : null;
		out.push(o);
		note = '';
	});
	return out;
}
// reason and expires of a body; [line with its expiry, reason] or an error answer
function supReasonExpiry(b, line, needReason) {
	if (b.reason !== undefined && typeof b.reason !== 'string') return [null, null, [400, { error: 'reason: expected a string' }]];
	const reason = oneLine(b.reason || '');
	if (reason.length > 200) return [null, null, [400, { error: 'reason: at most 200 characters' }]];
	if (needReason && !reason.trim()) return [null, null, [400, { error: 'reason: say why these alerts are silenced (1 to 200 characters)' }]];
	if (b.expires) {
		if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(String(b.expires)) || Number.isNaN(Date.parse(b.expires))) return [null, null, [400, { error: 'expires: expected YYYY-MM-DDTHH:MM:SSZ (UTC)' }]];
		if (Date.parse(b.expires) <= Date.now()) return [null, null, [400, { error: `expires: ${b.expires} has passed` }]];
		line += ` # expires ${b.expires}`;
	}
	return [line, reason, null];
}
function supAppend(comment, line) {
	mkdirSync(SUP_DIR, { recursive: true });
	const had = existsSync(SUP_FILE) ? readFileSync(SUP_FILE, 'utf8') : '';
	if (had.split('\n').includes(line)) return false;
	appendFileSync(SUP_FILE, (had ? '' : "# Managed by vigil's web page: suppressions added from alerts.\n# Lines may be removed by hand; reload the rules afterwards.\n") + comment + '\n' + line + '\n');
	return true;
}
function supCountReset(line) {
	const e = supParse(line);
	if (e && hasTable('suppress_counts')) sql(`DELETE FROM suppress_counts WHERE key = ${e.key}`);
}
const NO_RELOAD = 'no capture is running here (mock API); the change applies when vigil run loads the rules';

route('POST', /^\/api\/alerts\/(\d+)\/suppress$/, (req, b, ctx, p, m) => {
	if (!['by_src', 'by_dst', 'all'].includes(b.track)) return [400, { error: 'track: expected by_src, by_dst or all' }];
	const a = sql(`SELECT * FROM alerts WHERE id = ${n(m[1])}`)[0];
	if (!a) return [404, { error: `no alert ${n(m[1])}` }];
	if (b.track === 'by_dst' && !a.dest_ip) return [400, { error: 'track by_dst: the alert has no destination address' }];
	const tail = b.track === 'by_src' ? `, track by_src, ip ${a.src_ip}` : b.track === 'by_dst' ? `, track by_dst, ip ${a.dest_ip}` : '';
	const [line, reason, bad] = supReasonExpiry(b, `suppress gen_id ${a.gid}, sig_id ${a.sid}${tail}`, true);
	if (bad) return bad;
	const added = supAppend(`# alert ${a.id}, by ${ctx.user}, ${isoNow()}: ${oneLine(a.signature || '')}; why: ${reason}`, line);
	if (added) { log(ctx.user, 'suppress', String(a.id), `${line} (${reason})`); supCountReset(line); }
	return [200, { line, file: SUP_FILE, added, reloaded: false, message: NO_RELOAD }];
}, { admin: true });
route('GET', /^\/api\/suppressions$/, () => [200, { file: SUP_FILE, readable: true, entries: supEntries() }]);
route('POST', /^\/api\/suppressions$/, (req, b, ctx) => {
	const gid = Number(b.gen_id), sid = Number(b.sig_id);
	if (!Number.isInteger(gid) || gid < 1 || gid > 4294967295 || !Number.isInteger(sid) || sid < 1 || sid > 4294967295) return [400, { error: 'gen_id, sig_id: expected 1 to 4294967295' }];
	if (!TRACKS.includes(b.track)) return [400, { error: 'track: expected by_src, by_dst, by_either or all' }];
	if (b.track === 'all' && b.ip) return [400, { error: 'ip: not with track all' }];
	if (b.track !== 'all' && !IP.test(String(b.ip || ''))) return [400, { error: 'ip: expected an IPv4 or IPv6 address' }];
	const [line, reason, bad] = supReasonExpiry(b, `suppress gen_id ${gid}, sig_id ${sid}${b.track === 'all' ? '' : `, track ${b.track}, ip ${b.ip}`}`, false);
	if (bad) return bad;
	const added = supAppend(`# by ${ctx.user}, ${isoNow()}: ${reason || '(no reason given)'}`, line);
	if (added) { log(ctx.user, 'suppress', 'page', line); supCountReset(line); }
	return [added ? 201 : 200, { line, file: SUP_FILE, added, reloaded: false, message: NO_RELOAD }];
}, { admin: true });
route('POST', /^\/api\/suppressions\/remove$/, (req, b, ctx) => {
	if (!Number.isInteger(b.line) || b.line < 1 || typeof b.text !== 'string') return [400, { error: 'line and text: as listed' }];
	const lines = existsSync(SUP_FILE) ? readFileSync(SUP_FILE, 'utf8').split('\n') : [];
	if ((lines[b.line - 1] || '').trim() !== b.text) return [409, { error: `line ${b.line} of ${SUP_FILE} is not that entry (the file changed: list it again)` }];
	const drop = new Set([b.line - 1]);
	if (b.line >= 2 && lines[b.line - 2].trim().startsWith('#')) drop.add(b.line - 2);
	writeFileSync(SUP_FILE + '.tmp', lines.filter((_, i) => !drop.has(i)).join('\n'));
	renameSync(SUP_FILE + '.tmp', SUP_FILE);
	log(ctx.user, 'unsuppress', `line ${b.line}`, b.text);
	supCountReset(b.text);
	return [200, { removed: b.text, reloaded: false, message: NO_RELOAD }];
}, { admin: true });
route('GET', /^\/api\/audit$/, (req, b, ctx, p) => [200, { total: audit.length, entries: audit.slice(n(p.offset), n(p.offset) + n(p.limit, 50)) }]);

route('GET', /^\/api\/flows$/, (req, b, ctx, p) => {
	const w = ['1'];
	if (p.host) w.push(`(src_ip = ${s(p.host)} OR dest_ip = ${s(p.host)})`);
	if (p.app) w.push(`(app_proto = lower(${s(p.app)}) OR ndpi_app_proto = lower(${s(p.app)}) OR ndpi_protocol = ${s(p.app)} OR (${s(p.app)} = 'unknown' AND app_proto IS NULL))`);
	if (p.from) w.push(`start_us >= ${n(p.from)}`);
	if (p.to) w.push(`start_us <= ${n(p.to)}`);
	const where = w.join(' AND ');
	const total = sql(`SELECT count(*) AS n FROM flows WHERE ${where}`)[0].n;
	const flows = sql(`SELECT * FROM flows WHERE ${where} ORDER BY start_us DESC LIMIT ${Math.min(500, n(p.limit, 50))} OFFSET ${n(p.offset)}`).map(flowOut);
	return [200, { total, flows }];
});
route('GET', /^\/api\/flows\/top-talkers$/, (req, b, ctx, p) => {
	const w = [`1`];
	if (p.from) w.push(`start_us >= ${n(p.from)}`);
	if (p.to) w.push(`start_us <= ${n(p.to)}`);
	const rows = sql(`SELECT host, sum(f) AS flows, sum(sent) AS bytes_sent, sum(recv) AS bytes_received FROM (
		SELECT src_ip AS host, 1 AS f, bytes_toserver AS sent, bytes_toclient AS recv FROM flows WHERE ${w.join(' AND ')}
		UNION ALL SELECT dest_ip, 1, bytes_toclient, bytes_toserver FROM flows WHERE ${w.join(' AND ')})
		GROUP BY host ORDER BY bytes_sent + bytes_received DESC LIMIT ${n(p.limit, 10)}`);
	return [200, { hosts: rows.map((r) => ({ ...r, home: /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(r.host) })) }];
});
route('GET', /^\/api\/dashboard$/, (req, b, ctx, p) => {
	const r = sql('SELECT min(start_us) AS lo, max(end_us) AS hi FROM flows')[0];
	const from = n(p.from, r.lo || 0), to = n(p.to, r.hi || 0);
	const step = Math.max(1, Math.ceil((to - from + 1) / 96));
	const buckets = sql(`SELECT (start_us - ${from}) / ${step} AS b, count(*) AS flows, sum(bytes_toserver + bytes_toclient) AS bytes FROM flows WHERE start_us BETWEEN ${from} AND ${to} GROUP BY b`);
	const al = sql(`SELECT (last_seen_us - ${from}) / ${step} AS b, count(*) AS alerts FROM alerts WHERE last_seen_us BETWEEN ${from} AND ${to} GROUP BY b`);
	const out = [];
	for (let i = 0; i * step <= to - from && i < 96; i++) {
		const f = buckets.find((x) => x.b === i) || {};
		const a = al.find((x) => x.b === i) || {};
		out.push({ t_us: from + i * step, flows: f.flows || 0, bytes: f.bytes || 0, alerts: a.alerts || 0 });
	}
	const apps = sql(`SELECT coalesce(app_proto, 'unknown') AS app, count(*) AS flows, sum(bytes_toserver + bytes_toclient) AS bytes FROM flows WHERE start_us BETWEEN ${from} AND ${to} GROUP BY 1 ORDER BY 3 DESC LIMIT 20`);
	const hosts = sql(`SELECT host, count(*) AS alerts FROM (SELECT src_ip AS host FROM alerts WHERE last_seen_us BETWEEN ${from} AND ${to} UNION ALL SELECT dest_ip FROM alerts WHERE dest_ip != '' AND last_seen_us BETWEEN ${from} AND ${to}) GROUP BY host ORDER BY 2 DESC LIMIT 10`);
	const sev = { 1: 0, 2: 0, 3: 0, 4: 0 };
	for (const x of sql(`SELECT severity, count(*) AS c FROM alerts WHERE last_seen_us BETWEEN ${from} AND ${to} GROUP BY 1`)) sev[x.severity] = x.c;
	return [200, { buckets: out, apps, top_alerting_hosts: hosts, severity: sev }];
});
route('GET', /^\/api\/clock$/, () => {
	const x = sql('SELECT max(coalesce((SELECT max(start_us) FROM flows), 0), coalesce((SELECT max(last_seen_us) FROM alerts), 0)) AS n')[0].n;
	return [200, { now_us: Date.now() * 1000, newest_us: x || null, live: false }];
});
route('GET', /^\/api\/system$/, () => {
	const c = sql('SELECT (SELECT count(*) FROM flows) AS flows, (SELECT count(*) FROM alerts) AS alerts, (SELECT min(start_us) FROM flows) AS oldest')[0];
	return [200, {
		version: 'mock', uptime_s: Math.round((Date.now() - started) / 1000), capture: [], decode_errors: {},
		rulesets: [{ dir: 'rules/default', signatures: 0, indicators: 0, detectors: 6, problems: [] }],
		last_reload: { ts_us: started * 1000, ok: true, message: '' },
		database: { path: DB, size_bytes: statSync(DB).size, max_bytes: 1 << 30, flows: c.flows, alerts: c.alerts, oldest_flow_us: c.oldest, flow_max_age_s: 30 * 86400, alert_max_age_s: 365 * 86400 },
		writers: args['disk-full']
			? { database: { ok: false, error: 'commit batch: database or disk is full (sqlite code 13); 834 flow(s) and 166 alert(s) dropped', failing_since_us: started * 1000, failures: 2, last_error: 'commit batch: database or disk is full (sqlite code 13)', flows_lost: 53407, alerts_lost: 10434 } }
			: { database: { ok: true, error: null, failing_since_us: null, failures: 0, last_error: null, flows_lost: 0, alerts_lost: 0 } },
	}];
});
function endSessions(user, keep) {
	for (const [sid, x] of sessions) if (x.user === user && sid !== keep) sessions.delete(sid);
}
function userOut(username) {
	const u = users.get(username);
	const n = [...sessions.values()].filter((x) => x.user === username).length;
	return { username, role: u.role, created_us: u.created_us, disabled: !!u.disabled_us, disabled_us: u.disabled_us || null,
		last_login_us: u.last_login_us || null, must_change_password: !!u.must_change, sessions: n };
}
const lastAdmin = (name) => users.get(name).role === 'admin' && !users.get(name).disabled_us &&
	![...users].some(([k, u]) => k !== name && u.role === 'admin' && !u.disabled_us);
route('GET', /^\/api\/users$/, () => [200, { users: [...users.keys()].sort().map(userOut) }], { admin: true });
route('POST', /^\/api\/users$/, (req, b, ctx) => {
	if (!b.username || users.has(b.username)) return [409, { error: 'that user exists' }];
	if (String(b.password || '').length < 10) return [400, { error: 'password must have at least 10 characters' }];
	if (!['admin', 'analyst'].includes(b.role)) return [400, { error: 'unknown role' }];
	users.set(b.username, { password: b.password, role: b.role, created_us: now(), must_change: true });
	log(ctx.user, 'user_add', b.username, b.role);
	return [201, userOut(b.username)];
}, { admin: true });
route('POST', /^\/api\/users\/([A-Za-z0-9._@-]+)\/(disable|enable|role|password|delete)$/, (req, b, ctx, p, m) => {
	const name = decodeURIComponent(m[1]), act = m[2], u = users.get(name);
	if (!u) return [404, { error: `no such user '${name}'` }];
	if ((act === 'disable' || act === 'delete' || (act === 'role' && b.role !== 'admin')) && lastAdmin(name)) {
		return [409, { error: `'${name}' is the last enabled administrator: make another administrator first` }];
	}
	if (act === 'disable') { if (!u.disabled_us) { u.disabled_us = now(); endSessions(name); log(ctx.user, 'user_disable', name, ''); } }
	if (act === 'enable') { if (u.disabled_us) { u.disabled_us = 0; log(ctx.user, 'user_enable', name, ''); } }
	if (act === 'role') {
		if (!['admin', 'analyst'].includes(b.role)) return [400, { error: 'role: expected admin or analyst' }];
		if (u.role !== b.role) { log(ctx.user, 'user_role', name, `${u.role} -> ${b.role}`); u.role = b.role; }
	}
	if (act === 'password') {
		if (String(b.password || '').length < 10) return [400, { error: 'password: at least 10 characters' }];
		Object.assign(u, { password: b.password, must_change: true });
		endSessions(name);
		log(ctx.user, 'user_password_reset', name, '');
	}
	if (act === 'delete') { endSessions(name); users.delete(name); log(ctx.user, 'user_delete', name, u.role); return [200, { deleted: name }]; }
	return [200, userOut(name)];
}, { admin: true });

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

const server = createServer(async (req, res) => {
	const url = new URL(req.url, 'http://x');
	const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
	if (args.verbose) console.log(req.method, req.url, JSON.stringify({ xff: req.headers['x-forwarded-for'], fwd: req.headers.forwarded, proto: req.headers['x-forwarded-proto'] }));
	if (!url.pathname.startsWith('/api/')) {
		let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
		if (path.endsWith('/')) path += 'index.html';
		const file = join(STATIC, path);
		if (!file.startsWith(STATIC) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404); res.end('not found'); return; }
		res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'" });
		res.end(readFileSync(file));
		return;
	}
	let body = '';
	for await (const c of req) body += c;
	let b = {};
	// as vigil: a body only as application/json (no cross-site form posts)
	if (body && !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] || '')) {
		res.writeHead(415, { ...headers, 'Content-Type': 'application/json' });
		res.end(JSON.stringify({ error: 'a request body must be sent as Content-Type: application/json' }));
		return;
	}
	try { b = body ? JSON.parse(body) : {}; } catch { res.writeHead(400); res.end(JSON.stringify({ error: 'bad JSON' })); return; }
	const p = Object.fromEntries(url.searchParams);
	const r = routes.find((x) => x.re.test(url.pathname) && x.method === req.method) || null;
	let out;
	const ctx = { headers };
	if (!r) out = routes.some((x) => x.re.test(url.pathname)) ? [405, { error: 'method not allowed' }] : [404, { error: 'no such route' }];
	else {
		const sid = /(?:^|;\s*)vigil_session=([0-9a-f]+)/.exec(req.headers.cookie || '');
		const sess = sid && sessions.get(sid[1]);
		if (sess) Object.assign(ctx, { sid: sid[1], user: sess.user, csrf: sess.csrf });
		if (!r.open && !sess) out = [401, { error: 'not signed in' }];
		else if (!r.open && req.method === 'POST' && req.headers['x-csrf-token'] !== sess.csrf) out = [403, { error: 'bad CSRF token' }];
		else if (r.admin && users.get(sess.user).role !== 'admin') out = [403, { error: 'administrators only' }];
		else if (sess && users.get(sess.user).must_change && !/^\/api\/(me|me\/password|logout)$/.test(url.pathname)) out = [403, { error: 'choose your own password first' }];
		else {
			try { out = r.fn(req, b, ctx, p, url.pathname.match(r.re)); } catch (e) { out = [500, { error: String(e.message).split('\n')[0] }]; }
		}
	}
	const [status, data, type] = out;
	res.writeHead(status, { ...headers, 'Content-Type': type || 'application/json' });
	res.end(typeof data === 'string' ? data : JSON.stringify(data));
});
if (LISTEN.startsWith('unix:')) server.listen(LISTEN.slice(5), () => console.log(`mock vigil API on ${LISTEN}`));
else {
	const i = LISTEN.lastIndexOf(':');
	server.listen(Number(LISTEN.slice(i + 1)), LISTEN.slice(0, i), () => console.log(`mock vigil API on http://${LISTEN}/`));
}
