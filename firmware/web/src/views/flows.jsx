// Flows: search the recorded connections; top talkers.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, apiUrl } from '../api.js';
import { href, navigate } from '../router.js';
import { appLabel, fmtAgo, fmtBytes, fmtNum, fmtTime, hostPort, icmpLabel, protoName, rangeParams, riskList } from '../format.js';
import { Empty, ErrorBox, Loading, PageTitle, Pager, Panel, useAsync } from '../components.jsx';
import { BarList } from '../charts.jsx';
import { PresetNote, RangeFields } from './filters.jsx';

// shorter pages on phones, where every row is a tall card
const LIMIT = window.matchMedia && window.matchMedia('(max-width: 700px)').matches ? 20 : 50;
const KEYS = ['host', 'app', 'port', 'proto', 'domain', 'ja3', 'min_bytes', 'range', 'from', 'to', 'sort', 'order'];
const SEARCH_KEYS = ['host', 'app', 'port', 'proto', 'domain', 'ja3', 'min_bytes'];
const FLOW_SORTS = { start: 'Start', bytes: 'Bytes', packets: 'Packets', duration: 'Duration' };
const PROTOS = ['TCP', 'UDP', 'ICMP', 'IPv6-ICMP', 'SCTP', 'GRE'];
// "10M" -> 10000000 (min_bytes accepts plain numbers with a unit)
function parseBytes(v) {
	const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*$/i.exec(v || '');
	if (!m) return '';
	const mul = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[m[2].toLowerCase()];
	return String(Math.round(Number(m[1]) * mul));
}

// Everything nDPI found in a flow, as label/value pairs.
function findings(f) {
	return [
		['SNI', f.tls_sni, 'TLS server name the client asked for'],
		['JA3', f.ja3, 'TLS client fingerprint'],
		['JA3S', f.ja3s, 'TLS server fingerprint'],
		['DNS', f.dns_rrname, 'DNS name queried'],
		['HTTP host', f.http_host],
		['User-Agent', f.http_user_agent],
		['Community ID', f.community_id, 'Community ID v1 of the flow, as in its EVE events: the same value in Suricata, Zeek and packet stores'],
	].filter((x) => x[1]);
}

// pcap: the flow ids whose packets are known to be kept (an alert's
// detail says); without it, every alerted flow offers its download, which
// answers 404 once rotation deleted the packets.
export function FlowTable({ flows, caption, pcap }) {
	return (
		<div class="table-wrap">
			<table class="table cards flows-table">
				<caption class="sr-only">{caption}</caption>
				<thead>
					<tr>
						<th scope="col">Start</th>
						<th scope="col">Client → server</th>
						<th scope="col">Application</th>
						<th scope="col">What nDPI found</th>
						<th scope="col" class="num" title="Packets client→server / server→client">Packets</th>
						<th scope="col" class="num" title="Bytes client→server / server→client">Bytes</th>
						<th scope="col">State</th>
					</tr>
				</thead>
				<tbody>
					{flows.map((f) => {
						const risks = riskList(f.risks);
						const found = findings(f);
						const dur = f.end_us && f.start_us ? (f.end_us - f.start_us) / 1e6 : 0;
						return (
							<tr key={f.id || f.flow_id} class={f.alerted ? 'alerted' : ''}>
								<td data-label="Start" class="time" title={fmtAgo(f.start_us)}>{fmtTime(f.start_us)}<div class="sub">lasted {dur.toFixed(dur < 10 ? 2 : 0)} s</div></td>
								<td data-label="Client → server" class="col-hosts">
									<a href={href('flows', { host: f.src_ip })}>{hostPort(f.src_ip, f.src_port)}</a>
									{' '}<span class="arrow" aria-label="to">→</span>{' '}
									<a href={href('flows', { host: f.dest_ip })}>{hostPort(f.dest_ip, f.dest_port)}</a>
									<div class="sub">{protoName(f.proto)}{icmpLabel(f) ? ` ${icmpLabel(f)}` : ''}{f.alerted ? <span class="pill pill-alert" title="An alert was raised on this flow">alerted</span> : null}
										{f.alerted && (!pcap || pcap.includes(f.flow_id)) ? <>{' '}<a class="small flow-pcap" href={apiUrl(`flows/${f.flow_id}/pcap`)} download={`vigil-flow-${f.flow_id}.pcap`} title="This flow's packets (pcap)">pcap</a></> : null}</div>
								</td>
								<td data-label="Application">
									<span class="app" title="app_proto, as in EVE (Suricata's name), and nDPI's protocol">{appLabel(f.app_proto, f.ndpi_protocol || f.ndpi_app_proto)}</span>
									{f.ndpi_category && <div class="sub">{f.ndpi_category}</div>}
								</td>
								<td data-label="nDPI found" class="findings">
									{found.length === 0 && risks.length === 0 ? <span class="muted">–</span> : null}
									{found.length > 0 && (
										<dl class="kv">
											{found.map(([k, v, t]) => <div key={k}><dt title={t}>{k}</dt><dd class="mono">{v}</dd></div>)}
										</dl>
									)}
									{risks.length > 0 && (
										<ul class="risks" aria-label="nDPI risks">
											{risks.map((r) => <li key={r} class="risk" title="Risk flagged by nDPI">{r}</li>)}
										</ul>
									)}
								</td>
								<td data-label="Packets" class="num">{fmtNum(f.pkts_toserver)} / {fmtNum(f.pkts_toclient)}</td>
								<td data-label="Bytes" class="num">{fmtBytes(f.bytes_toserver)} / {fmtBytes(f.bytes_toclient)}</td>
								<td data-label="State">{f.state}</td>
							</tr>
						);
					})}
				</tbody>
			</table>
		</div>
	);
}

export function FlowsView({ params }) {
	const filters = useMemo(() => Object.fromEntries(KEYS.map((k) => [k, params[k] || ''])), [params]);
	const offset = Math.max(0, parseInt(params.offset || '0', 10) || 0);
	const key = JSON.stringify([filters, offset]);
	const [draft, setDraft] = useState(filters);
	const [showFilters, setShowFilters] = useState(false); // phones: filters folded away
	useEffect(() => setDraft(filters), [key]); // eslint-disable-line react-hooks/exhaustive-deps

	const range = rangeParams(filters);
	const search = Object.fromEntries(SEARCH_KEYS.map((k) => [k, filters[k]]));
	const flows = useAsync(() => api.get('flows', { ...search, ...range, sort: filters.sort, order: filters.order, limit: LIMIT, offset }), [key]);
	const talkers = useAsync(() => api.get('flows/top-talkers', { ...range, limit: 10 }), [filters.range, filters.from, filters.to]);

	const apply = (next) => {
		const p = { ...next };
		if (p.range !== 'custom') { p.from = ''; p.to = ''; }
		if (p.min_bytes) p.min_bytes = parseBytes(p.min_bytes) || p.min_bytes;
		navigate('flows', p);
	};
	const active = SEARCH_KEYS.some((k) => filters[k]) || filters.range;
	const setSort = (partial) => navigate('flows', { ...filters, ...partial, offset: '' });
	const sortName = FLOW_SORTS[filters.sort] || 'Start';
	const list = (flows.data && flows.data.flows) || [];
	const total = (flows.data && flows.data.total) || 0;
	const hosts = (talkers.data && talkers.data.hosts) || [];

	return (
		<div class="page">
			<PageTitle sub="Every connection the sensor saw, with what nDPI recognised in it.">Flows</PageTitle>
			<button type="button" class="btn filters-toggle" aria-expanded={showFilters} aria-controls="flow-filters"
				onClick={() => setShowFilters(!showFilters)}>
				{showFilters ? 'Hide search' : 'Search'}{active ? ' (filtered)' : ''}
			</button>
			<form id="flow-filters" class={`filters panel collapsible ${showFilters ? 'open' : ''}`} role="search" aria-label="Search flows"
				onSubmit={(e) => { e.preventDefault(); setShowFilters(false); apply(draft); }}>
				<div class="field">
					<label for="ff-host">Host</label>
					<input id="ff-host" value={draft.host} placeholder="IP address" spellcheck={false}
						title="Client or server address" onInput={(e) => setDraft({ ...draft, host: e.currentTarget.value.trim() })} />
				</div>
				<div class="field">
					<label for="ff-app">Application</label>
					<input id="ff-app" value={draft.app} placeholder="e.g. tls, krb5, kerberos, TLS.YouTube" spellcheck={false}
						title="EVE's app_proto (Suricata's name: krb5, smb), nDPI's name (kerberos, smbv23) or nDPI's full protocol (TLS.YouTube); unknown: nothing recognised" onInput={(e) => setDraft({ ...draft, app: e.currentTarget.value.trim() })} />
				</div>
				<div class="field field-narrow">
					<label for="ff-port">Port</label>
					<input id="ff-port" inputMode="numeric" value={draft.port} placeholder="e.g. 443" title="Client or server port"
						onInput={(e) => setDraft({ ...draft, port: e.currentTarget.value.trim() })} />
				</div>
				<div class="field field-narrow">
					<label for="ff-proto">Protocol</label>
					<select id="ff-proto" value={draft.proto} onChange={(e) => setDraft({ ...draft, proto: e.currentTarget.value })}>
						<option value="">Any</option>
						{PROTOS.map((p) => <option key={p} value={p}>{p}</option>)}
					</select>
				</div>
				<div class="field">
					<label for="ff-domain">SNI or domain</label>
					<input id="ff-domain" value={draft.domain} placeholder="e.g. example.org" spellcheck={false}
						title="Part of the TLS server name, DNS query or HTTP host" onInput={(e) => setDraft({ ...draft, domain: e.currentTarget.value.trim() })} />
				</div>
				<div class="field">
					<label for="ff-ja3">JA3 / JA3S</label>
					<input id="ff-ja3" value={draft.ja3} placeholder="32 hex digits" spellcheck={false}
						title="TLS client (JA3) or server (JA3S) fingerprint" onInput={(e) => setDraft({ ...draft, ja3: e.currentTarget.value.trim() })} />
				</div>
				<div class="field field-narrow">
					<label for="ff-bytes">At least</label>
					<input id="ff-bytes" value={draft.min_bytes} placeholder="e.g. 10M" spellcheck={false}
						title="Bytes in both directions: a number, or with k, M, G" onInput={(e) => setDraft({ ...draft, min_bytes: e.currentTarget.value.trim() })} />
				</div>
				<RangeFields idPrefix="ff" value={draft} label="Started"
					onChange={(p) => { const n = { ...draft, ...p }; setDraft(n); if ('range' in p && p.range !== 'custom') apply(n); }} />
				<div class="filter-buttons">
					<button type="submit" class="btn btn-primary">Search</button>
					{active && <a class="btn btn-ghost" href="#/flows">Clear</a>}
				</div>
			</form>
			<PresetNote range={filters.range} />

			<Panel title="Top talkers" id="talkers" actions={<span class="muted small legend"><span class="key key-home" aria-hidden="true" /> home network <span class="key key-ext" aria-hidden="true" /> outside</span>}>
				<ErrorBox error={talkers.error} />
				{talkers.data && hosts.length === 0 && <p class="muted">No traffic in this range.</p>}
				{hosts.length > 0 && (
					<div class="grid2 talkers">
						{[hosts.slice(0, 5), hosts.slice(5, 10)].filter((l) => l.length).map((part, i) => (
							<BarList key={i} caption={i ? 'Hosts with the most bytes, 6 to 10' : 'Hosts with the most bytes'}
								items={part.map((h) => ({
									label: h.host, value: (h.bytes_sent || 0) + (h.bytes_received || 0),
									title: `${h.host}${h.home ? ' (home network)' : ''}: ${fmtNum(h.flows)} flows, ${fmtBytes(h.bytes_sent)} sent, ${fmtBytes(h.bytes_received)} received`,
									cls: h.home ? 'bar' : 'bar bar-ext',
								}))}
								max={(hosts[0].bytes_sent || 0) + (hosts[0].bytes_received || 0)}
								valueLabel={(v) => fmtBytes(v)}
								linkOf={(it) => href('flows', { ...filters, host: it.label, offset: '' })} />
						))}
					</div>
				)}
			</Panel>

			<ErrorBox error={flows.error} />
			{flows.loading && !flows.data && <Loading what="Loading flows" />}
			{flows.data && list.length === 0 && (
				<Empty title="No flow matches.">{active ? 'Try other search terms, or a longer time range.' : 'Flows appear when the capture has seen traffic.'}</Empty>
			)}
			{list.length > 0 && (
				<>
					<div class="toolbar">
						<div class="toolbar-left">
							<span class="muted">{fmtNum(total)}{flows.data.total_exact === false ? '+' : ''} flow{total === 1 ? '' : 's'}{active ? ' match' : ''}, by {sortName.toLowerCase()}{filters.order === 'asc' ? ' (reversed)' : ''}.</span>
						</div>
						<div class="toolbar-right">
							<span class="inline-field">
								<label for="ff-sort">Sort by</label>
								<select id="ff-sort" class="select-small" value={filters.sort || 'start'}
									onChange={(e) => setSort({ sort: e.currentTarget.value === 'start' ? '' : e.currentTarget.value })}>
									{Object.entries(FLOW_SORTS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
								</select>
							</span>
							<button type="button" class="btn btn-small btn-ghost" aria-pressed={filters.order === 'asc'}
								title={filters.order === 'asc' ? 'Reversed: the smallest, shortest or oldest first' : 'The biggest, longest or newest first; click to reverse'}
								onClick={() => setSort({ order: filters.order === 'asc' ? '' : 'asc' })}>{filters.order === 'asc' ? '↑ Reversed' : '↓ Largest first'}</button>
						</div>
					</div>
					<FlowTable flows={list} caption="Flows" />
				</>
			)}
			<Pager total={total} limit={LIMIT} offset={offset} label="flows"
				prevLabel={filters.sort || filters.order ? '‹ Previous' : '‹ Newer'} nextLabel={filters.sort || filters.order ? 'Next ›' : 'Older ›'}
				onPage={(o) => navigate('flows', { ...filters, offset: o > 0 ? o : '' })} />
		</div>
	);
}
