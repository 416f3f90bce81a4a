#!/usr/bin/env node
// One pass of the analyst's scenario in Debian's Chromium (playwright-core):
// first-start setup, sign-in, the alerts of the demo data, a filter, an
// alert's detail, acknowledge (kept after a reload), a note, bulk
// acknowledge, live polling, accounts (a new analyst's first sign-in,
// changing one's own password, an admin disabling, resetting and deleting
// an account while its owner's page is open), every other page, the phone
// layout, cookies, CSRF, CSP. Screenshots go to $ARTIFACTS/$NAME-NN-step.png.
//
// env: BASE_URL (http://127.0.0.1:PORT or https://127.0.0.1:PORT),
//      SETUP_TOKEN, NAME (direct|https), ARTIFACTS, CHROMIUM (/usr/bin/chromium)
//      INJECT_CMD: a command that adds a beacon alert to the served database
//      RECUR_CMD: a sensor run that raises the FTP alert again (it recurs)
//      (a `vigil replay` into it) while the alerts page is open
// Prints one "ok - ..." / "not ok - ..." line per check and
// "scenario NAME: N passed, M failed"; exit status 1 when something failed.
import { chromium } from 'playwright-core';
import { CHROME_ARGS, assert, harness } from './lib.mjs';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { execSync } from 'node:child_process';
import { join } from 'node:path';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const TOKEN = process.env.SETUP_TOKEN || '';
const NAME = process.env.NAME || 'direct';
const ART = process.env.ARTIFACTS || 'build/test-artifacts/browser';
const HTTPS = BASE.startsWith('https:');
const USER = 'admin';
const PASSWORD = process.env.VIGIL_TEST_PASSWORD || 'correct horse battery staple';
const FTP = 'vigil POLICY FTP control session';
const PORTSCAN = 'vigil portscan';
// How long a wait may take before the check fails: only a hang takes this
// long (every wait ends as soon as its condition holds), so no verdict
// depends on how fast the machine is (VIGIL_TIMEOUT seconds overrides it).
const TIMEOUT = Number(process.env.VIGIL_TIMEOUT || 60) * 1000;

mkdirSync(ART, { recursive: true });
let shot = 0;
const problems = []; // page errors, CSP violations
const a11y = []; // accessibility violations found by axe-core
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core's WCAG 2 A/AA rules on the page as it is; serious and critical
// findings are kept for the final check.
async function axe(page, where) {
	try {
		await page.evaluate(AXE);
		const r = await page.evaluate(() => window.axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
			resultTypes: ['violations'],
		}).then((x) => x.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length, target: v.nodes[0] && v.nodes[0].target.join(' ') }))));
		for (const v of r) {
			if (v.impact === 'serious' || v.impact === 'critical') a11y.push(`${where}: ${v.id} (${v.impact}, ${v.n}x, e.g. ${v.target})`);
			else console.log(`# ${NAME}: ${where}: axe ${v.impact}: ${v.id} (${v.n}x)`);
		}
	} catch (e) {
		a11y.push(`${where}: axe could not run: ${e.message.split('\n')[0]}`);
	}
}

const { check, until, finish } = harness(NAME, TIMEOUT);
async function screenshot(page, step) {
	shot++;
	const file = join(ART, `${NAME}-${String(shot).padStart(2, '0')}-${step}.png`);
	// from the top, so the sticky top bar sits where it belongs in a full-page shot
	await page.evaluate(() => window.scrollTo(0, 0)).catch(() => {});
	await page.screenshot({ path: file, fullPage: true }).catch((e) => console.log(`# screenshot ${file} failed: ${e.message}`));
}

const userDataDir = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
const ARGS = [...CHROME_ARGS, '--disable-quic'];
const context = await chromium.launchPersistentContext(userDataDir, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ARGS,
	ignoreHTTPSErrors: HTTPS,
	viewport: { width: 1366, height: 900 },
	acceptDownloads: true,
});
context.setDefaultTimeout(TIMEOUT);

function watch(page, label) {
	page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
	page.on('console', (m) => {
		const t = m.text();
		if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(t)) problems.push(`${label}: ${t}`);
	});
}

const page = context.pages()[0] || await context.newPage();
watch(page, 'desktop');
let second = null; // another browser (its own cookies): the analyst's phone

try {
	await check('the first start asks for the setup token', async () => {
		await page.goto(BASE + '/');
		await page.getByRole('heading', { name: 'First start' }).waitFor();
		await page.getByLabel('Setup token').fill(TOKEN);
		await page.getByLabel('Administrator user name').fill(USER);
		await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
		await page.getByLabel('Password again').fill(PASSWORD);
		await screenshot(page, 'setup');
		await axe(page, 'setup');
	});

	await check('a wrong setup token is refused with the API message', async () => {
		await page.getByLabel('Setup token').fill('not-the-token');
		await page.getByRole('button', { name: 'Create administrator' }).click();
		await page.locator('.error').waitFor();
		await page.getByLabel('Setup token').fill(TOKEN);
	});

	await check('setup creates the administrator, then the sign-in page shows', async () => {
		await page.getByRole('button', { name: 'Create administrator' }).click();
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
	});

	await check('a wrong password is refused with a message', async () => {
		await page.getByLabel('User name').fill(USER);
		await page.getByLabel('Password').fill('wrong password 123');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.locator('.error').waitFor();
		await screenshot(page, 'login-failed');
		await axe(page, 'sign-in');
	});

	await check('sign-in opens the alerts with the demo data', async () => {
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
		await page.getByRole('link', { name: FTP }).first().waitFor();
		await page.getByRole('link', { name: new RegExp(PORTSCAN) }).first().waitFor();
		await screenshot(page, 'alerts');
		await axe(page, 'alerts');
	});

	await check('session cookie is HttpOnly, SameSite=Strict' + (HTTPS ? ', Secure' : ''), async () => {
		const c = (await context.cookies(BASE)).find((x) => x.name === 'vigil_session');
		assert(c, 'no vigil_session cookie');
		assert(c.httpOnly, 'cookie is not HttpOnly');
		assert(c.sameSite === 'Strict', `SameSite is ${c.sameSite}`);
		if (HTTPS) assert(c.secure, 'cookie is not Secure over HTTPS');
		assert(c.value.length >= 40, 'session id looks short');
	});

	await check('a POST without the CSRF token is refused (403)', async () => {
		const r = await context.request.post(BASE + '/api/alerts/ack', { data: { ids: [] }, failOnStatusCode: false });
		assert(r.status() === 403, `got ${r.status()}`);
	});

	await check('the alerts page polls for new alerts (since_id), not more often than every 5 s', async () => {
		// timers fire late on a busy machine, never early: the gap between
		// two polls has a lower bound whatever the speed
		const poll = (r) => r.url().includes('/api/alerts?') && r.url().includes('since_id=');
		await page.waitForRequest(poll);
		const t0 = Date.now();
		await page.waitForRequest(poll);
		const gap = Date.now() - t0;
		assert(gap >= 4500, `polled again after ${gap} ms`);
	});

	if (process.env.INJECT_CMD) {
		await check('a new alert appears without a reload, highlighted', async () => {
			const before = await page.evaluate(() => performance.getEntriesByType('navigation').length);
			execSync(process.env.INJECT_CMD, { stdio: 'inherit', timeout: 60000 });
			const row = page.locator('tr.fresh-new', { hasText: 'vigil beacon' });
			await row.waitFor();
			assert(await row.locator('.pill-new').count() === 1, 'no "new" mark');
			const after = await page.evaluate(() => performance.getEntriesByType('navigation').length);
			assert(before === after, 'the page was reloaded');
			await screenshot(page, 'live-new-alert');
		});
	}

	await check('filter engine=detector shows the port scan and hides the FTP alert', async () => {
		await page.getByLabel('Engine').selectOption('detector');
		await page.waitForURL(/engine=detector/);
		await page.getByRole('link', { name: new RegExp(PORTSCAN) }).first().waitFor();
		await page.getByRole('link', { name: FTP }).waitFor({ state: 'detached' });
		await screenshot(page, 'filter-detector');
	});

	await check('filters combine (severity + text) and an empty result says so', async () => {
		await page.getByLabel('Text').fill('no-such-alert-text');
		await page.getByRole('button', { name: 'Apply' }).click();
		await page.getByText('No alert matches these filters.').waitFor();
		await page.getByRole('link', { name: 'Clear filters' }).click();
		await page.getByRole('link', { name: FTP }).first().waitFor();
	});

	await check('time presets count back from the newest data of a served database, and say so', async () => {
		// the captures are from 2024: counted from the wall clock "last 24 hours" would be empty
		const clk = await (await context.request.get(BASE + '/api/clock')).json();
		assert(clk.live === false && clk.newest_us > 0, `clock: ${JSON.stringify(clk)}`);
		const asked = page.waitForRequest((r) => /\/api\/alerts\?.*from=/.test(r.url()));
		await page.getByLabel('Last seen').selectOption('24h');
		const from = Number(new URL((await asked).url()).searchParams.get('from'));
		assert(Math.abs(from - (clk.newest_us - 86400e6)) < 60e6, `from=${from}, newest ${clk.newest_us}`);
		const note = page.locator('.preset-note');
		await note.waitFor();
		assert(/newest data \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(await note.innerText()), `note: ${await note.innerText()}`);
		await until(async () => await page.locator('.alerts-table tbody tr').count() > 0, 'no alert in the last 24 hours of the data');
		await screenshot(page, 'preset-from-data');
		await page.goto(BASE + '/#/alerts');
		await page.getByRole('link', { name: FTP }).first().waitFor();
		assert(await page.locator('.preset-note').count() === 0, 'the note shows without a preset');
	});

	let detailUrl = '';
	await check('the detail shows the rule text, references and the flows nDPI classified', async () => {
		await page.getByRole('link', { name: FTP }).first().click();
		await page.getByRole('heading', { name: FTP, level: 1 }).waitFor();
		detailUrl = page.url();
		const rule = page.locator('.rule-text');
		await rule.waitFor();
		const text = await rule.innerText();
		assert(/sid:2100002/.test(text), `rule text without sid: ${text.slice(0, 80)}`);
		// the flows come from their own request (alerts/ID/flows), after the detail
		const flows = page.locator('#flows-h').locator('xpath=../..').locator('tbody tr');
		await until(async () => await flows.count() >= 1, 'no flow listed');
		const ft = await flows.first().innerText();
		assert(/FTP/i.test(ft), `flow row does not name FTP: ${ft.slice(0, 120)}`);
		// the application as EVE names it, with nDPI's name beside it
		assert(/\bftp \(nDPI: FTP_CONTROL\)/.test(ft), `flow row without EVE's and nDPI's names: ${ft.slice(0, 160)}`);
		await screenshot(page, 'detail');
	});

	await check('acknowledge: the status is kept after a reload', async () => {
		await page.getByRole('button', { name: 'Acknowledged' }).click();
		await page.locator('.detail-head .status-acknowledged').waitFor();
		await page.reload();
		await page.getByRole('heading', { name: FTP, level: 1 }).waitFor();
		const pressed = await page.getByRole('button', { name: 'Acknowledged' }).getAttribute('aria-pressed');
		assert(pressed === 'true', `after reload aria-pressed=${pressed}`);
		await page.locator('.detail-head .status-acknowledged').waitFor();
	});

	const note = `Checked with the owner of the FTP server (${NAME} run).`;
	await check('add a note: listed with the user, kept after a reload', async () => {
		await page.getByLabel('Add a note').fill(note);
		await page.getByRole('button', { name: 'Add note' }).click();
		await page.locator('.note-item', { hasText: note }).waitFor();
		await page.reload();
		const item = page.locator('.note-item', { hasText: note });
		await item.waitFor();
		assert((await item.innerText()).includes(USER), 'note without its user');
		await screenshot(page, 'detail-note');
		await axe(page, 'alert detail');
	});

	await check('suppress asks for a confirmation, cancel does nothing', async () => {
		await page.getByRole('button', { name: 'Suppress by source' }).click();
		const dlg = page.getByRole('dialog');
		await dlg.waitFor();
		await screenshot(page, 'suppress-confirm');
		await dlg.getByRole('button', { name: 'Cancel' }).click();
		await dlg.waitFor({ state: 'hidden' });
		assert(await page.locator('#suppress-h').locator('xpath=../..').locator('.note').count() === 0, 'something was added');
	});

	await check('suppress by source: a reason is required; with a reason and an expiry the suppress line is shown', async () => {
		await page.getByRole('button', { name: 'Suppress by source' }).click();
		const dlg = page.getByRole('dialog');
		await dlg.getByRole('button', { name: 'Suppress' }).click();
		await dlg.locator('.error, [role=alert]').first().waitFor();
		assert(/why/i.test(await dlg.innerText()), 'no word about the missing reason');
		assert(await page.locator('#suppress-h').locator('xpath=../..').locator('.note').count() === 0, 'added without a reason');
		await dlg.getByLabel(/^Why/).fill('lab scanner, browser test');
		await dlg.getByLabel(/^Expires/).fill('2099-06-07T08:09');
		await screenshot(page, 'suppress-confirm-reason');
		await dlg.getByRole('button', { name: 'Suppress' }).click();
		await dlg.waitFor({ state: 'hidden' });
		const note = page.locator('#suppress-h').locator('xpath=../..').locator('.note');
		await note.waitFor();
		const t = await note.innerText();
		assert(/suppress gen_id 1, sig_id 2100002, track by_src, ip 192\.168\.10\.30 # expires 2099-06-07T08:09:00Z/.test(t), `shown: ${t}`);
		await screenshot(page, 'suppressed');
	});

	await check('Suppressions page: the entry listed with who added it; remove asks, cancel keeps it, confirm removes it', async () => {
		await page.locator('#suppress-h').locator('xpath=../..').getByRole('link', { name: 'Suppressions' }).click();
		await page.waitForURL(/#\/suppressions/);
		const line = 'suppress gen_id 1, sig_id 2100002, track by_src, ip 192.168.10.30 # expires 2099-06-07T08:09:00Z';
		const row = page.locator('tbody tr', { hasText: line });
		await row.waitFor();
		const t = await row.innerText();
		assert(t.includes(USER) && /alert \d+\s+lab scanner, browser test/.test(t), `row: ${t}`);
		// vigil serve runs no sensor: nothing silenced yet, said as 0
		assert((await row.locator('td[data-label="Silenced"]').innerText()).trim() === '0', `silenced: ${t}`);
		await screenshot(page, 'suppressions');
		await axe(page, 'suppressions');
		await row.getByRole('button', { name: /Remove/ }).click();
		let dlg = page.getByRole('dialog');
		await dlg.waitFor();
		await dlg.getByRole('button', { name: 'Cancel' }).click();
		await dlg.waitFor({ state: 'hidden' });
		assert(await row.count() === 1, 'cancel removed the entry');
		await row.getByRole('button', { name: /Remove/ }).click();
		dlg = page.getByRole('dialog');
		await dlg.getByRole('button', { name: 'Remove' }).click();
		await row.waitFor({ state: 'detached' });
		await page.reload();
		await page.getByRole('heading', { name: 'Suppressions', level: 1 }).waitFor();
		await page.locator('.panel').first().waitFor();
		await until(async () => await page.locator('tbody tr', { hasText: line }).count() === 0 &&
			await page.getByText('No suppressions').count() === 1, 'the entry is still listed after a reload');
		await page.goto(`${BASE}/#/audit`);
		await page.locator('tbody tr', { hasText: 'unsuppress' }).first().waitFor();
	});

	await check('Suppressions page: add one with a reason and an expiry, listed with them, then removed', async () => {
		await page.goto(`${BASE}/#/suppressions`);
		await page.getByRole('heading', { name: 'Suppressions', level: 1 }).waitFor();
		await page.getByLabel('sig_id').fill('2100077');
		await page.getByLabel('Applies to').selectOption('by_dst');
		await page.getByLabel('Address').fill('10.20.30.40');
		await page.getByLabel('Why').fill('backup server, browser test');
		await page.getByLabel(/^Expires/).fill('2099-06-07T08:09');
		await page.getByRole('button', { name: 'Add suppression' }).click();
		const line = 'suppress gen_id 1, sig_id 2100077, track by_dst, ip 10.20.30.40 # expires 2099-06-07T08:09:00Z';
		const row = page.locator('tbody tr', { hasText: line });
		await row.waitFor();
		const t = await row.innerText();
		assert(t.includes('backup server, browser test') && t.includes(USER) && t.includes('2099-06-07T08:09:00Z'), `row: ${t}`);
		await screenshot(page, 'suppression-added');
		await axe(page, 'suppressions with an entry');
		await row.getByRole('button', { name: /Remove/ }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
		await row.waitFor({ state: 'detached' });
	});

	await check('the list shows the new status; bulk acknowledge of the detector alerts', async () => {
		await page.goto(BASE + '/#/alerts');
		const row = page.locator('tr', { has: page.getByRole('link', { name: FTP }) });
		await row.locator('.status-acknowledged').waitFor();
		await page.getByLabel('Engine').selectOption('detector');
		await page.waitForURL(/engine=detector/);
		await page.getByRole('link', { name: new RegExp(PORTSCAN) }).first().waitFor();
		await page.getByLabel('Select all alerts on this page').check();
		await page.getByRole('button', { name: 'Acknowledge selected' }).click();
		await page.getByRole('button', { name: 'Acknowledge selected' }).waitFor({ state: 'detached' });
		// the selection clears before the list is read again: wait for the new list
		await page.waitForFunction(() => [...document.querySelectorAll('tbody tr')].every((r) => r.querySelector('.status-acknowledged')),
			null, { timeout: TIMEOUT }).catch(() => {});
		const rows = page.locator('tbody tr');
		const n = await rows.count();
		assert(n > 0, 'no rows');
		// the list is fetched again after the acknowledgement
		await until(async () => await page.locator('tbody tr .status-acknowledged').count() === n,
			'not every detector alert is acknowledged');
		await screenshot(page, 'bulk-ack');
	});


	await check('the export links carry the filters', async () => {
		const csv = await page.getByRole('link', { name: 'CSV' }).getAttribute('href');
		assert(/export\.csv\?.*engine=detector/.test(csv), `csv link ${csv}`);
		const r = await context.request.get(new URL(csv, page.url()).href, { failOnStatusCode: false });
		assert(r.status() === 200, `export.csv gave ${r.status()}`);
		const body = await r.text();
		assert(body.includes('portscan') && !body.includes('FTP control'), 'CSV does not follow the filter');
	});

	if (process.env.RECUR_CMD) {
		await check('the acknowledged FTP alert fires again: new, marked "recurred" in the list and the detail', async () => {
			execSync(process.env.RECUR_CMD, { stdio: 'inherit', timeout: 120000, shell: '/bin/sh' });
			await page.goto(BASE + '/#/alerts');
			await page.reload();
			const row = page.locator('tr', { has: page.getByRole('link', { name: FTP }) });
			await row.locator('.pill-recur').waitFor();
			assert(await row.locator('.status-new').count() === 1, `status: ${await row.innerText()}`);
			// seen, not clipped by an ellipsis or covered: the pill is what is at its centre
			const shown = (l) => l.evaluate((el) => {
				const r = el.getBoundingClientRect();
				return r.width > 0 && el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
			});
			await row.locator('.pill-recur').scrollIntoViewIfNeeded();
			assert(await shown(row.locator('.pill-recur')), 'the "recurred" mark is hidden');
			const title = await row.locator('.pill-recur').getAttribute('title');
			assert(/^Recurred \d{4}-\d\d-\d\d \d\d:\d\d/.test(title || ''), `title: ${title}`);
			await screenshot(page, 'recurred-list');
			await row.getByRole('link', { name: FTP }).click();
			await page.locator('.detail-head .pill-recur').waitFor();
			assert(await shown(page.locator('.detail-head .pill-recur')), 'the detail\'s "recurred" mark is hidden');
			assert(await page.locator('.recurred', { hasText: 'Recurred' }).count() === 1, 'no recurrence note in the history');
			await screenshot(page, 'recurred-detail');
		});
	}

	await check('an administrator adds an analyst', async () => {
		await page.goto(`${BASE}/#/users`);
		await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
		await page.getByLabel('User name').fill('analyst1');
		await page.getByLabel('Role').selectOption('analyst');
		await page.getByLabel('Password', { exact: true }).fill('analyst password 42');
		await page.getByLabel('Password again').fill('analyst password 42');
		await page.getByRole('button', { name: 'Add user' }).click();
		await page.locator('tbody tr', { hasText: 'analyst1' }).waitFor();
	});

	// ---- accounts: the analyst on a phone (a second browser), the admin here
	const ANALYST = 'analyst1';
	const FIRST_PW = 'analyst password 42';
	const OWN_PW = 'my own analyst passphrase';
	const NEWER_PW = 'an even newer passphrase';
	second = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
	const ctx2 = await second.newContext({ ignoreHTTPSErrors: HTTPS, viewport: { width: 390, height: 844 } });
	ctx2.setDefaultTimeout(TIMEOUT);
	const ana = await ctx2.newPage();
	watch(ana, 'analyst');
	const signIn = async (p, user, pw) => {
		await p.getByRole('heading', { name: 'Sign in' }).waitFor();
		await p.getByLabel('User name').fill(user);
		await p.getByLabel('Password').fill(pw);
		await p.getByRole('button', { name: 'Sign in' }).click();
	};
	const usersRow = (name) => page.locator('tbody tr', { has: page.locator('strong', { hasText: new RegExp(`^${name}$`) }) });
	const confirmAction = async (button, confirmLabel, shot) => {
		await page.getByRole('button', { name: button }).click();
		const dlg = page.getByRole('dialog');
		await dlg.waitFor();
		if (shot) { await screenshot(page, shot); await axe(page, `users: ${shot}`); }
		await dlg.getByRole('button', { name: confirmLabel, exact: true }).click();
		await dlg.waitFor({ state: 'hidden' });
	};

	await check('a new analyst must choose a password at the first sign-in (phone)', async () => {
		await ana.goto(BASE + '/');
		await signIn(ana, ANALYST, FIRST_PW);
		await ana.getByRole('heading', { name: 'Choose your password' }).waitFor();
		await screenshot(ana, 'phone-first-password');
		await axe(ana, 'choose your password (phone)');
		await ana.getByLabel('Password you signed in with').fill(FIRST_PW);
		await ana.getByLabel('New password', { exact: true }).fill(OWN_PW);
		await ana.getByLabel('New password again').fill(OWN_PW);
		await ana.getByRole('button', { name: 'Save and continue' }).click();
		await ana.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
		const r = await ctx2.request.get(BASE + '/api/me', { failOnStatusCode: false });
		assert(r.status() === 200 && (await r.json()).must_change_password === false, `/api/me: ${r.status()}`);
	});

	await check('the analyst changes their own password from the menu and signs in with the new one', async () => {
		await ana.getByRole('button', { name: 'Menu' }).click();
		await ana.getByRole('link', { name: 'Account' }).click();
		await ana.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
		await ana.getByLabel('Current password').fill('not my password');
		await ana.getByLabel('New password', { exact: true }).fill(NEWER_PW);
		await ana.getByLabel('New password again').fill(NEWER_PW);
		await ana.getByRole('button', { name: 'Change password' }).click();
		await ana.locator('.error', { hasText: /current password is wrong/i }).waitFor();
		await ana.getByLabel('Current password').fill(OWN_PW);
		await ana.getByRole('button', { name: 'Change password' }).click();
		await ana.getByText('Password changed.').waitFor();
		const over = await ana.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		assert(over <= 0, `the account page scrolls sideways by ${over}px`);
		await screenshot(ana, 'phone-account');
		await axe(ana, 'account (phone)');
		await ana.getByRole('button', { name: 'Menu' }).click();
		await ana.getByRole('button', { name: 'Sign out' }).click();
		await signIn(ana, ANALYST, OWN_PW);
		await ana.locator('.error').waitFor();
		await ana.getByLabel('Password').fill(NEWER_PW);
		await ana.getByRole('button', { name: 'Sign in' }).click();
		await ana.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
	});

	await check('the last administrator cannot be disabled, demoted or deleted (buttons off)', async () => {
		await page.goto(`${BASE}/#/users`);
		await page.reload();   // the list as it is now (the analyst has signed in)
		const row = usersRow(USER);
		await row.waitFor();
		for (const b of [`Disable ${USER}`, `Make analyst ${USER}`, `Delete ${USER}`]) {
			assert(await row.getByRole('button', { name: b }).isDisabled(), `${b} is not disabled`);
		}
		await row.getByText('The last enabled administrator').waitFor();
		await usersRow(ANALYST).getByText('Signed in').waitFor();
	});

	await check("an admin disables the analyst: the analyst's open page is signed out", async () => {
		await ana.goto(`${BASE}/#/dashboard`);   // a page that does not poll its data
		await ana.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
		await confirmAction(`Disable ${ANALYST}`, 'Disable', 'users-disable-confirm');
		await usersRow(ANALYST).getByText('Disabled', { exact: true }).waitFor();
		await screenshot(page, 'users-disabled');
		// the page asks every 15 s whether its session holds
		await ana.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: TIMEOUT + 15000 });
		await ana.getByText('Your session has ended').waitFor();
		await screenshot(ana, 'phone-signed-out');
		await signIn(ana, ANALYST, NEWER_PW);
		await ana.locator('.error', { hasText: /wrong user ?name or password/i }).waitFor();
	});

	await check('an admin enables the analyst and sets a new password: a new one is asked at the sign-in', async () => {
		await confirmAction(`Enable ${ANALYST}`, 'Enable');
		await usersRow(ANALYST).getByText('Enabled', { exact: true }).waitFor();
		await page.getByRole('button', { name: `Set password ${ANALYST}` }).click();
		const dlg = page.getByRole('dialog');
		await dlg.waitFor();
		await dlg.getByLabel('New password', { exact: true }).fill('temporary password 7');
		await dlg.getByLabel('New password again').fill('temporary password 7');
		await screenshot(page, 'users-set-password');
		await axe(page, 'users: set a password');
		await dlg.getByRole('button', { name: 'Set password', exact: true }).click();
		await dlg.waitFor({ state: 'hidden' });
		await usersRow(ANALYST).getByText('Must choose a new password').waitFor();
		await ana.getByLabel('Password').fill('temporary password 7');
		await ana.getByRole('button', { name: 'Sign in' }).click();
		await ana.getByRole('heading', { name: 'Choose your password' }).waitFor();
	});

	await check('an admin deletes the analyst after a confirmation: the page is signed out', async () => {
		await page.getByRole('button', { name: `Delete ${ANALYST}` }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
		await page.getByRole('dialog').waitFor({ state: 'hidden' });
		assert(await usersRow(ANALYST).count() === 1, 'cancel deleted the account');
		await confirmAction(`Delete ${ANALYST}`, 'Delete', 'users-delete-confirm');
		await usersRow(ANALYST).waitFor({ state: 'detached' });
		await ana.getByLabel('Password you signed in with').fill('temporary password 7');
		await ana.getByLabel('New password', { exact: true }).fill(OWN_PW);
		await ana.getByLabel('New password again').fill(OWN_PW);
		await ana.getByRole('button', { name: 'Save and continue' }).click();
		await ana.getByRole('heading', { name: 'Sign in' }).waitFor();
	});

	await check('the audit log names who did what to whom', async () => {
		await page.goto(`${BASE}/#/audit`);
		await page.locator('tbody tr').first().waitFor();
		const t = await page.locator('tbody').innerText();
		for (const w of ['User disabled', 'User enabled', 'Password set by admin', 'User deleted', 'Own password changed']) {
			assert(t.includes(w), `no "${w}" in the audit log`);
		}
	});
	await second.close();
	second = null;

	for (const [route, heading, what] of [
		['dashboard', 'Dashboard', '.sevcards'],
		['flows', 'Flows', 'table'],
		['system', 'System', '#db-h'],
		['users', 'Users', 'table'],
		['audit', 'Audit log', 'table'],
	]) {
		await check(`the ${heading} page renders without error`, async () => {
			await page.goto(`${BASE}/#/${route}`);
			await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
			await page.locator(what).first().waitFor();
			await page.waitForLoadState('networkidle');
			// the error messages shown now (allInnerTexts does not wait for one)
			const errors = await page.locator('.error').allInnerTexts();
			assert(errors.length === 0, `error shown: ${errors.join(' | ')}`);
			await screenshot(page, route);
			await axe(page, route);
		});
	}

	await check('the audit log lists the status change and the note', async () => {
		await page.goto(`${BASE}/#/audit`);
		await page.locator('tbody tr').first().waitFor();
		const t = await page.locator('tbody').innerText();
		assert(/status|acknowledg/i.test(t), 'no status change in the audit log');
		assert(/note/i.test(t), 'no note in the audit log');
	});

	await check('phone (390x844): the alerts are cards, no page scrolls sideways', async () => {
		const phone = await context.newPage();
		watch(phone, 'phone');
		await phone.setViewportSize({ width: 390, height: 844 });
		await phone.goto(`${BASE}/#/alerts`);
		await phone.getByRole('link', { name: FTP }).first().waitFor();
		const m = await phone.evaluate(() => {
			const tr = document.querySelector('table.alerts-table tbody tr');
			const thead = document.querySelector('table.alerts-table thead');
			return {
				scroll: document.documentElement.scrollWidth,
				client: document.documentElement.clientWidth,
				display: tr && getComputedStyle(tr).display,
				thead: thead && getComputedStyle(thead).display,
				width: tr && tr.getBoundingClientRect().width,
			};
		});
		assert(m.scroll <= m.client, `page scrolls sideways: ${m.scroll} > ${m.client}`);
		assert(m.display !== 'table-row', `rows still table rows (${m.display})`);
		assert(m.thead === 'none', 'table header still shown');
		assert(m.width <= 390, `card ${m.width}px wide`);
		await screenshot(phone, 'phone-alerts');
		await axe(phone, 'phone alerts');
		await phone.getByRole('button', { name: 'Menu' }).click();
		await phone.getByRole('link', { name: 'Dashboard' }).waitFor();
		const nav = await phone.locator('#mainnav').boundingBox();
		const brand = await phone.locator('.brand-link').boundingBox();
		assert(nav && brand && nav.y >= brand.y + brand.height - 1 && nav.width >= 340, `the open menu is not a full-width list below the bar: ${JSON.stringify(nav)}`);
		await screenshot(phone, 'phone-menu');
		await phone.goto(`${BASE}${detailUrl ? new URL(detailUrl).pathname + new URL(detailUrl).hash : '/#/alerts'}`);
		await phone.locator('.rule-text').waitFor();
		const w = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		assert(w <= 0, `detail page scrolls sideways by ${w}px`);
		await screenshot(phone, 'phone-detail');
		for (const [route, heading] of [['dashboard', 'Dashboard'], ['flows', 'Flows'], ['users', 'Users'], ['account', 'Your account']]) {
			await phone.goto(`${BASE}/#/${route}`);
			await phone.getByRole('heading', { name: heading, level: 1 }).waitFor();
			await phone.waitForLoadState('networkidle');
			const over = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
			assert(over <= 0, `${route} scrolls sideways by ${over}px`);
			await screenshot(phone, `phone-${route}`);
		}
		await phone.close();
	});

	await check('sign out ends the session (API answers 401 afterwards)', async () => {
		await page.goto(`${BASE}/#/alerts`);
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
		const r = await context.request.get(BASE + '/api/me', { failOnStatusCode: false });
		assert(r.status() === 401, `/api/me gave ${r.status()} after sign-out`);
		await screenshot(page, 'signed-out');
	});

	await check('no CSP violation or script error on any page', async () => {
		assert(problems.length === 0, problems.slice(0, 3).join(' | '));
	});

	await check('no serious accessibility violation (axe-core, WCAG 2.1 A/AA)', async () => {
		assert(a11y.length === 0, a11y.slice(0, 4).join(' | '));
	});
} finally {
	if (second) await second.close().catch(() => {});
	await context.close().catch(() => {});
	rmSync(userDataDir, { recursive: true, force: true });
}

finish('scenario');
