#!/usr/bin/env node
// A stand-in for `vigil serve`, for working on the page without the C side:
// docs/api.md over a vigil SQLite database (read with the sqlite3 command),
// with users, sessions, notes and the audit log kept in memory. Not a test
// of anything: run.sh uses the real daemon unless VIGIL_MOCK=1.
//
//   node mock-api.mjs --db DB --listen 127.0.0.1:8080 --state-dir DIR --static OUT
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync, appendFileSync } from 'node:fs';
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
	return o;
}

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
	const rows = sql(`SELECT * FROM alerts WHERE ${where} ORDER BY last_seen_us DESC, id DESC LIMIT ${Math.min(500, n(p.limit, 50))} OFFSET ${n(p.offset)}`);
	return [200, { total, alerts: rows.map(alertOut) }];
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
	return [200, { ...alertOut(a), rule_text: a.rule_text || '', references: a.refs ? a.refs.split('\n').filter(Boolean) : [], metadata, notes: notes.get(a.id) || [], flows, related, timeline }];
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
route('POST', /^\/api\/alerts\/(\d+)\/suppress$/, (req, b, ctx, p, m) => {
	const a = sql(`SELECT * FROM alerts WHERE id = ${n(m[1])}`)[0];
	if (!a) return [404, { error: 'no such alert' }];
	const tail = b.track === 'by_src' ? `, track by_src, ip ${a.src_ip}` : b.track === 'by_dst' ? `, track by_dst, ip ${a.dest_ip}` : '';
	const line = `suppress gen_id ${a.gid}, sig_id ${a.sid}${tail}`;
	mkdirSync(join(STATE, 'rules'), { recursive: true });
	appendFileSync(join(STATE, 'rules', 'suppress.conf'), line + '\n');
	log(ctx.user, 'suppress', `alert ${a.id}`, line);
	return [200, { line }];
});
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
