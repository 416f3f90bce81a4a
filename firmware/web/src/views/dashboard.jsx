// Dashboard: traffic and alerts over time, application mix, top alerting
// hosts, alerts by severity.
import { useMemo } from 'preact/hooks';
import { api } from '../api.js';
import { href, navigate } from '../router.js';
import { SEVERITY, fmtBytes, fmtNum, rangeParams } from '../format.js';
import { Empty, ErrorBox, Loading, PageTitle, Panel, useAsync } from '../components.jsx';
import { BarList, TimeSeries } from '../charts.jsx';
import { PresetNote, RangeFields } from './filters.jsx';

export function DashboardView({ params }) {
	const f = { range: params.range || '', from: params.from || '', to: params.to || '' };
	const key = JSON.stringify(f);
	const { data, error, loading } = useAsync(() => api.get('dashboard', rangeParams(f)), [key]);

	const buckets = (data && data.buckets) || [];
	const x = useMemo(() => buckets.map((b) => b.t_us / 1e6), [data]); // eslint-disable-line react-hooks/exhaustive-deps
	const traffic = useMemo(() => [
		{ label: 'Bytes', values: buckets.map((b) => b.bytes), color: '#3a7bd5', fill: 'rgba(58, 123, 213, 0.25)', kind: 'area', fmt: fmtBytes },
		{ label: 'Flows', values: buckets.map((b) => b.flows), color: '#c2410c', kind: 'line' },
	], [data]); // eslint-disable-line react-hooks/exhaustive-deps
	const alerts = useMemo(() => [
		{ label: 'Alerts', values: buckets.map((b) => b.alerts), color: '#c0392b', kind: 'bars' },
	], [data]); // eslint-disable-line react-hooks/exhaustive-deps

	const sev = (data && data.severity) || {};
	const sevNew = (data && data.severity_new) || {};
	const apps = ((data && data.apps) || []).slice().sort((x, y) => (y.bytes || 0) - (x.bytes || 0));
	const hosts = (data && data.top_alerting_hosts) || [];
	const empty = data && buckets.every((b) => !b.flows && !b.alerts && !b.bytes);
	const rangeQ = f.range && f.range !== 'custom' ? { range: f.range } : f.range === 'custom' ? f : {};

	return (
		<div class="page">
			<PageTitle sub="What the sensor has seen." actions={
				<RangeFields idPrefix="df" value={f} label="Time range"
					onChange={(p) => { const n = { ...f, ...p }; if (n.range !== 'custom') { n.from = ''; n.to = ''; } navigate('dashboard', n, true); }} />
			}>Dashboard</PageTitle>
			<PresetNote range={f.range} />
			<ErrorBox error={error} />
			{loading && !data && <Loading what="Loading the dashboard" />}
			{data && (
				<>
					<div class="sevcards" role="list" aria-label="Alerts by severity: new and triaged">
						{[1, 2, 3, 4].map((s) => {
							const all = sev[s] || sev[String(s)] || 0;
							const fresh = sevNew[s] || sevNew[String(s)] || 0;
							return (
								<div role="listitem" key={s} class={`sevcard sevcard-${s}`} title={SEVERITY[s].help}>
									<a class="sevcard-main" href={href('alerts', { ...rangeQ, severity: s === 4 ? '' : s, status: 'new', sort: 'severity' })}
										title={`${fmtNum(fresh)} new ${SEVERITY[s].name} alerts${s === 4 ? '' : ' (the list shows this severity and higher)'}`}>
										<span class="sevcard-n">{fmtNum(fresh)}</span>
										<span class="sevcard-l">{SEVERITY[s].name} · new</span>
									</a>
									<a class="sevcard-sub" href={href('alerts', { ...rangeQ, severity: s === 4 ? '' : s, sort: 'severity' })}
										title="Every status: new, acknowledged, false positive, escalated">
										{fmtNum(all - fresh)} triaged · {fmtNum(all)} in all
									</a>
								</div>
							);
						})}
					</div>
					{empty && <Empty title="No traffic in this time range.">Choose a longer range, or check the capture on the System page.</Empty>}
					<div class="grid2">
						<Panel title="Traffic" id="traffic">
							{buckets.length ? <TimeSeries x={x} series={traffic} label="Traffic over time: bytes and flows per interval" /> : <p class="muted">No data.</p>}
						</Panel>
						<Panel title="Alerts over time" id="alerts-over-time">
							{buckets.length ? <TimeSeries x={x} series={alerts} label="Alerts per interval" /> : <p class="muted">No data.</p>}
						</Panel>
						<Panel title="Applications" id="apps">
							{apps.length ? (
								<BarList caption="Applications by bytes" items={apps.slice(0, 12).map((a) => ({
									label: a.app || 'Unknown', value: a.bytes || 0, title: `${a.app}: ${fmtNum(a.flows)} flows, ${fmtBytes(a.bytes)}`,
								}))} valueLabel={(v, i) => `${fmtBytes(v)}`} linkOf={(i) => href('flows', { ...rangeQ, app: i.label })} />
							) : <p class="muted">No flows in this range.</p>}
						</Panel>
						<Panel title="Top alerting hosts" id="top-hosts">
							{hosts.length ? (
								<BarList caption="Hosts with the most alerts" items={hosts.slice(0, 10).map((h) => ({
									label: h.host, value: h.alerts || 0, cls: 'bar bar-alert',
								}))} valueLabel={(v) => `${fmtNum(v)} alert${v === 1 ? '' : 's'}`} linkOf={(i) => href('alerts', { ...rangeQ, host: i.label })} />
							) : <p class="muted">No alerts in this range.</p>}
						</Panel>
					</div>
				</>
			)}
		</div>
	);
}
