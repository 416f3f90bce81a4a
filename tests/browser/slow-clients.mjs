#!/usr/bin/env node
// Slow clients against the HTTPS front (lighttpd, firmware/lighttpd/
// vigil-site.conf): COUNT connections to the plain HTTP port that send one
// header line every 2 s (never idle long enough for server.max-read-idle),
// plus one connection to the HTTPS port that sends nothing. Then:
//  - a fresh HTTPS request is answered while all of them are held (more
//    than the 256 connections the front allowed before; lighttpd queues
//    new connections once server.max-connections are open);
//  - the idle connection is closed by server.max-read-idle (10 s): not
//    before 9 s (lighttpd keeps time in whole seconds, read once per turn
//    of its event loop before it waits up to a second for events, so the
//    connection's start can be counted up to a second early: 9.68 s was
//    seen on a loaded machine), and within the suite's patience (VIGIL_TIMEOUT, at least
//    10 s) after that: lighttpd checks once a second, and how late it is
//    on a loaded machine is the machine's speed, not the verdict.
// lighttpd has no fixed deadline for headers and no per-address limit
// (vigil-site.conf says why and what covers it), so the trickling
// connections are not expected to be cut; they are counted.
//
// env: HOST (127.0.0.1), HTTP_PORT, BASE (https://127.0.0.1:PORT), COUNT (600)
// Prints "ok - ..." / "not ok - ..." lines; exit status 1 on a failure.
import { connect } from 'node:net';
import { request } from 'node:https';

const HOST = process.env.HOST || '127.0.0.1';
const HTTP_PORT = Number(process.env.HTTP_PORT);
const BASE = process.env.BASE;
const COUNT = Number(process.env.COUNT || 600);
const IDLE_S = 10;     // server.max-read-idle
const LATE_S = Math.max(10, Number(process.env.VIGIL_TIMEOUT || 60));
let failed = 0;

const check = (cond, what, detail = '') => {
	if (!cond) failed++;
	console.log(`${cond ? 'ok' : 'not ok'} - https front: ${what}${!cond && detail ? `: ${detail}` : ''}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(port, first) {
	return new Promise((resolve) => {
		const c = { t0: Date.now(), closed: null, data: 0 };
		c.sock = connect({ host: HOST, port }, () => {
			if (first) c.sock.write(first);
			resolve(c);
		});
		c.sock.on('data', (d) => { c.data += d.length; });
		c.sock.on('close', () => { c.closed = Date.now(); resolve(c); });
		c.sock.on('error', () => {});
	});
}

function fresh() {
	return new Promise((resolve) => {
		const t0 = Date.now();
		const req = request(`${BASE}/api/setup`, { rejectUnauthorized: false, timeout: LATE_S * 1000 }, (res) => {
			let body = '';
			res.on('data', (d) => { body += d; });
			res.on('end', () => resolve({ status: res.statusCode, body, ms: Date.now() - t0 }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', (e) => resolve({ status: 0, body: String(e), ms: Date.now() - t0 }));
		req.end();
	});
}

const httpsPort = Number(new URL(BASE).port || 443);
const idle = await open(httpsPort, null);
const slow = [];
for (let i = 0; i < COUNT; i++)
	slow.push(await open(HTTP_PORT, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n`));
const timer = setInterval(() => {
	for (const c of slow) if (c.closed === null) c.sock.write('X-Slow: 1\r\n');
}, 2000);
await sleep(1000);
const held = slow.filter((c) => c.closed === null).length;
const r = await fresh();
const heldAfter = slow.filter((c) => c.closed === null).length;
check(held === COUNT, `${COUNT} trickling clients all held by lighttpd`, `${held} held`);
check(r.status === 200 && r.body.includes('setup_needed'),
	`a fresh HTTPS request answered while ${heldAfter} trickling clients hold connections (${r.ms} ms)`,
	`${r.status} ${r.body.slice(0, 200)}`);
while (idle.closed === null && Date.now() - idle.t0 < (IDLE_S + LATE_S + 5) * 1000) await sleep(100);
const w = idle.closed === null ? null : (idle.closed - idle.t0) / 1000;
check(w !== null && w >= IDLE_S - 1 && w <= IDLE_S + LATE_S,
	`an idle connection closed by server.max-read-idle ${IDLE_S - 1} to ${IDLE_S + LATE_S} s after it opened`
	+ (w !== null ? ` (${w.toFixed(1)} s)` : ''), w === null ? 'still open' : `${w} s`);
clearInterval(timer);
for (const c of slow) c.sock.destroy();
idle.sock.destroy();
console.log(`slow-clients: ${failed ? 'failed' : 'passed'}`);
process.exit(failed ? 1 : 0);
