#!/usr/bin/env node
// The System page of a running daemon (`vigil run`) in Debian's Chromium:
// one interface captures, one is missing; the page shows each with its
// state and the reason, and a missing one as a warning row.
//
// env: BASE_URL, SETUP_TOKEN, NAME, ARTIFACTS, CHROMIUM,
//      UP_IF (an interface that captures), MISSING_IF (one that does not exist)
// Prints "ok - ..." / "not ok - ..." lines and "system NAME: N passed, M
// failed"; exit status 1 when something failed.
import { chromium } from 'playwright-core';
import { CHROME_ARGS, assert, harness } from './lib.mjs';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const NAME = process.env.NAME || 'daemon';
const ART = process.env.ARTIFACTS || 'build/test-artifacts/browser';
const UP = process.env.UP_IF || 'lo';
const MISSING = process.env.MISSING_IF || 'vglmissing0';
const PASSWORD = process.env.VIGIL_TEST_PASSWORD || 'correct horse battery staple';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

mkdirSync(ART, { recursive: true });
const problems = [];

const { check, finish } = harness(NAME);

const userDataDir = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: CHROME_ARGS,
	viewport: { width: 1366, height: 900 },
});
context.setDefaultTimeout(15000);
const page = context.pages()[0] || await context.newPage();
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

try {
	await check('setup and sign-in on the daemon\'s page', async () => {
		await page.goto(BASE + '/');
		await page.getByRole('heading', { name: 'First start' }).waitFor();
		await page.getByLabel('Setup token').fill(process.env.SETUP_TOKEN || '');
		await page.getByLabel('Administrator user name').fill('admin');
		await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
		await page.getByLabel('Password again').fill(PASSWORD);
		await page.getByRole('button', { name: 'Create administrator' }).click();
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
		await page.getByLabel('User name').fill('admin');
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
	});

	await check(`the System page shows ${UP} capturing and ${MISSING} missing with the reason`, async () => {
		await page.goto(`${BASE}/#/system`);
		await page.getByRole('heading', { name: 'System', level: 1 }).waitFor();
		const table = page.locator('table', { has: page.locator('caption', { hasText: 'Capture interfaces' }) });
		const up = table.locator('tbody tr', { hasText: UP }).first();
		const gone = table.locator('tbody tr', { hasText: MISSING });
		await gone.waitFor();
		const ut = await up.innerText(), gt = await gone.innerText();
		assert(/capturing/.test(ut), `${UP} row: ${ut}`);
		assert(/missing/i.test(gt) && /no such interface/.test(gt), `${MISSING} row: ${gt}`);
		assert(await gone.evaluate((tr) => tr.classList.contains('warn-row')), `${MISSING} is not marked`);
		assert(!(await up.evaluate((tr) => tr.classList.contains('warn-row'))), `${UP} is marked`);
		await page.screenshot({ path: join(ART, `${NAME}-system.png`), fullPage: true });
	});

	if (process.env.UPLINK_URL) {
		await check('the System page shows the uplink not connected, with the reason', async () => {
			const table = page.locator('table', { has: page.locator('caption', { hasText: 'Uplinks to the centre' }) });
			const row = table.locator('tbody tr', { hasText: process.env.UPLINK_URL });
			await row.waitFor();
			// the sender's first attempt fails within a second; the page refreshes every 10 s
			let t = '';
			for (let i = 0; i < 40 && !/Connection refused/.test(t); i++) {
				await page.reload();
				await row.waitFor();
				t = await row.innerText();
				if (!/Connection refused/.test(t)) await page.waitForTimeout(500);
			}
			assert(/not connected/i.test(t) && /Connection refused/.test(t), `uplink row: ${t}`);
			assert(await row.evaluate((tr) => tr.classList.contains('warn-row')), 'the uplink row is not marked');
			await page.screenshot({ path: join(ART, `${NAME}-system-uplink.png`), fullPage: true });
		});
	}

	await check('the System page has no serious accessibility violation (axe-core)', async () => {
		await page.evaluate(AXE);
		const bad = await page.evaluate(() => window.axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
			resultTypes: ['violations'],
		}).then((x) => x.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
			.map((v) => `${v.id} (${v.nodes[0] && v.nodes[0].target.join(' ')})`)));
		assert(bad.length === 0, bad.join(' | '));
	});

	await check('no script error', async () => {
		assert(problems.length === 0, problems.slice(0, 3).join(' | '));
	});
} finally {
	await context.close().catch(() => {});
	rmSync(userDataDir, { recursive: true, force: true });
}

finish('system');
