#!/usr/bin/env node
// Packet evidence on the page, in Debian's Chromium: an alert's detail
// offers "Download packets (pcap)", which downloads vigil-alert-ID.pcap
// (a pcap tcpdump reads); its flow table offers each kept flow's pcap;
// after ROTATE_CMD (a replay that rotates the evidence away) the detail
// says no packets are kept and offers no download.
//
// env: BASE_URL, SETUP_TOKEN, NAME, ARTIFACTS, CHROMIUM,
//      ROTATE_CMD (a shell command that rotates the served evidence away)
// Prints "ok - ..." / "not ok - ..." lines and "evidence NAME: N passed,
// M failed"; exit status 1 when something failed.
import { chromium } from 'playwright-core';
import { CHROME_ARGS, assert, harness } from './lib.mjs';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync, execSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const NAME = process.env.NAME || 'evidence';
const ART = process.env.ARTIFACTS || 'build/test-artifacts/browser';
const PASSWORD = process.env.VIGIL_TEST_PASSWORD || 'correct horse battery staple';

mkdirSync(ART, { recursive: true });
const problems = [];

const { check, finish } = harness(NAME);

// Packets tcpdump reads from a file (throws when it cannot read it).
function tcpdumpCount(path) {
	const out = execFileSync('tcpdump', ['-nn', '-r', path], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
	return out.split('\n').filter((l) => l.trim()).length;
}

const work = mkdtempSync(join(tmpdir(), 'vigil-evidence-'));
const userDataDir = join(work, 'chromium');
const context = await chromium.launchPersistentContext(userDataDir, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	acceptDownloads: true,
	args: CHROME_ARGS,
	viewport: { width: 1366, height: 900 },
});
context.setDefaultTimeout(15000);
const page = context.pages()[0] || await context.newPage();
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

let alert = null;
try {
	await check('setup and sign-in', async () => {
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

	await check('an alert with kept packets (API, the page\'s session)', async () => {
		const list = await (await page.request.get(`${BASE}/api/alerts?limit=100`)).json();
		for (const a of list.alerts || []) {
			const d = await (await page.request.get(`${BASE}/api/alerts/${a.id}`)).json();
			if ((d.pcap || []).length) { alert = d; break; }
		}
		assert(alert, 'no alert lists kept packets');
	});

	await check('the alert detail\'s "Download packets (pcap)" downloads vigil-alert-ID.pcap, read by tcpdump', async () => {
		await page.goto(`${BASE}/#/alerts/${alert.id}`);
		const btn = page.getByRole('link', { name: 'Download packets (pcap)' });
		await btn.waitFor();
		await page.screenshot({ path: join(ART, `${NAME}-alert-pcap.png`), fullPage: true });
		const [dl] = await Promise.all([page.waitForEvent('download'), btn.click()]);
		assert(dl.suggestedFilename() === `vigil-alert-${alert.id}.pcap`, `file name ${dl.suggestedFilename()}`);
		const path = join(work, 'alert.pcap');
		await dl.saveAs(path);
		const data = readFileSync(path);
		assert(data.readUInt32LE(0) === 0xa1b2c3d4, 'not a pcap file');
		assert(tcpdumpCount(path) > 0, 'tcpdump read no packet');
	});

	await check('the flow table offers the kept flow\'s pcap: vigil-flow-ID.pcap', async () => {
		const fid = alert.pcap[0];
		const link = page.locator(`a.flow-pcap[href$="flows/${fid}/pcap"]`);
		await link.waitFor();
		const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
		assert(dl.suggestedFilename() === `vigil-flow-${fid}.pcap`, `file name ${dl.suggestedFilename()}`);
		const path = join(work, 'flow.pcap');
		await dl.saveAs(path);
		assert(tcpdumpCount(path) > 0, 'tcpdump read no packet');
	});

	await check('the download is in the audit log', async () => {
		const a = await (await page.request.get(`${BASE}/api/audit?limit=20`)).json();
		const kinds = (a.entries || []).filter((e) => e.action === 'download').map((e) => e.target);
		assert(kinds.includes(`alert ${alert.id}`) && kinds.includes(`flow ${alert.pcap[0]}`), JSON.stringify(kinds));
	});

	await check('after rotation the detail says no packets are kept, with no download', async () => {
		execSync(process.env.ROTATE_CMD, { stdio: 'ignore' });
		await page.reload();
		await page.getByText('No packets kept').waitFor();
		assert(await page.getByRole('link', { name: 'Download packets (pcap)' }).count() === 0, 'the button is still there');
		assert(await page.locator('a.flow-pcap').count() === 0, 'a flow still offers its pcap');
		const r = await page.request.get(`${BASE}/api/alerts/${alert.id}/pcap`);
		assert(r.status() === 404 && /rotated/.test((await r.json()).error), `status ${r.status()}`);
	});

	await check('no script error', async () => {
		assert(problems.length === 0, problems.slice(0, 3).join(' | '));
	});
} finally {
	await context.close().catch(() => {});
	rmSync(work, { recursive: true, force: true });
}

finish('evidence');
