// The alerts list: filters, live updates, bulk acknowledge, exports.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, apiUrl } from '../api.js';
import { navigate, href } from '../router.js';
import { ENGINES, SEVERITY, STATUSES, fmtAgo, fmtTime, hostPort, rangeParams } from '../format.js';
import { EngineTag, Empty, ErrorBox, Loading, PageTitle, Pager, SeverityBadge, StatusTag, toast } from '../components.jsx';
import { RangeFields } from './filters.jsx';

// shorter pages on phones, where every row is a tall card
const LIMIT = window.matchMedia && window.matchMedia('(max-width: 700px)').matches ? 20 : 50;
const POLL_MS = 5000;
const FILTER_KEYS = ['range', 'from', 'to', 'severity', 'engine', 'sid', 'host', 'status', 'q'];

function filtersOf(params) {
	const f = {};
	for (const k of FILTER_KEYS) f[k] = params[k] || '';
	return f;
}

// Filters as the API wants them (time range resolved to microseconds).
export function alertQuery(f) {
	const { range, from, to, ...rest } = f; // eslint-disable-line no-unused-vars
	return { ...rest, ...rangeParams(f) };
}

const changed = (a, b) => a.count !== b.count || a.last_seen_us !== b.last_seen_us || a.status !== b.status;

export function AlertsView({ params }) {
	const filters = useMemo(() => filtersOf(params), [params]);
	const offset = Math.max(0, parseInt(params.offset || '0', 10) || 0);
	const key = JSON.stringify([filters, offset]);

	const [draft, setDraft] = useState(filters);
	useEffect(() => setDraft(filters), [key]); // eslint-disable-line react-hooks/exhaustive-deps

	const [list, setList] = useState({ alerts: [], total: 0 });
	const [loading, setLoading] = useState(true);
	const [error, setError] = useState(null);
	const [fresh, setFresh] = useState({}); // id -> 'new' | 'updated'
	const [pending, setPending] = useState(0); // new alerts not shown (not on the first page)
	const [live, setLive] = useState({ ok: true, at: 0, error: null });
	const [selected, setSelected] = useState(new Set());
	const [busy, setBusy] = useState(false);
	const [showFilters, setShowFilters] = useState(false); // phones: filters folded away
	const maxId = useRef(0);
	const listRef = useRef(list);
	listRef.current = list;

	const load = async () => {
		setLoading(true);
		try {
			const d = await api.get('alerts', { ...alertQuery(filters), limit: LIMIT, offset });
			const alerts = d.alerts || [];
			setList({ alerts, total: d.total || 0 });
			maxId.current = alerts.reduce((m, a) => Math.max(m, a.id), maxId.current);
			// Alerts with higher ids may sit on later pages (the list is sorted
			// by last seen): learn the highest id now so that live updates
			// mark only alerts that arrive from now on.
			try {
				const n = await api.get('alerts', { ...alertQuery(filters), since_id: maxId.current, limit: 500 });
				maxId.current = (n.alerts || []).reduce((m, a) => Math.max(m, a.id), maxId.current);
			} catch { /* the poll will tell */ }
			setError(null);
		} catch (e) {
			setError(e);
		}
		setLoading(false);
	};

	useEffect(() => {
		maxId.current = 0;
		setFresh({});
		setPending(0);
		setSelected(new Set());
		load();
	}, [key]); // eslint-disable-line react-hooks/exhaustive-deps

	// Live updates: ask for what is newer than the newest alert we know.
	useEffect(() => {
		let stopped = false;
		let timer = 0;
		const poll = async () => {
			if (stopped) return;
			if (document.visibilityState !== 'hidden' && !loading) {
				try {
					const d = await api.get('alerts', { ...alertQuery(filters), since_id: maxId.current, limit: 500 });
					if (stopped) return;
					merge(d.alerts || []);
					setLive({ ok: true, at: Date.now(), error: null });
				} catch (e) {
					if (!stopped) setLive({ ok: false, at: Date.now(), error: e });
				}
			}
			if (!stopped) timer = setTimeout(poll, POLL_MS);
		};
		timer = setTimeout(poll, POLL_MS);
		return () => { stopped = true; clearTimeout(timer); };
	}, [key, loading]); // eslint-disable-line react-hooks/exhaustive-deps

	function merge(incoming) {
		if (!incoming.length) return;
		const cur = listRef.current;
		const byId = new Map(cur.alerts.map((a) => [a.id, a]));
		const marks = {};
		const added = [];
		let newCount = 0;
		const known = maxId.current;
		for (const a of incoming) {
			maxId.current = Math.max(maxId.current, a.id);
			const old = byId.get(a.id);
			if (old) {
				if (changed(old, a)) { byId.set(a.id, a); marks[a.id] = 'updated'; }
			} else if (a.id <= known) {
				// an older alert updated elsewhere (another page of the list): not new
			} else if (offset === 0) {
				added.push(a);
				marks[a.id] = 'new';
				newCount++;
			} else {
				newCount++;
			}
		}
		if (offset === 0 && (added.length || Object.keys(marks).length)) {
			const alerts = [...added, ...cur.alerts.map((a) => byId.get(a.id))];
			alerts.sort((x, y) => (y.last_seen_us - x.last_seen_us) || (y.id - x.id));
			setList({ alerts, total: cur.total + added.length });
		} else if (Object.keys(marks).length) {
			setList({ alerts: cur.alerts.map((a) => byId.get(a.id)), total: cur.total });
		}
		if (offset !== 0 && newCount) setPending((n) => n + newCount);
		if (Object.keys(marks).length) {
			setFresh((f) => ({ ...f, ...marks }));
			const n = Object.values(marks).filter((m) => m === 'new').length;
			if (n) toast(`${n} new alert${n > 1 ? 's' : ''}`, 'info');
		}
	}

	const apply = (next, resetOffset = true) => {
		const p = { ...next };
		if (p.range !== 'custom') { p.from = ''; p.to = ''; }
		if (!resetOffset && offset) p.offset = offset;
		navigate('alerts', p);
	};
	const setField = (partial, immediate) => {
		const next = { ...draft, ...partial };
		setDraft(next);
		if (immediate) apply(next);
	};
	const activeFilters = FILTER_KEYS.filter((k) => filters[k] && !(k === 'from' || k === 'to')).length;

	const toggle = (id) => {
		const s = new Set(selected);
		if (s.has(id)) s.delete(id); else s.add(id);
		setSelected(s);
	};
	const pageIds = list.alerts.map((a) => a.id);
	const allSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
	const toggleAll = () => setSelected(allSelected ? new Set() : new Set(pageIds));

	const ackSelected = async () => {
		setBusy(true);
		try {
			const ids = [...selected];
			const r = await api.post('alerts/ack', { ids });
			toast(`${r && r.updated !== undefined ? r.updated : ids.length} alert(s) acknowledged`);
			setSelected(new Set());
			await load();
		} catch (e) {
			toast(e.message, 'error');
		}
		setBusy(false);
	};

	const q = alertQuery(filters);

	return (
		<div class="page">
			<PageTitle sub="Newest first. Updates by themselves every 5 seconds.">Alerts</PageTitle>

			<button type="button" class="btn filters-toggle" aria-expanded={showFilters} aria-controls="alert-filters"
				onClick={() => setShowFilters(!showFilters)}>
				{showFilters ? 'Hide filters' : 'Filters'}{activeFilters ? ` (${activeFilters} active)` : ''}
			</button>
			<form id="alert-filters" class={`filters panel collapsible ${showFilters ? 'open' : ''}`} role="search" aria-label="Filter alerts"
				onSubmit={(e) => { e.preventDefault(); setShowFilters(false); apply(draft); }}>
				<RangeFields idPrefix="af" value={draft} onChange={(p) => setField(p, p.range !== 'custom' && !('from' in p) && !('to' in p))}
					label="Last seen" help="When the alert was last seen" />
				<div class="field">
					<label for="af-sev">Severity</label>
					<select id="af-sev" value={draft.severity} onChange={(e) => setField({ severity: e.currentTarget.value }, true)}
						title="Severity 1 is the most severe; each choice includes the more severe levels">
						<option value="">All severities</option>
						<option value="1">High only</option>
						<option value="2">Medium and higher</option>
						<option value="3">Low and higher</option>
					</select>
				</div>
				<div class="field">
					<label for="af-engine">Engine</label>
					<select id="af-engine" value={draft.engine} onChange={(e) => setField({ engine: e.currentTarget.value }, true)}
						title="Which part of vigil raised the alert">
						<option value="">All engines</option>
						{Object.entries(ENGINES).map(([k, v]) => <option key={k} value={k} title={v.help}>{v.name}</option>)}
					</select>
				</div>
				<div class="field">
					<label for="af-status">Status</label>
					<select id="af-status" value={draft.status} onChange={(e) => setField({ status: e.currentTarget.value }, true)}>
						<option value="">Any status</option>
						{Object.entries(STATUSES).map(([k, v]) => <option key={k} value={k}>{v.name}</option>)}
					</select>
				</div>
				<div class="field field-narrow">
					<label for="af-sid">Rule SID</label>
					<input id="af-sid" inputMode="numeric" pattern="[0-9]*" value={draft.sid} placeholder="e.g. 2100002"
						title="Signature ID of a rule" onInput={(e) => setField({ sid: e.currentTarget.value.trim() })} />
				</div>
				<div class="field">
					<label for="af-host">Host</label>
					<input id="af-host" value={draft.host} placeholder="IP address" spellcheck={false}
						title="Source or destination address" onInput={(e) => setField({ host: e.currentTarget.value.trim() })} />
				</div>
				<div class="field field-wide">
					<label for="af-q">Text</label>
					<input id="af-q" type="search" value={draft.q} placeholder="signature, category, detector, indicator…"
						onInput={(e) => setField({ q: e.currentTarget.value })} />
				</div>
				<div class="filter-buttons">
					<button type="submit" class="btn btn-primary">Apply</button>
					{activeFilters > 0 && <a class="btn btn-ghost" href="#/alerts">Clear filters</a>}
				</div>
			</form>

			<div class="toolbar">
				<div class="toolbar-left">
					{selected.size > 0 ? (
						<>
							<span class="selcount">{selected.size} selected</span>
							<button type="button" class="btn btn-primary" disabled={busy} onClick={ackSelected}>Acknowledge selected</button>
							<button type="button" class="btn btn-ghost" onClick={() => setSelected(new Set())}>Clear selection</button>
						</>
					) : (
						<span class="muted">{loading ? 'Loading…' : `${list.total.toLocaleString('en-US')} alert${list.total === 1 ? '' : 's'}${activeFilters ? ' match the filters' : ''}`}</span>
					)}
					<LiveDot live={live} />
				</div>
				<div class="toolbar-right">
					<span class="muted export-label">Export the filtered alerts:</span>
					<a class="btn btn-small" href={apiUrl('alerts/export.csv', q)} download="vigil-alerts.csv" title="All alerts matching the filters, as CSV (spreadsheets)">CSV</a>
					<a class="btn btn-small" href={apiUrl('alerts/export.eve', q)} download="vigil-alerts.eve.json" title="All alerts matching the filters, as EVE JSON lines (SIEM)">EVE JSON</a>
				</div>
			</div>

			{pending > 0 && (
				<div class="banner" role="status">
					{pending} new alert{pending > 1 ? 's' : ''} since this page was loaded.{' '}
					<a href={href('alerts', { ...filters })}>Show the newest</a>
				</div>
			)}

			<ErrorBox error={error} />
			{!loading && !error && list.alerts.length === 0 && (
				<Empty title={activeFilters ? 'No alert matches these filters.' : 'No alerts yet.'}>
					{activeFilters ? 'Widen the time range or clear some filters.' : 'Alerts appear here as soon as a rule, an indicator or a detector fires.'}
				</Empty>
			)}
			{loading && list.alerts.length === 0 && !error && <Loading what="Loading alerts" />}

			{list.alerts.length > 0 && (
				<div class="table-wrap">
					<table class="table cards alerts-table" aria-busy={loading}>
						<caption class="sr-only">Alerts, newest first</caption>
						<thead>
							<tr>
								<th scope="col" class="col-check">
									<input type="checkbox" checked={allSelected} onChange={toggleAll} aria-label="Select all alerts on this page" />
								</th>
								<th scope="col">Severity</th>
								<th scope="col">Signature</th>
								<th scope="col">Engine</th>
								<th scope="col">Source → destination</th>
								<th scope="col" class="num" title="How often this rule fired for the same source and destination">Count</th>
								<th scope="col" title="When the alert was last raised (and first, below, when it repeats)">Last seen</th>
								<th scope="col">Status</th>
							</tr>
						</thead>
						<tbody>
							{list.alerts.map((a) => (
								<AlertRow key={a.id} a={a} fresh={fresh[a.id]} checked={selected.has(a.id)} onToggle={() => toggle(a.id)} />
							))}
						</tbody>
					</table>
				</div>
			)}
			<Pager total={list.total} limit={LIMIT} offset={offset} label="alerts"
				onPage={(o) => navigate('alerts', { ...filters, offset: o > 0 ? o : '' })} />
		</div>
	);
}

function LiveDot({ live }) {
	const [, tick] = useState(0);
	useEffect(() => { const t = setInterval(() => tick((n) => n + 1), 5000); return () => clearInterval(t); }, []);
	if (!live.ok) {
		return <span class="live live-off" title={live.error ? live.error.message : ''}>Live updates failing: {live.error && live.error.message}</span>;
	}
	const ago = live.at ? Math.round((Date.now() - live.at) / 1000) : null;
	return (
		<span class="live" title="New alerts are fetched every 5 seconds">
			<span class="live-dot" aria-hidden="true" /> Live{ago !== null ? ` · checked ${ago} s ago` : ''}
		</span>
	);
}

function AlertRow({ a, fresh, checked, onToggle }) {
	const detail = `#/alerts/${a.id}`;
	const sev = SEVERITY[a.severity];
	return (
		<tr class={`${fresh ? `fresh fresh-${fresh}` : ''} ${checked ? 'selected' : ''} row-sev${a.severity}`} data-id={a.id}>
			<td class="col-check" data-label="Select">
				<input type="checkbox" checked={checked} onChange={onToggle} aria-label={`Select alert ${a.id}: ${a.signature}`} />
			</td>
			<td data-label="Severity"><SeverityBadge sev={a.severity} /></td>
			<td data-label="Signature" class="col-sig">
				<a href={detail} class="sig-link" title={sev ? sev.help : undefined}>{a.signature || `sid ${a.sid}`}</a>
				{fresh === 'new' && <span class="pill pill-new">new</span>}
				{fresh === 'updated' && <span class="pill pill-upd">updated</span>}
				<div class="sub">{a.category || a.classtype}{a.ioc_indicator ? ` · ${a.ioc_indicator}` : ''}</div>
			</td>
			<td data-label="Engine"><EngineTag engine={a.engine} detector={a.detector} /></td>
			<td data-label="Hosts" class="col-hosts">
				<a class="host" href={href('alerts', { host: a.src_ip })} title={`Alerts of ${a.src_ip}`}>{hostPort(a.src_ip, a.src_port)}</a>
				{a.dest_ip ? <> <span class="arrow" aria-label="to">→</span> <a class="host" href={href('alerts', { host: a.dest_ip })} title={`Alerts of ${a.dest_ip}`}>{hostPort(a.dest_ip, a.dest_port)}</a></> : null}
				{a.app_proto && a.app_proto !== 'unknown' ? <div class="sub">{a.app_proto}</div> : null}
			</td>
			<td data-label="Count" class="num">{Number(a.count || 0).toLocaleString('en-US')}</td>
			<td data-label="Last seen" class="time">
				<span title={fmtAgo(a.last_seen_us)}>{fmtTime(a.last_seen_us)}</span>
				{a.first_seen_us !== a.last_seen_us && <div class="sub" title={fmtAgo(a.first_seen_us)}>first {fmtTime(a.first_seen_us)}</div>}
			</td>
			<td data-label="Status"><StatusTag status={a.status} /></td>
		</tr>
	);
}
