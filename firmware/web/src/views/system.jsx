// System: capture interfaces (with their state), uplinks to the centre,
// rule sets, rule updates from the centre, last reload, database (and whether it is being written),
// version.
import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import { fmtBytes, fmtDuration, fmtNum, fmtRate, fmtTime, fmtAgo } from '../format.js';
import { ErrorBox, Facts, Loading, PageTitle, Panel, useAsync } from '../components.jsx';

// An interface that is not capturing is named with its reason; it is retried.
const FAILING = { down: 'link down', missing: 'missing', error: 'error' };
function CaptureState({ c }) {
	if (!FAILING[c.state]) return <span class="ok">{c.state || ''}</span>;
	return <><span class="pill pill-alert">{FAILING[c.state]}</span>{c.error ? <span class="muted"> {c.error}</span> : null}</>;
}

// One uplink: connected, or why not (its last error in words).
function UplinkState({ u }) {
	if (u.connected) return <span class="ok">connected</span>;
	return <><span class="pill pill-alert">not connected</span>{u.last_error ? <span class="muted"> {u.last_error}</span> : null}</>;
}

// Rule updates from the centre ([rules_sync]): the version in force, the
// last check, and in words why the last bundle was refused or not fetched.
const SYNC_BAD = { refused: 'bundle refused', unreachable: 'centre unreachable' };
function RulesSync({ r }) {
	const bad = SYNC_BAD[r.state];
	return (
		<div id="rules-sync">
			<p class={bad ? 'error' : 'note'} role={bad ? 'alert' : undefined}>
				Rule updates from the centre: {bad ? <span class="pill pill-alert">{bad}</span> : <span class="ok">{r.state}</span>}
				{r.last_error ? <> — {r.last_error}; the rules in force keep running</> : ''}
			</p>
			<Facts items={[
				['Version in force', r.version ? <>{r.version} <span class="muted">signed {r.signed} by key <code>{r.key_id}</code></span></> : 'none yet: only the local rule sets'],
				['In force since', r.applied_us ? <span title={fmtAgo(r.applied_us)}>{fmtTime(r.applied_us)}</span> : ''],
				['Last check', r.last_check_us ? <span title={fmtAgo(r.last_check_us)}>{fmtTime(r.last_check_us)}</span> : 'not yet'],
				['Bundle', <code>{r.url}</code>],
			]} />
		</div>
	);
}

function dropsOf(u) {
	const d = u.dropped || {};
	return (d.alerts || 0) + (d.summaries || 0) + (d.flows || 0);
}

export function SystemView() {
	const { data: s, error, loading, reload } = useAsync(() => api.get('system'), []);
	useEffect(() => {
		const t = setInterval(() => { if (document.visibilityState !== 'hidden') reload(); }, 10000);
		return () => clearInterval(t);
	}, [reload]);

	if (!s) return <div class="page"><PageTitle>System</PageTitle>{loading ? <Loading /> : <ErrorBox error={error} />}</div>;

	const db = s.database || {};
	const capture = s.capture || [];
	const rulesets = s.rulesets || [];
	const uplinks = s.uplinks || [];
	const reloadInfo = s.last_reload;
	const errors = Object.entries(s.decode_errors || {}).filter(([, n]) => n > 0);
	const drops = Object.entries(s.drops || {}).filter(([, n]) => n > 0);
	const used = db.max_bytes ? Math.min(100, (100 * (db.size_bytes || 0)) / db.max_bytes) : null;
	const writers = s.writers || {};
	const dbw = writers.database;
	const lost = dbw && (dbw.flows_lost || dbw.alerts_lost)
		? `${fmtNum(dbw.flows_lost)} flows, ${fmtNum(dbw.alerts_lost)} alerts (${fmtNum(dbw.failures)} ${dbw.failures === 1 ? 'failure' : 'failures'})`
		: '';

	return (
		<div class="page">
			<PageTitle sub="Refreshes every 10 seconds.">System</PageTitle>
			<ErrorBox error={error} />
			<div class="grid2">
				<Panel title="Sensor" id="sensor">
					<Facts items={[
						['Version', s.version],
						['Up for', s.uptime_s !== undefined ? fmtDuration(s.uptime_s) : ''],
					]} />
				</Panel>
				<Panel title="Database" id="db">
					{dbw && !dbw.ok && (
						<p class="error" role="alert" id="db-failing">
							Database writes fail{dbw.failing_since_us ? <> since <span title={fmtAgo(dbw.failing_since_us)}>{fmtTime(dbw.failing_since_us)}</span></> : ''}: {dbw.error}.
							{' '}New flows and alerts are counted as lost until writes work again: {fmtNum(dbw.flows_lost)} flows and {fmtNum(dbw.alerts_lost)} alerts so far.
						</p>
					)}
					{used !== null && (
						<div class="meter-row">
							<meter min="0" max="100" low="70" high="90" optimum="10" value={used} aria-label="Database size against its maximum" />
							<span>{fmtBytes(db.size_bytes)} of {fmtBytes(db.max_bytes)} ({used.toFixed(0)} %)</span>
						</div>
					)}
					<Facts items={[
						['File', db.path ? <code>{db.path}</code> : ''],
						['Size', used === null ? fmtBytes(db.size_bytes) : ''],
						['Flows', fmtNum(db.flows)],
						['Alerts', fmtNum(db.alerts)],
						['Oldest flow', db.oldest_flow_us ? <span title={fmtAgo(db.oldest_flow_us)}>{fmtTime(db.oldest_flow_us)}</span> : ''],
						['Flows kept for', db.flow_max_age_s ? fmtDuration(db.flow_max_age_s) : db.flow_max_age_s === 0 ? 'no age limit' : '', 'Older flows are deleted (retention)'],
						['Alerts kept for', db.alert_max_age_s ? fmtDuration(db.alert_max_age_s) : db.alert_max_age_s === 0 ? 'no age limit' : ''],
						['Writes', dbw ? (dbw.ok ? 'working' : <span class="bad">failing</span>) : ''],
						['Not stored', lost, 'Flows and alerts the database could not store since the start (a full disk, a write error)'],
						['Last write error', dbw && dbw.ok && dbw.last_error ? <code>{dbw.last_error}</code> : ''],
						['Alerts lost for EVE', writers.eve && writers.eve.alerts_lost ? fmtNum(writers.eve.alerts_lost) : ''],
					]} />
				</Panel>
			</div>

			<Panel title="Capture interfaces" id="capture">
				{capture.length === 0 ? <p class="muted">No capture running (the web page is served without capture, or the capture has not started).</p> : (
					<div class="table-wrap">
						<table class="table cards">
							<caption class="sr-only">Capture interfaces</caption>
							<thead><tr><th scope="col">Interface</th><th scope="col">State</th><th scope="col" class="num">Packets</th><th scope="col" class="num">Packets/s</th><th scope="col" class="num">Drops</th><th scope="col" class="num" title="Packets the kernel dropped because vigil was too slow">Drops/s</th></tr></thead>
							<tbody>
								{capture.map((c) => (
									<tr key={c.name} class={c.drops_per_s > 0 || FAILING[c.state] ? 'warn-row' : ''}>
										<td data-label="Interface" class="mono">{c.name}</td>
										<td data-label="State"><CaptureState c={c} /></td>
										<td data-label="Packets" class="num">{fmtNum(c.packets)}</td>
										<td data-label="Packets/s" class="num">{fmtRate(c.pps)}</td>
										<td data-label="Drops" class="num">{fmtNum(c.drops)}</td>
										<td data-label="Drops/s" class="num">{fmtRate(c.drops_per_s)}</td>
									</tr>
								))}
							</tbody>
						</table>
					</div>
				)}
				{errors.length > 0 && (
					<details class="details">
						<summary>Decode errors ({errors.length} kinds)</summary>
						<Facts items={errors.map(([k, n]) => [k, fmtNum(n)])} />
					</details>
				)}
				{drops.length > 0 && (
					<details class="details">
						<summary>Dropped by full tables ({drops.length} kinds)</summary>
						<Facts items={drops.map(([k, n]) => [k.replace(/_/g, ' '), fmtNum(n)])} />
					</details>
				)}
			</Panel>

			<Panel title="Uplinks to the centre" id="uplinks">
				{uplinks.length === 0 ? <p class="muted">No uplink configured ([uplink] in vigil.conf): alerts stay on this sensor.</p> : (
					<div class="table-wrap">
						<table class="table cards">
							<caption class="sr-only">Uplinks to the centre</caption>
							<thead><tr><th scope="col">Uplink</th><th scope="col">State</th><th scope="col">Last delivery</th><th scope="col" class="num">Delivered</th><th scope="col" class="num" title="Events waiting in the outbox">Queued</th><th scope="col">Oldest queued</th><th scope="col" class="num" title="Events the outbox bounds dropped (flows and summaries first)">Dropped</th></tr></thead>
							<tbody>
								{uplinks.map((u) => (
									<tr key={u.name} class={!u.connected || dropsOf(u) > 0 ? 'warn-row' : ''}>
										<td data-label="Uplink"><span class="mono">{u.name}</span> <span class="muted mono">{u.url}</span></td>
										<td data-label="State"><UplinkState u={u} /></td>
										<td data-label="Last delivery">{u.last_success_us ? <span title={fmtAgo(u.last_success_us)}>{fmtTime(u.last_success_us)}</span> : <span class="muted">never</span>}</td>
										<td data-label="Delivered" class="num">{fmtNum(u.delivered)}</td>
										<td data-label="Queued" class="num">{fmtNum(u.queued)}{u.queued_bytes ? <span class="muted"> ({fmtBytes(u.queued_bytes)})</span> : null}</td>
										<td data-label="Oldest queued">{u.oldest_queued_us ? <span title={fmtAgo(u.oldest_queued_us)}>{fmtTime(u.oldest_queued_us)}</span> : ''}</td>
										<td data-label="Dropped" class="num">{fmtNum(dropsOf(u))}</td>
									</tr>
								))}
							</tbody>
						</table>
					</div>
				)}
			</Panel>

			<Panel title="Rule sets" id="rules">
				{reloadInfo && (
					<p class={reloadInfo.ok ? 'note' : 'error'} role={reloadInfo.ok ? undefined : 'alert'}>
						Last reload {reloadInfo.ts_us ? <span title={fmtAgo(reloadInfo.ts_us)}>{fmtTime(reloadInfo.ts_us)}</span> : ''}:{' '}
						{reloadInfo.ok ? 'rules in force' : 'failed'}{reloadInfo.message ? ` — ${reloadInfo.message}` : ''}
					</p>
				)}
				{s.rules_sync && <RulesSync r={s.rules_sync} />}
				{rulesets.length === 0 ? <p class="muted">No rule set loaded: nothing raises alerts.</p> : (
					<div class="table-wrap">
						<table class="table cards">
							<caption class="sr-only">Rule sets loaded</caption>
							<thead><tr><th scope="col">Directory</th><th scope="col" class="num">Signatures</th><th scope="col" class="num">Indicators</th><th scope="col" class="num">Detectors</th><th scope="col">Problems</th></tr></thead>
							<tbody>
								{rulesets.map((r) => (
									<tr key={r.dir}>
										<td data-label="Directory" class="mono">{r.dir}</td>
										<td data-label="Signatures" class="num">{fmtNum(r.signatures)}</td>
										<td data-label="Indicators" class="num">{fmtNum(r.indicators)}</td>
										<td data-label="Detectors" class="num">{fmtNum(r.detectors)}</td>
										<td data-label="Problems">
											{(r.problems || []).length === 0 ? <span class="ok">none</span> : (
												<ul class="problems">{r.problems.map((p, i) => <li key={i} class="mono">{p}</li>)}</ul>
											)}
										</td>
									</tr>
								))}
							</tbody>
						</table>
					</div>
				)}
			</Panel>
		</div>
	);
}
