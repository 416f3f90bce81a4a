#!/usr/bin/env node
// The page at volume, in Debian's Chromium: a database of 500 alerts over
// 200 signatures and 20,000 flows (tools/bench_api.py's builder). The
// main pages render (the time to the first row is printed, not judged:
// it depends on the machine), the alerts list is dense enough to triage
// on a 1366x900 screen, sorts and groups as the API does, the dashboard's
// severity cards split new from triaged, and the pages fit a 390 px phone
// (no horizontal overflow).
//
// env: BASE_URL, NAME (volume), ARTIFACTS, CHROMIUM; the administrator
//      "admin" with VIGIL_TEST_PASSWORD exists already
// Prints "ok - ..." / "not ok - ..." lines and "volume NAME: N passed, M
// failed"; exit status 1 when something failed.
import { chromium } from 'playwright-core';
import { CHROME_ARGS, assert, harness } from './lib.mjs';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const NAME = process.env.NAME || 'volume';
const ART = process.env.ARTIFACTS || 'build/test-artifacts/browser';
const PASSWORD = process.env.VIGIL_TEST_PASSWORD || 'correct horse battery staple';
// only a hang takes this long; no verdict depends on the machine's speed
const TIMEOUT = Number(process.env.VIGIL_TIMEOUT || 60) * 1000;
// alert rows that must fit on 1366x900 below the top bar, title and filters
const MIN_ROWS = Number(process.env.MIN_ALERT_ROWS || 15);

mkdirSync(ART, { recursive: true });
const problems = [];

const { check, until, finish } = harness(NAME, TIMEOUT);

const userDataDir = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true, args: CHROME_ARGS, viewport: { width: 1366, height: 900 },
	timezoneId: 'Asia/Kolkata', // UTC+05:30: local time differs from UTC by a non-whole hour
});
context.setDefaultTimeout(TIMEOUT);
const page = context.pages()[0] || await context.newPage();
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
const api = async (path) => (await context.request.get(`${BASE}/api/${path}`)).json();

// ms from navigation to the first row of a table (or the selector)
async function firstRender(p, hash, selector) {
	const t0 = Date.now();
	await p.goto(`${BASE}/#/${hash}`);
	await p.locator(selector).first().waitFor();
	return Date.now() - t0;
}
// rows of the table whose bottom edge is inside the window
const rowsInView = (p, sel) => p.evaluate((s) => [...document.querySelectorAll(s)]
	.filter((r) => r.getBoundingClientRect().bottom <= window.innerHeight).length, sel);
const overflow = (p) => p.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));

try {
	await check('sign in', async () => {
		await page.goto(BASE + '/');
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
		await page.getByLabel('User name').fill('admin');
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
	});

	await check('the main pages render at volume (time to the first row printed)', async () => {
		const times = {
			alerts: await firstRender(page, 'alerts', '.alerts-table tbody tr'),
			'alerts by signature': await firstRender(page, 'alerts?view=signature', '.groups-table tbody tr'),
			dashboard: await firstRender(page, 'dashboard', '.sevcard'),
			flows: await firstRender(page, 'flows', 'table tbody tr'),
		};
		console.log(`# ${NAME}: first render (ms): ${Object.entries(times).map(([k, v]) => `${k} ${v}`).join(', ')}`);
	});

	await check(`at least ${MIN_ROWS} alerts fit on 1366x900 with the filters open`, async () => {
		await page.goto(`${BASE}/#/alerts`);
		await page.locator('.alerts-table tbody tr').first().waitFor();
		assert(await page.locator('#alert-filters').isVisible(), 'the filters are not shown');
		const n = await rowsInView(page, '.alerts-table tbody tr');
		console.log(`# ${NAME}: ${n} alert rows fit on 1366x900`);
		await page.screenshot({ path: join(ART, `${NAME}-01-alerts-1366x900.png`) });
		assert(n >= MIN_ROWS, `${n} rows fit`);
	});

	await check('the filters fold into one button and stay folded after a reload', async () => {
		await page.getByRole('button', { name: /Hide filters/ }).click();
		await page.locator('#alert-filters').waitFor({ state: 'hidden' });
		await page.reload();
		await page.locator('.alerts-table tbody tr').first().waitFor();
		assert(!(await page.locator('#alert-filters').isVisible()), 'the filters opened again');
		const n = await rowsInView(page, '.alerts-table tbody tr');
		console.log(`# ${NAME}: ${n} alert rows fit with the filters folded`);
		await page.getByRole('button', { name: /^Filters/ }).click();
		await page.locator('#alert-filters').waitFor();
	});

	for (const [sort, label] of [['severity', 'Severity'], ['count', 'Count'], ['first_seen', 'First seen'], ['last_seen', 'Last seen']]) {
		await check(`sort by ${label.toLowerCase()}: the rows in the API's order`, async () => {
			await page.getByLabel('Sort by').selectOption(sort);
			if (sort !== 'last_seen') await page.waitForURL(new RegExp(`sort=${sort}`));
			const want = (await api(`alerts?sort=${sort}&limit=50`)).alerts.map((a) => String(a.id));
			await page.waitForFunction((w) => {
				const got = [...document.querySelectorAll('.alerts-table tbody tr')].map((r) => r.dataset.id);
				return got.length === w.length && got.every((x, i) => x === w[i]);
			}, want, { timeout: TIMEOUT });
		});
	}

	await check('reversed: the least severe first', async () => {
		await page.getByLabel('Sort by').selectOption('severity');
		await page.getByRole('button', { name: /Worst first/ }).click();
		await page.waitForURL(/order=asc/);
		const want = (await api('alerts?sort=severity&order=asc&limit=50')).alerts;
		assert(want[0].severity === 4, `API's first severity ${want[0].severity}`);
		await page.waitForFunction((id) => document.querySelector('.alerts-table tbody tr')?.dataset.id === id,
			String(want[0].id), { timeout: TIMEOUT });
	});

	await check('by signature: one row per signature with alert and host counts; a row expands to its alerts', async () => {
		await page.goto(`${BASE}/#/alerts?sort=severity`);
		await page.getByRole('button', { name: 'By signature' }).click();
		await page.waitForURL(/view=signature/);
		const g = await api('alerts/groups?sort=severity&limit=50');
		assert(g.total >= 50, `only ${g.total} signatures`);
		await page.locator('.count-label', { hasText: `${g.total.toLocaleString('en-US')} signatures` }).waitFor();
		const rows = page.locator('.groups-table tr.group-row');
		await rows.first().waitFor();
		assert(await rows.count() === g.groups.length, `${await rows.count()} rows, API ${g.groups.length}`);
		const top = g.groups[0];
		const first = rows.first();
		const text = await first.innerText();
		assert(text.includes(top.signature), `first row: ${text.slice(0, 80)}`);
		assert(text.includes(`${top.sources} → ${top.destinations}`), `no host counts in ${text}`);
		await first.getByRole('button', { name: /Show the alerts of/ }).click();
		const nested = page.locator('.group-detail .alerts-table tbody tr');
		await nested.first().waitFor();
		assert(await nested.count() === Math.min(top.alerts, 100), `${await nested.count()} nested rows, the group has ${top.alerts}`);
		await page.screenshot({ path: join(ART, `${NAME}-02-by-signature.png`) });
	});

	await check('dashboard: severity cards count new and triaged alerts apart', async () => {
		await page.goto(`${BASE}/#/dashboard`);
		await page.locator('.sevcard').first().waitFor();
		const d = await api('dashboard');
		for (const s of [1, 2, 3, 4]) {
			const card = page.locator(`.sevcard-${s}`);
			const n = d.severity[s], fresh = d.severity_new[s];
			assert((await card.locator('.sevcard-n').innerText()) === fresh.toLocaleString('en-US'), `card ${s}: ${await card.innerText()}`);
			assert((await card.locator('.sevcard-sub').innerText()).includes(`${(n - fresh).toLocaleString('en-US')} triaged`), `card ${s}: ${await card.innerText()}`);
		}
		assert(Object.values(d.severity_new).some((x) => x > 0) && Object.values(d.severity).some((x, i) => x > d.severity_new[i + 1]),
			'the fixture has no triaged or no new alerts');
		await page.locator('.sevcard-1 .sevcard-main').click();
		await page.waitForURL(/status=new/);
	});

	await check('flows: search by port and protocol, sort by bytes: the API\'s rows, the biggest first', async () => {
		await page.goto(`${BASE}/#/flows`);
		await page.locator('table tbody tr').first().waitFor();
		if (!(await page.locator('#ff-port').isVisible())) await page.getByRole('button', { name: /^Search/ }).click();
		await page.getByLabel('Port').fill('443');
		await page.getByLabel('Protocol').selectOption('TCP');
		await page.getByRole('button', { name: 'Search', exact: true }).click();
		await page.waitForURL(/port=443/);
		await page.getByLabel('Sort by').selectOption('bytes');
		await page.waitForURL(/sort=bytes/);
		const d = await api('flows?port=443&proto=TCP&sort=bytes&limit=5');
		assert(d.total > 0 && d.flows[0].bytes_toserver + d.flows[0].bytes_toclient >= d.flows[4].bytes_toserver + d.flows[4].bytes_toclient, 'API order');
		await page.getByText(`${d.total.toLocaleString('en-US')} flows match, by bytes`).waitFor();
		// the list follows once its request is answered
		const row = page.locator('.flows-table tbody tr').first();
		const want = `${d.flows[0].src_ip}:${d.flows[0].src_port}`;
		await until(async () => (await row.innerText()).includes(want), `first row is not ${want}: ${(await row.innerText()).slice(0, 120)}`);
	});

	// "2025-01-07 12:34:56" of microseconds, in UTC or UTC+05:30
	const iso = (us, offsetMin = 0) => new Date(us / 1000 + offsetMin * 60000).toISOString().replace('T', ' ').slice(0, 19);
	await check('times: UTC by default, shown in the top bar; local time on request, remembered after a reload', async () => {
		const a = (await api('alerts?limit=1')).alerts[0];
		await page.goto(`${BASE}/#/alerts`);
		const tz = page.locator('.tz-btn');
		assert((await tz.innerText()).includes('UTC'), `top bar: ${await tz.innerText()}`);
		const cell = page.locator(`.alerts-table tr[data-id="${a.id}"] td.time`);
		assert((await cell.innerText()).trim() === iso(a.last_seen_us), `UTC: ${await cell.innerText()} vs ${iso(a.last_seen_us)}`);
		await tz.click();
		await page.waitForFunction(() => /Asia\/(Kolkata|Calcutta)/.test(document.querySelector('.tz-btn').innerText));
		await until(async () => (await cell.innerText()).trim() === iso(a.last_seen_us, 330), `local: ${await cell.innerText()}`);
		await page.reload();
		await cell.waitFor();
		assert(/Asia\/(Kolkata|Calcutta)/.test(await page.locator('.tz-btn').innerText()), 'the choice was not remembered');
		assert((await cell.innerText()).trim() === iso(a.last_seen_us, 330), `after reload: ${await cell.innerText()}`);
		await page.locator('.tz-btn').click();
		await until(async () => (await cell.innerText()).trim() === iso(a.last_seen_us), 'back to UTC');
	});

	await check('charts: the legend shows the totals away from the cursor and 24-hour values at it', async () => {
		await page.goto(`${BASE}/#/dashboard`);
		const chart = page.locator('section[aria-labelledby="traffic-h"] .chart');
		await chart.locator('.u-legend').waitFor();
		const d = await api('dashboard');
		const flows = d.buckets.reduce((n, b) => n + b.flows, 0);
		const away = await chart.locator('.u-legend').innerText();
		assert(away.includes('Time (UTC)') && away.includes(`${flows.toLocaleString('en-US')} in all`), `legend away: ${away}`);
		const box = await chart.locator('.u-over').boundingBox();
		await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
		await until(async () => !(await chart.locator('.u-legend').innerText()).includes('in all'), 'the legend did not follow the cursor');
		const at = await chart.locator('.u-legend').innerText();
		assert(/\d{4}-\d\d-\d\d \d\d:\d\d/.test(at) && !/AM|PM/.test(at), `legend at the cursor: ${at}`);
		await page.screenshot({ path: join(ART, `${NAME}-04-dashboard-legend.png`) });
	});

	await check('a phone (390 px): no page is wider than the screen, a long certificate hash included', async () => {
		const phone = await context.newPage();
		await phone.setViewportSize({ width: 390, height: 844 });
		const wide = [];
		const ioc = (await api('alerts?engine=ioc&severity=1&q=SHA-256&limit=1')).alerts[0];
		assert(ioc && /[0-9a-f]{64}/.test(ioc.signature), 'the fixture has no alert with a long hash');
		for (const [hash, sel] of [['alerts', '.alerts-table tbody tr'], ['alerts?view=signature', '.groups-table tbody tr'],
			['alerts?q=SHA-256', '.alerts-table tbody tr'], ['alerts?view=signature&q=SHA-256', '.groups-table tbody tr'],
			[`alerts/${ioc.id}`, '#page-h1'], ['dashboard', '.sevcard'], ['flows', 'table tbody tr']]) {
			await phone.goto(`${BASE}/#/${hash}`);
			await phone.locator(sel).first().waitFor();
			const o = await overflow(phone);
			if (o.sw > o.cw) wide.push(`${hash}: ${o.sw} px`);
		}
		await phone.goto(`${BASE}/#/alerts?q=SHA-256`);
		await phone.locator('.alerts-table tbody tr').first().waitFor();
		await phone.screenshot({ path: join(ART, `${NAME}-03-phone-long-hash.png`), fullPage: false });
		await phone.close();
		assert(!wide.length, wide.join(', '));
	});

	await check('no page errors', async () => {
		assert(!problems.length, problems.join(' | '));
	});
} finally {
	await context.close();
	rmSync(userDataDir, { recursive: true, force: true });
}
finish('volume');
