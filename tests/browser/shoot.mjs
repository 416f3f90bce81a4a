#!/usr/bin/env node
// Screenshots of a running page, for looking at the design:
//   node tests/browser/shoot.mjs URL USER PASSWORD OUTDIR [WIDTHxHEIGHT] route...
//   node tests/browser/shoot.mjs http://127.0.0.1:8080 admin 'secret pass' /tmp/shots 390x844 alerts alerts/3 dashboard
// SHOOT_FULL=0: the viewport only (default: the whole page)
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, user, password, out, ...rest] = process.argv.slice(2);
let size = { width: 1366, height: 900 };
if (rest[0] && /^\d+x\d+$/.test(rest[0])) {
	const [w, h] = rest.shift().split('x').map(Number);
	size = { width: w, height: h };
}
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'vigil-shoot-'));
const ctx = await chromium.launchPersistentContext(dir, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport: size,
	ignoreHTTPSErrors: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
	const page = ctx.pages()[0] || await ctx.newPage();
	page.on('console', (m) => { if (m.type() === 'error') console.log('console:', m.text()); });
	await page.goto(base + '/');
	await page.getByLabel('User name').fill(user);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.locator('#page-h1').waitFor();
	for (const r of rest) {
		await page.goto(`${base}/#/${r}`);
		await page.locator('#page-h1').waitFor();
		await page.waitForLoadState('networkidle');
		await page.waitForTimeout(300);
		const file = join(out, `${r.replace(/[^a-z0-9]+/gi, '_')}-${size.width}.png`);
		await page.screenshot({ path: file, fullPage: process.env.SHOOT_FULL !== '0' });
		console.log(file);
	}
} finally {
	await ctx.close();
	rmSync(dir, { recursive: true, force: true });
}
