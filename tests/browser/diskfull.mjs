#!/usr/bin/env node
// The System page while database writes fail: signs in, opens #/system
// (writes working), fills the daemon's file system with FILL (a file on
// it) and waits for the failure notice, which the page shows on its own
// refresh. A new sign-in would need a session row, which a full disk
// cannot take: the analyst watching the page is signed in already.
// env: BASE_URL, FILL, ARTIFACTS, CHROMIUM, VIGIL_TEST_PASSWORD, VIGIL_TIMEOUT
// Prints "ok - ..." / "not ok - ..." lines.
import { chromium } from 'playwright-core';
import { closeSync, mkdtempSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = process.env.BASE_URL;
const ART = process.env.ARTIFACTS || 'build/test-artifacts/browser';
const TIMEOUT = Number(process.env.VIGIL_TIMEOUT || 60) * 1000;
mkdirSync(ART, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
const ctx = await chromium.launchPersistentContext(dir, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync'],
	viewport: { width: 1366, height: 900 },
});
ctx.setDefaultTimeout(TIMEOUT);
const name = 'disk full: the System page says database writes fail, why, and what is lost';
try {
	const page = ctx.pages()[0] || await ctx.newPage();
	await page.goto(BASE + '/');
	await page.getByLabel('User name').fill('admin');
	await page.getByLabel('Password').fill(process.env.VIGIL_TEST_PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.locator('#page-h1').waitFor();
	await page.goto(BASE + '/#/system');
	await page.locator('.fact', { hasText: 'Writes' }).filter({ hasText: 'working' }).waitFor();
	const fd = openSync(process.env.FILL, 'w');
	try {
		const block = Buffer.alloc(1 << 16);
		for (;;) writeSync(fd, block);
	} catch (e) {
		if (e.code !== 'ENOSPC') throw e;
	} finally {
		closeSync(fd);
	}
	// the page refreshes every 10 s: the notice comes when the daemon knows
	const notice = page.locator('#db-failing');
	await notice.waitFor();
	const text = await notice.innerText();
	if (!/writes fail since .*disk is full.*counted as lost.*[\d,]+ flows and [\d,]+ alerts/s.test(text))
		throw new Error(`notice: ${text.slice(0, 300)}`);
	if (await notice.getAttribute('role') !== 'alert') throw new Error('the notice is not role=alert');
	const writes = await page.locator('.fact', { hasText: 'Writes' }).innerText();
	if (!/failing/.test(writes)) throw new Error(`Writes: ${writes}`);
	await page.screenshot({ path: join(ART, 'diskfull-system.png'), fullPage: true });
	console.log(`ok - ${name}`);
} catch (e) {
	console.log(`not ok - ${name}: ${String(e && e.message || e).split('\n')[0]}`);
} finally {
	await ctx.close();
	rmSync(dir, { recursive: true, force: true });
}
