// One alert: what fired, on which flows, the hosts' other alerts, the
// occurrences, status, notes and suppression.
import { useState } from 'preact/hooks';
import { api, apiUrl } from '../api.js';
import { href } from '../router.js';
import { ENGINES, STATUSES, appLabel, fmtAgo, fmtNum, fmtTime, fromLocalInput, hostPort, protoName, referenceLink, tzName } from '../format.js';
import { Confirm, EngineTag, ErrorBox, Facts, Loading, PageTitle, Pager, Panel, SeverityBadge, StatusTag, toast, useAsync } from '../components.jsx';
import { FlowTable } from './flows.jsx';
import { RecurredPill } from './alerts.jsx';
import { Timeline } from '../charts.jsx';

const SUPPRESS = {
	by_src: { label: 'By source', what: (a) => `alerts of this rule from ${a.src_ip}` },
	by_dst: { label: 'By destination', what: (a) => `alerts of this rule to ${a.dest_ip || 'this destination'}` },
	all: { label: 'Whole rule', what: () => 'every alert of this rule, from any host' },
};

export function AlertDetailView({ id, me }) {
	const { data: a, error, loading, reload } = useAsync(() => api.get(`alerts/${encodeURIComponent(id)}`), [id]);

	if (!a && loading) return <Loading what="Loading the alert" />;
	if (!a) {
		return (
			<div class="page">
				<p><a href="#/alerts">← All alerts</a></p>
				<ErrorBox error={error} />
			</div>
		);
	}
	return <AlertDetail a={a} reload={reload} error={error} admin={!!me && me.role === 'admin'} />;
}

function AlertDetail({ a, reload, error, admin }) {
	const [busy, setBusy] = useState('');
	const [override, setOverride] = useState(null);
	const status = override || a.status;

	const setAlertStatus = async (s) => {
		setBusy(s);
		try {
			await api.post(`alerts/${a.id}/status`, { status: s });
			setOverride(s);
			toast(`Status set to "${STATUSES[s].name}"`);
			await reload();
			setOverride(null);
		} catch (e) {
			toast(e.message, 'error');
		}
		setBusy('');
	};

	const eng = ENGINES[a.engine];
	const metadata = a.metadata && typeof a.metadata === 'object' ? Object.entries(a.metadata) : [];
	const refs = Array.isArray(a.references) ? a.references : [];

	return (
		<div class="page detail">
			<p class="back"><a href="#/alerts">← All alerts</a></p>
			<div class="detail-head">
				<SeverityBadge sev={a.severity} />
				<EngineTag engine={a.engine} detector={a.detector} />
				<StatusTag status={status} />
				{a.recurred_us ? <RecurredPill us={a.recurred_us} /> : null}
			</div>
			<PageTitle sub={a.category || a.classtype}>{a.signature || `Rule ${a.gid}:${a.sid}`}</PageTitle>
			<ErrorBox error={error} />

			<div class="grid2">
				<Panel title="What happened" id="facts">
					<Facts items={[
						['Source', <HostLink ip={a.src_ip} port={a.src_port} a={a} />],
						['Destination', a.dest_ip ? <HostLink ip={a.dest_ip} port={a.dest_port} a={a} /> : ''],
						['Protocol', [protoName(a.proto), a.app_proto || a.ndpi_app_proto ? appLabel(a.app_proto, a.ndpi_app_proto) : ''].filter(Boolean).join(' / '),
							'IP protocol / app_proto as in the EVE alert (Suricata\'s name), with nDPI\'s name when it differs'],
						['Community ID', a.community_id ? <span class="mono">{a.community_id}</span> : '', 'Community ID v1 of the flow the alert was raised on, as in the EVE alert: search Suricata, Zeek or a packet store with it'],
						['Raised', `${fmtNum(a.count || 0)} time${a.count === 1 ? '' : 's'}`, a.engine === 'detector'
							? 'How often the detector decided for this source and destination (one decision counts many flows)'
							: 'How often this rule fired for the same source and destination (the Count of the alerts list)'],
						['First seen', <span title={fmtAgo(a.first_seen_us)}>{fmtTime(a.first_seen_us)}</span>],
						['Last seen', <span title={fmtAgo(a.last_seen_us)}>{fmtTime(a.last_seen_us)}</span>],
						['Engine', eng ? eng.name : a.engine, eng && eng.help],
						['Detector', a.detector],
						['Rule', `${a.gid}:${a.sid}${a.rev ? ` rev ${a.rev}` : ''}`, 'gid:sid rev, as alert.gid and alert.signature_id in EVE'],
						['Class type', a.classtype],
						['Indicator', a.ioc_indicator ? `${a.ioc_indicator}${a.ioc_kind ? ` (${a.ioc_kind})` : ''}` : ''],
						['Indicator list', a.ioc_list],
					]} />
				</Panel>
				<div class="stack">
					<Panel title="Status" id="status">
						<div class="status-buttons" role="group" aria-label="Set the status">
							{Object.entries(STATUSES).map(([k, v]) => (
								<button key={k} type="button" title={v.help} aria-pressed={status === k}
									class={`btn status-btn status-btn-${k} ${status === k ? 'active' : ''}`}
									disabled={!!busy} onClick={() => status !== k && setAlertStatus(k)}>
									{busy === k ? '…' : v.name}
								</button>
							))}
						</div>
					</Panel>
					<History a={a} />
					<Panel title="Occurrences" id="timeline">
						<Timeline points={(a.timeline || []).map((t) => t.ts_us)} from={a.first_seen_us} to={a.last_seen_us} />
						<p class="muted small">
							{fmtNum((a.timeline || []).length)} linked flow{(a.timeline || []).length === 1 ? '' : 's'}{(a.timeline || []).length >= 1000 ? ' (the newest 1,000)' : ''}, each at the time it was linked,
							{a.first_seen_us !== a.last_seen_us ? ` between ${fmtTime(a.first_seen_us)} and ${fmtTime(a.last_seen_us)}` : ` at ${fmtTime(a.first_seen_us)}`};
							raised {fmtNum(a.count || 0)} time{a.count === 1 ? '' : 's'} in all.
						</p>
					</Panel>
				</div>
			</div>

			<Panel title={a.engine === 'signature' ? 'Rule' : 'Details'} id="rule">
				{a.rule_text ? <pre class="rule-text" tabIndex={0} aria-label="Rule text">{a.rule_text}</pre>
					: <p class="muted">{a.engine === 'detector' ? 'Raised by a behavioural detector: its settings are in detectors.conf of the rule set; the figures it saw are below.' : 'No rule text for this alert.'}</p>}
				{metadata.length > 0 && (
					<>
						<h3>Metadata</h3>
						<Facts items={metadata.map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v)])} />
					</>
				)}
				{refs.length > 0 && (
					<>
						<h3>References</h3>
						<ul class="refs">
							{refs.map((r, i) => {
								const l = referenceLink(r);
								return <li key={i}>{l.href ? <a href={l.href} target="_blank" rel="noopener noreferrer">{l.label}</a> : l.label}</li>;
							})}
						</ul>
					</>
				)}
			</Panel>

			<Panel title="Notes" id="notes">
				<Notes a={a} reload={reload} />
			</Panel>

			<LinkedFlows a={a} />

			<Panel title="Other alerts of these hosts" id="related">
				<RelatedAlerts list={a.related || []} />
			</Panel>

			<Panel title="Suppress" id="suppress">
				<Suppress a={a} admin={admin} />
			</Panel>
		</div>
	);
}

// The alert's time window for the hosts' links: an hour before it was
// first seen (a detector decides after the flows it counts) to an hour
// after it was last seen.
const WINDOW_US = 3600e6;
export function alertWindow(a) {
	return { range: 'custom', from: String(a.first_seen_us - WINDOW_US), to: String(a.last_seen_us + WINDOW_US) };
}

// Who triaged it and when it came back: an alert that fires again after
// it was triaged comes back as new (vigil.conf [store] recur).
function History({ a }) {
	const h = a.history || [];
	if (!h.length) return null;
	const last = h[0];
	const recurred = last.action === 'recurred';
	const triage = h.find((x) => x.action !== 'recurred');
	return (
		<Panel title="Triage history" id="history">
			{recurred && (
				<p class="recurred" role="note">
					<strong>Recurred</strong> at {fmtTime(last.ts_us)}: it fired again after it was {triage ? `set to ${(triage.detail || '').split(' -> ').pop().replace('_', ' ')} by ${triage.user} at ${fmtTime(triage.ts_us)}` : 'triaged'}, so it is new again.
					{' '}Last seen {fmtTime(a.last_seen_us)}.
				</p>
			)}
			<ul class="history">
				{h.map((x, i) => (
					<li key={i}>
						<span class="time">{fmtTime(x.ts_us)}</span>{' '}
						<strong>{x.user}</strong>{' '}
						{x.action === 'recurred' ? 'the alert fired again: ' : ''}{x.detail}
					</li>
				))}
			</ul>
		</Panel>
	);
}

function HostLink({ ip, port, a }) {
	const w = alertWindow(a);
	const title = `from ${fmtTime(w.from)} to ${fmtTime(w.to)}: an hour around the alert`;
	return (
		<span class="hostlink">
			<span class="mono">{hostPort(ip, port)}</span>{' '}
			<a class="small" href={href('alerts', { host: ip, ...w })} title={`The alerts of ${ip} ${title}`}>alerts</a>{' · '}
			<a class="small" href={href('flows', { host: ip, ...w })} title={`The flows of ${ip} ${title}`}>flows</a>
		</span>
	);
}

// The flows linked to the alert, a page at a time, with what the numbers
// count: linked flows (each occurrence links its flow; a detector's
// decision links at most per_decision_max of the flows it counted), and
// of those the ones still stored (retention removes flows first).
const FLOW_PAGE = 20;
function LinkedFlows({ a }) {
	const [offset, setOffset] = useState(0);
	const { data, error, loading } = useAsync(() => api.get(`alerts/${a.id}/flows`, { limit: FLOW_PAGE, offset }), [a.id, offset]);
	const total = data ? data.total : 0;
	const linked = data ? data.linked : 0;
	return (
		<Panel title={data ? `Flows (${fmtNum(total)}${linked !== total ? ` of ${fmtNum(linked)} linked` : ''})` : 'Flows'} id="flows" actions={(a.pcap || []).length
			? <a class="btn btn-small" id="download-pcap" href={apiUrl(`alerts/${a.id}/pcap`)} download={`vigil-alert-${a.id}.pcap`}
				title={`The packets of ${a.pcap.length} flow${a.pcap.length === 1 ? '' : 's'} of this alert, for Wireshark or tcpdump`}>Download packets (pcap)</a>
			: <span class="muted small" title="Packets are kept for flows that alert until the evidence directory is rotated">No packets kept</span>}>
			<ErrorBox error={error} />
			{!data && loading && <Loading what="Loading the flows" />}
			{data && (
				<>
					<p class="muted small flows-explained">
						{fmtNum(linked)} flow{linked === 1 ? ' is' : 's are'} linked to this alert
						{linked !== total ? `; ${fmtNum(linked - total)} of them ${linked - total === 1 ? 'is' : 'are'} no longer stored (the retention limit removed ${linked - total === 1 ? 'it' : 'them'})` : ''}.
						{a.engine === 'detector' ? ` A detector's decision links at most ${data.per_decision_max} of the flows it counted, so the figures in the title may be larger.` : ''}
						{total > FLOW_PAGE ? ` Newest first, ${FLOW_PAGE} a page.` : ''}
					</p>
					{data.flows.length ? <FlowTable flows={data.flows} pcap={a.pcap || []} caption="Flows this alert was raised on" />
						: <p class="muted">No linked flow is stored.</p>}
					<Pager total={total} limit={FLOW_PAGE} offset={offset} label="flows" onPage={(o) => setOffset(Math.max(0, o))} />
				</>
			)}
		</Panel>
	);
}

function Notes({ a, reload }) {
	const [text, setText] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState(null);
	const notes = a.notes || [];
	const add = async (e) => {
		e.preventDefault();
		if (!text.trim()) return;
		setBusy(true);
		setError(null);
		try {
			await api.post(`alerts/${a.id}/notes`, { text: text.trim() });
			setText('');
			toast('Note added');
			await reload();
		} catch (err) {
			setError(err);
		}
		setBusy(false);
	};
	return (
		<>
			{notes.length === 0 ? <p class="muted">No notes yet. Write down what you found, for the next analyst.</p> : (
				<ol class="notes">
					{notes.map((n, i) => (
						<li key={i} class="note-item">
							<div class="note-meta"><strong>{n.user}</strong> <span class="muted" title={fmtAgo(n.ts_us)}>{fmtTime(n.ts_us)}</span></div>
							<p class="note-text">{n.text}</p>
						</li>
					))}
				</ol>
			)}
			<form class="form note-form" onSubmit={add}>
				<div class="field">
					<label for="note-text">Add a note</label>
					<textarea id="note-text" rows={3} maxLength={4000} value={text} onInput={(e) => setText(e.currentTarget.value)}
						placeholder="e.g. Checked with the owner of 192.168.10.30: planned migration, closed." />
				</div>
				<ErrorBox error={error} />
				<button type="submit" class="btn btn-primary" disabled={busy || !text.trim()}>{busy ? 'Adding…' : 'Add note'}</button>
			</form>
		</>
	);
}

function RelatedAlerts({ list }) {
	if (!list.length) return <p class="muted">No other alert involves these hosts.</p>;
	return (
		<div class="table-wrap">
			<table class="table cards compact">
				<caption class="sr-only">Other alerts of the same hosts</caption>
				<thead><tr><th scope="col">Severity</th><th scope="col">Signature</th><th scope="col">Hosts</th><th scope="col" class="num">Count</th><th scope="col">Last seen</th><th scope="col">Status</th></tr></thead>
				<tbody>
					{list.map((r) => (
						<tr key={r.id}>
							<td data-label="Severity"><SeverityBadge sev={r.severity} /></td>
							<td data-label="Signature"><a href={`#/alerts/${r.id}`}>{r.signature}</a></td>
							<td data-label="Hosts" class="mono">{r.src_ip}{r.dest_ip ? ` → ${r.dest_ip}` : ''}</td>
							<td data-label="Count" class="num">{r.count}</td>
							<td data-label="Last seen" class="time">{fmtTime(r.last_seen_us)}</td>
							<td data-label="Status"><StatusTag status={r.status} /></td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}

// Silence the alert's rule for its source, its destination or every
// host: administrators only, with why (required) and until when
// (optional, in the page's time zone; the file holds it in UTC).
function Suppress({ a, admin }) {
	const [ask, setAsk] = useState(null);
	const [reason, setReason] = useState('');
	const [expires, setExpires] = useState('');
	const [busy, setBusy] = useState(false);
	const [result, setResult] = useState(null);
	const [error, setError] = useState(null);
	const [formError, setFormError] = useState(null);
	const go = async (ok) => {
		if (!ok) { setAsk(null); setFormError(null); return; }
		const body = { track: ask, reason: reason.trim() };
		if (!body.reason) { setFormError(new Error('Say why these alerts are silenced.')); return; }
		if (expires) {
			const us = fromLocalInput(expires);
			if (!us) { setFormError(new Error('The expiry is not a time.')); return; }
			body.expires = new Date(Number(us) / 1000).toISOString().slice(0, 19) + 'Z';
		}
		setBusy(true);
		setError(null);
		setFormError(null);
		try {
			const r = (await api.post(`alerts/${a.id}/suppress`, body)) || {};
			setResult(r);
			setReason('');
			setExpires('');
			toast(r.reloaded === false ? 'Suppression added' : 'Suppression added; the rules were reloaded');
			setAsk(null);
		} catch (e) {
			setFormError(e);
		}
		setBusy(false);
	};
	if (!admin) {
		return (
			<p class="muted">
				Only administrators suppress alerts (a line in the managed <code>suppress.conf</code>). The suppressions in force are
				on the <a href="#/suppressions">Suppressions</a> page.
			</p>
		);
	}
	return (
		<>
			<p class="muted">
				Stop this rule from raising new alerts for a host (a line in the managed <code>suppress.conf</code>; the rules reload at once).
				Past alerts stay. To see or undo suppressions, go to <a href="#/suppressions">Suppressions</a>.
			</p>
			<div class="button-row">
				{Object.entries(SUPPRESS).map(([k, v]) => (
					<button key={k} type="button" class="btn" disabled={busy || (k === 'by_dst' && !a.dest_ip)}
						title={`Suppress ${v.what(a)}`} onClick={() => { setAsk(k); setFormError(null); }}>
						Suppress {v.label.toLowerCase()}
					</button>
				))}
			</div>
			{result && (
				<div class="note" role="status">
					<p class="note-line">Added{result.file ? <> to <code>{result.file}</code></> : ''}: <code>{result.line}</code></p>
					{result.message && <p class="note-line">{result.message}</p>}
				</div>
			)}
			<ErrorBox error={error} />
			<Confirm open={!!ask} title="Suppress these alerts?" confirmLabel="Suppress" danger busy={busy} onClose={go}>
				{ask && <p>No new alert will be raised for <strong>{SUPPRESS[ask].what(a)}</strong> (rule {a.gid}:{a.sid}, “{a.signature}”).</p>}
				<div class="form">
					<div class="field">
						<label for="sup-reason">Why (required)</label>
						<input id="sup-reason" autocomplete="off" maxlength={200} value={reason} required
							onInput={(e) => setReason(e.currentTarget.value)} />
					</div>
					<div class="field">
						<label for="sup-expires">Expires ({tzName()}, optional)</label>
						<input id="sup-expires" type="datetime-local" value={expires} aria-describedby="sup-expires-help"
							onInput={(e) => setExpires(e.currentTarget.value)} />
						<p class="help" id="sup-expires-help">After this time the entry silences nothing; empty: until removed.</p>
					</div>
				</div>
				<ErrorBox error={formError} />
			</Confirm>
		</>
	);
}
