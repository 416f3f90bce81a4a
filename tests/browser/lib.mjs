// lib.mjs - what the page tests share: named checks that print "ok - NAME:
// what" / "not ok - NAME: what: why" and are counted, assert, a wait that
// ends as soon as its condition holds, the closing count line and exit
// status, and Chromium's command-line switches.

// Chromium without a sandbox user, GPU, first-run or background traffic.
export const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function assert(cond, msg) { if (!cond) throw new Error(msg); }

// The checks of one test file run as NAME; timeoutMs bounds until()'s
// waits (only a hang takes that long: no verdict depends on how fast the
// machine is).
export function harness(name, timeoutMs = 60000) {
	const h = { passed: 0, failed: 0 };
	h.check = async (what, fn) => {
		try {
			await fn();
			h.passed++;
			console.log(`ok - ${name}: ${what}`);
		} catch (e) {
			h.failed++;
			console.log(`not ok - ${name}: ${what}: ${String(e && e.message || e).split('\n').slice(0, 3).join(' | ')}`);
		}
	};
	// Ask fn() until it is true, at most timeoutMs; then fail with msg.
	h.until = async (fn, msg) => {
		const end = Date.now() + timeoutMs;
		while (!(await fn())) {
			if (Date.now() > end) throw new Error(msg);
			await new Promise((r) => setTimeout(r, 100));
		}
	};
	// "SUITE NAME: N passed, M failed", then exit 1 when something failed.
	h.finish = (suite) => {
		console.log(`${suite} ${name}: ${h.passed} passed, ${h.failed} failed`);
		process.exit(h.failed ? 1 : 0);
	};
	return h;
}
