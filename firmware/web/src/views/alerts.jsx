// The alerts list: filters, live updates, bulk acknowledge, exports.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, apiUrl } from '../api.js';
import { navigate, href } from '../router.js';
import { ENGINES, SEVERITY, STATUSES, fmtAgo, fmtNum, fmtTime, hostPort, rangeParams } from '../format.js';
import { EngineTag, Empty, ErrorBox, Loading, PageTitle, Pager, SeverityBadge, StatusTag, toast } from '../components.jsx';
import { PresetNote, RangeFields } from './filters.jsx';

// shorter pages on phones, where every row is a tall card
const LIMIT = window.matchMedia && window.matchMedia('(max-width: 700px)').matches ? 20 : 50;
const POLL_MS = 5000;
const FILTER_KEYS = ['range', 'from', 'to', 'severity', 'engine', 'sid', 'host', 'status', 'q'];
// how the list is shown: not filters (they do not count as "active")
const VIEW_KEYS = ['view', 'sort', 'order'];
export const SORTS = {
	last_seen: { name: 'Last seen', key: 'last_seen_us', help: 'Newest occurrence first' },
	first_seen: { name: 'First seen', key: 'first_seen_us', help: 'Newest first sighting first' },
	severity: { name: 'Severity', key: 'severity', help: 'Most severe first' },
	count: { name: 'Count', key: 'count', help: 'Most occurrences first' },
};
const FILTERS_OPEN_KEY = 'vigil.alerts.filters';

function filtersOf(params) {
	const f = {};
	for (const k of FILTER_KEYS) f[k] = params[k] || '';
	return f;
}
function viewOf(params) {
	return {
		view: params.view === 'signature' ? 'signature' : '',
		sort: SORTS[params.sort] ? params.sort : '',
		order: params.order === 'asc' ? 'asc' : '',
	};
}

// Filters as the API wants them (time range resolved to microseconds).
export function alertQuery(f) {
	const { range, from, to, ...rest } = f; // eslint-disable-line no-unused-vars
	return { ...rest, ...rangeParams(f) };
}
// sort and order for the API (empty: its default, last seen, newest first)
function sortQuery(v) {
	return { sort: v.sort, order: v.order };
}

// The list's order on the page, for alerts merged in by live updates:
// the API's orders (web_alerts.c), "desc" the worst, most or newest first.
function compareBy(v) {
	const k = SORTS[v.sort || 'last_seen'].key;
	const dir = v.order === 'asc' ? -1 : 1;
	const byTime = k === 'last_seen_us' || k === 'first_seen_us';
	return (x, y) => {
		const d = (k === 'severity' ? x.severity - y.severity : y[k] - x[k]) * dir;
		if (d) return d;
		return byTime ? (y.id - x.id) * dir : (y.last_seen_us - x.last_seen_us) || (y.id - x.id);
	};
}

const changed = (a, b) => a.count !== b.count || a.last_seen_us !== b.last_seen_us || a.status !== b.status;

export function AlertsView({ params }) {
	const filters = useMemo(() => filtersOf(params), [params]);
	const view = useMemo(() => viewOf(params), [params]);
	const grouped = view.view === 'signature';
	const offset = Math.max(0, parseInt(params.offset || '0', 10) || 0);
	const key = JSON.stringify([filters, view, offset]);

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
	// the filter row: folded away on phones; on a desktop open unless the
	// user folded it (remembered in this browser)
	const [showFilters, setShowFiltersState] = useState(() => {
		try { const v = localStorage.getItem(FILTERS_OPEN_KEY); if (v) return v === 'open'; } catch { /* private mode */ }
		return !(window.matchMedia && window.matchMedia('(max-width: 700px)').matches);
	});
	const setShowFilters = (open) => {
		setShowFiltersState(open);
		try { localStorage.setItem(FILTERS_OPEN_KEY, open ? 'open' : 'closed'); } catch { /* private mode */ }
	};
	const maxId = useRef(0);
	const listRef = useRef(list);
	listRef.current = list;

	const load = async () => {
		setLoading(true);
		try {
			if (grouped) {
				const g = await api.get('alerts/groups', { ...alertQuery(filters), ...sortQuery(view), limit: LIMIT, offset });
				setList({ alerts: [], groups: g.groups || [], total: g.total || 0 });
			}
			const d = grouped ? { alerts: [] } : await api.get('alerts', { ...alertQuery(filters), ...sortQuery(view), limit: LIMIT, offset });
			const alerts = d.alerts || [];
			if (!grouped) setList({ alerts, total: d.total || 0 });
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
			} else if (offset === 0 && !grouped) {
				added.push(a);
				marks[a.id] = 'new';
				newCount++;
			} else {
				newCount++;
			}
		}
		if (grouped) {
			if (newCount) setPending((n) => n + newCount);
			return;
		}
		if (offset === 0 && (added.length || Object.keys(marks).length)) {
			const alerts = [...added, ...cur.alerts.map((a) => byId.get(a.id))];
			alerts.sort(compareBy(view));
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
		const p = { ...next, ...view };
		if (p.range !== 'custom') { p.from = ''; p.to = ''; }
		if (!resetOffset && offset) p.offset = offset;
		navigate('alerts', p);
	};
	const setView = (partial) => navigate('alerts', { ...filters, ...view, ...partial });
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
	const sortName = SORTS[view.sort || 'last_seen'].name;
	const what = grouped ? 'signature' : 'alert';

	return (
		<div class="page">
			<PageTitle sub={`${grouped ? 'One row per signature' : 'One row per signature, source and destination'}; by ${sortName.toLowerCase()}${view.order === 'asc' ? ' (reversed)' : ''}. Updates by themselves every 5 seconds.`}
				actions={
					<div class="filterbar-head">
						{activeFilters > 0 && <a class="btn btn-small btn-ghost" href={href('alerts', view)}>Clear filters</a>}
						<button type="button" class="btn btn-small filters-toggle" aria-expanded={showFilters} aria-controls="alert-filters"
							onClick={() => setShowFilters(!showFilters)}>
							{showFilters ? 'Hide filters' : 'Filters'}{activeFilters ? ` (${activeFilters} active)` : ''}
						</button>
					</div>
				}>Alerts</PageTitle>
			<form id="alert-filters" class={`filterbar collapsible ${showFilters ? 'open' : ''}`} role="search" aria-label="Filter alerts"
				onSubmit={(e) => { e.preventDefault(); apply(draft); }}>
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
					<label for="af-status">Status</label>
					<select id="af-status" value={draft.status} onChange={(e) => setField({ status: e.currentTarget.value }, true)}>
						<option value="">Any status</option>
						{Object.entries(STATUSES).map(([k, v]) => <option key={k} value={k}>{v.name}</option>)}
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
					<input id="af-q" type="search" value={draft.q} placeholder="signature, category, indicator…"
						onInput={(e) => setField({ q: e.currentTarget.value })} />
				</div>
				<div class="filter-buttons">
					<button type="submit" class="btn btn-primary btn-small">Apply</button>
				</div>
			</form>
			<PresetNote range={filters.range} />

			<div class="toolbar">
				<div class="toolbar-left">
					<div class="segmented" role="group" aria-label="Show">
						<button type="button" class="btn btn-small" aria-pressed={!grouped} onClick={() => setView({ view: '' })}
							title="One row per alert: a signature between one source and one destination">Alerts</button>
						<button type="button" class="btn btn-small" aria-pressed={grouped} onClick={() => setView({ view: 'signature' })}
							title="One row per signature, with how many hosts and alerts it has">By signature</button>
					</div>
					<span class="inline-field">
						<label for="af-sort">Sort by</label>
						<select id="af-sort" class="select-small" value={view.sort || 'last_seen'}
							onChange={(e) => setView({ sort: e.currentTarget.value === 'last_seen' ? '' : e.currentTarget.value })}>
							{Object.entries(SORTS).map(([k, v]) => <option key={k} value={k} title={v.help}>{v.name}</option>)}
						</select>
					</span>
					<button type="button" class="btn btn-small btn-ghost" onClick={() => setView({ order: view.order === 'asc' ? '' : 'asc' })}
						aria-pressed={view.order === 'asc'}
						title={view.order === 'asc' ? 'Reversed: the least severe, fewest or oldest first; click for the worst first' : 'The worst, most or newest first; click to reverse'}>{view.order === 'asc' ? '↑ Reversed' : '↓ Worst first'}</button>
					{selected.size > 0 ? (
						<>
							<span class="selcount">{selected.size} selected</span>
							<button type="button" class="btn btn-primary btn-small" disabled={busy} onClick={ackSelected}>Acknowledge selected</button>
							<button type="button" class="btn btn-ghost btn-small" onClick={() => setSelected(new Set())}>Clear selection</button>
						</>
					) : (
						<span class="muted count-label">{loading ? 'Loading…' : `${list.total.toLocaleString('en-US')} ${what}${list.total === 1 ? '' : 's'}${activeFilters ? ' match the filters' : ''}`}</span>
					)}
					<LiveDot live={live} />
				</div>
				<div class="toolbar-right">
					<span class="muted export-label">Export:</span>
					<a class="btn btn-small" href={apiUrl('alerts/export.csv', q)} download="vigil-alerts.csv" title="All alerts matching the filters, as CSV (spreadsheets)">CSV</a>
					<a class="btn btn-small" href={apiUrl('alerts/export.eve', q)} download="vigil-alerts.eve.json" title="All alerts matching the filters, as EVE JSON lines (SIEM)">EVE JSON</a>
				</div>
			</div>

			{pending > 0 && (
				<div class="banner" role="status">
					{pending} new alert{pending > 1 ? 's' : ''} since this page was loaded.{' '}
					<a href={href('alerts', { ...filters, ...view })} onClick={() => { if (!offset) load(); }}>Show them</a>
				</div>
			)}

			<ErrorBox error={error} />
			{!loading && !error && list.total === 0 && (
				<Empty title={activeFilters ? 'No alert matches these filters.' : 'No alerts yet.'}>
					{activeFilters ? 'Widen the time range or clear some filters.' : 'Alerts appear here as soon as a rule, an indicator or a detector fires.'}
				</Empty>
			)}
			{loading && list.total === 0 && !error && <Loading what="Loading alerts" />}

			{!grouped && list.alerts.length > 0 && (
				<div class="table-wrap">
					<table class="table cards alerts-table dense" aria-busy={loading}>
						<caption class="sr-only">Alerts, by {sortName.toLowerCase()}</caption>
						<AlertHead allSelected={allSelected} toggleAll={toggleAll} firstSeen={view.sort === 'first_seen'} />
						<tbody>
							{list.alerts.map((a) => (
								<AlertRow key={a.id} a={a} fresh={fresh[a.id]} checked={selected.has(a.id)} onToggle={() => toggle(a.id)}
									firstSeen={view.sort === 'first_seen'} />
							))}
						</tbody>
					</table>
				</div>
			)}
			{grouped && (list.groups || []).length > 0 && (
				<div class="table-wrap">
					<table class="table cards groups-table dense" aria-busy={loading}>
						<caption class="sr-only">Alerts grouped by signature, by {sortName.toLowerCase()}</caption>
						<thead>
							<tr>
								<th scope="col" class="col-expand"><span class="sr-only">Expand</span></th>
								<th scope="col">Severity</th>
								<th scope="col">Signature</th>
								<th scope="col">Engine</th>
								<th scope="col" class="num" title="Alerts: source and destination pairs this signature fired for (new ones in brackets)">Alerts</th>
								<th scope="col" class="num" title="Distinct sources → distinct destinations">Hosts</th>
								<th scope="col" class="num" title="Occurrences: how often it fired, all alerts together">Count</th>
								<th scope="col">Last seen</th>
							</tr>
						</thead>
						{list.groups.map((g) => (
							<GroupRows key={`${g.gid}:${g.sid}`} g={g} filters={filters} view={view} />
						))}
					</table>
				</div>
			)}
			<Pager total={list.total} limit={LIMIT} offset={offset} label={`${what}s`}
				prevLabel={view.sort || view.order ? '‹ Previous' : '‹ Newer'} nextLabel={view.sort || view.order ? 'Next ›' : 'Older ›'}
				onPage={(o) => navigate('alerts', { ...filters, ...view, offset: o > 0 ? o : '' })} />
		</div>
	);
}

function AlertHead({ allSelected, toggleAll, firstSeen }) {
	return (
		<thead>
			<tr>
				<th scope="col" class="col-check">
					{toggleAll ? <input type="checkbox" checked={allSelected} onChange={toggleAll} aria-label="Select all alerts on this page" /> : <span class="sr-only">Select</span>}
				</th>
				<th scope="col">Severity</th>
				<th scope="col">Signature</th>
				<th scope="col">Engine</th>
				<th scope="col">Source → destination</th>
				<th scope="col" class="num" title="How often this rule fired for the same source and destination">Count</th>
				<th scope="col" title={firstSeen ? 'When the alert was first raised (both times in the tooltip)' : 'When the alert was last raised (both times in the tooltip)'}>{firstSeen ? 'First seen' : 'Last seen'}</th>
				<th scope="col">Status</th>
			</tr>
		</thead>
	);
}

// One signature: its summary row and, expanded, its alerts (the same
// filters and order, the first page of them).
function GroupRows({ g, filters, view }) {
	const [open, setOpen] = useState(false);
	const [rows, setRows] = useState(null);
	const [err, setErr] = useState(null);
	const id = `grp-${g.gid}-${g.sid}`;
	const toggle = async () => {
		const next = !open;
		setOpen(next);
		if (next && !rows) {
			try {
				const d = await api.get('alerts', { ...alertQuery(filters), gid: g.gid, sid: g.sid, ...sortQuery(view), limit: 100 });
				setRows(d);
			} catch (e) { setErr(e); }
		}
	};
	const triaged = g.alerts - g.new;
	const sig = g.signature || `${g.gid}:${g.sid}`;
	return (
		<tbody class={`group ${open ? 'open' : ''}`}>
			<tr class={`group-row row-sev${g.severity}`} data-sid={g.sid}>
				<td class="col-expand" data-label="Expand">
					<button type="button" class="btn btn-small btn-ghost expand" aria-expanded={open} aria-controls={id}
						aria-label={`${open ? 'Hide' : 'Show'} the alerts of ${sig}`} onClick={toggle}>{open ? '▾' : '▸'}</button>
				</td>
				<td data-label="Severity"><SeverityBadge sev={g.severity} /></td>
				<td data-label="Signature" class="col-sig">
					<a href={href('alerts', { ...filters, sid: g.sid, ...view, view: '' })} class="sig-link"
						title={`The alerts of ${sig}`}>{sig}</a>
					<div class="sub">{g.category || ''}</div>
				</td>
				<td data-label="Engine"><EngineTag engine={g.engine} detector={g.detector} /></td>
				<td data-label="Alerts" class="num" title={`${fmtNum(g.alerts)} alerts: ${fmtNum(g.new)} new, ${fmtNum(triaged)} triaged`}>
					{fmtNum(g.alerts)} {g.new > 0 ? <span class="status-new small">({fmtNum(g.new)} new)</span> : null}
				</td>
				<td data-label="Hosts" class="num" title={`${fmtNum(g.sources)} distinct sources, ${fmtNum(g.destinations)} distinct destinations`}>
					{fmtNum(g.sources)} → {fmtNum(g.destinations)}
				</td>
				<td data-label="Count" class="num">{fmtNum(g.count)}</td>
				<td data-label="Last seen" class="time">
					<span title={fmtAgo(g.last_seen_us)}>{fmtTime(g.last_seen_us)}</span>
					{g.first_seen_us !== g.last_seen_us && <div class="sub">first {fmtTime(g.first_seen_us)}</div>}
				</td>
			</tr>
			{open && (
				<tr class="group-detail" id={id}>
					<td colSpan={8}>
						<ErrorBox error={err} />
						{!rows && !err && <Loading what="Loading its alerts" />}
						{rows && (
							<>
								<table class="table alerts-table dense nested">
									<caption class="sr-only">The alerts of {sig}</caption>
									<AlertHead firstSeen={view.sort === 'first_seen'} />
									<tbody>{rows.alerts.map((a) => <AlertRow key={a.id} a={a} firstSeen={view.sort === 'first_seen'} />)}</tbody>
								</table>
								{rows.total > rows.alerts.length && (
									<p class="muted small">The first {rows.alerts.length} of {fmtNum(rows.total)} alerts.{' '}
										<a href={href('alerts', { ...filters, sid: g.sid, ...view, view: '' })}>All of them</a></p>
								)}
							</>
						)}
					</td>
				</tr>
			)}
		</tbody>
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

// An alert that fired again after it was triaged (and so is new again,
// vigil.conf [store] recur): seen before, and when it came back.
export function RecurredPill({ us }) {
	return (
		<span class="pill pill-recur" title={`Recurred ${fmtTime(us)} (${fmtAgo(us)}): it fired again after it was triaged`}>
			recurred<span class="sr-only"> {fmtTime(us)}</span>
		</span>
	);
}

// One alert on one line (a card on phones): the category and the
// application shortened to fit, the first and last time in the time
// cell's tooltip, the one the list is sorted by shown.
function AlertRow({ a, fresh, checked, onToggle, firstSeen }) {
	const detail = `#/alerts/${a.id}`;
	const sev = SEVERITY[a.severity];
	const cat = `${a.category || a.classtype || ''}${a.ioc_indicator ? ` · ${a.ioc_indicator}` : ''}`;
	const shown = firstSeen ? a.first_seen_us : a.last_seen_us;
	const times = a.first_seen_us === a.last_seen_us ? `seen once, ${fmtAgo(a.last_seen_us)}`
		: `first seen ${fmtTime(a.first_seen_us)}, last seen ${fmtTime(a.last_seen_us)} (${fmtAgo(a.last_seen_us)})`;
	return (
		<tr class={`${fresh ? `fresh fresh-${fresh}` : ''} ${checked ? 'selected' : ''} row-sev${a.severity}`} data-id={a.id}>
			<td class="col-check" data-label="Select">
				{onToggle && <input type="checkbox" checked={checked} onChange={onToggle} aria-label={`Select alert ${a.id}: ${a.signature}`} />}
			</td>
			<td data-label="Severity"><SeverityBadge sev={a.severity} /></td>
			<td data-label="Signature" class="col-sig">
				<div class="line" title={cat ? `${a.signature || ''} (${cat})` : undefined}>
					<a href={detail} class="sig-link" title={sev ? sev.help : undefined}>{a.signature || `sid ${a.sid}`}</a>
					{fresh === 'new' && <span class="pill pill-new">new</span>}
					{fresh === 'updated' && <span class="pill pill-upd">updated</span>}
					{cat && <span class="sub-inline">{cat}</span>}
				</div>
			</td>
			<td data-label="Engine"><EngineTag engine={a.engine} detector={a.detector} /></td>
			<td data-label="Hosts" class="col-hosts">
				<a class="host" href={href('alerts', { host: a.src_ip })} title={`Alerts of ${a.src_ip}`}>{hostPort(a.src_ip, a.src_port)}</a>
				{a.dest_ip ? <> <span class="arrow" aria-label="to">→</span> <a class="host" href={href('alerts', { host: a.dest_ip })} title={`Alerts of ${a.dest_ip}`}>{hostPort(a.dest_ip, a.dest_port)}</a></> : null}
				{a.app_proto ? <span class="sub-inline">{a.app_proto}</span> : null}
			</td>
			<td data-label="Count" class="num">{Number(a.count || 0).toLocaleString('en-US')}</td>
			<td data-label={firstSeen ? 'First seen' : 'Last seen'} class="time">
				<span title={times}>{fmtTime(shown)}</span>
			</td>
			<td data-label="Status" class="col-status"><StatusTag status={a.status} />{a.recurred_us ? <RecurredPill us={a.recurred_us} /> : null}</td>
		</tr>
	);
}
