// Charts: time series with uPlot (canvas), small bar lists and the
// occurrence strip as plain SVG/HTML.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { fmtAxisTimes, fmtBytes, fmtNum, fmtTime, timeZone, tzName } from './format.js';

// series: [{label, values, color, kind: 'bars'|'line', scale, fmt}]; x: seconds
export function TimeSeries({ x, series, height = 220, label }) {
	const box = useRef(null);
	const plot = useRef(null);
	useEffect(() => {
		const el = box.current;
		if (!el) return undefined;
		const width = Math.max(280, el.clientWidth);
		const bars = uPlot.paths.bars({ size: [0.8, 40] });
		const steps = uPlot.paths.stepped({ align: 1 });
		const scales = {};
		// the x axis in the page's zone, 24-hour (format.js), ticks far
		// enough apart for "MM-DD HH:MM"
		const axes = [{
			stroke: '#56606e', grid: { stroke: '#e6e9ee' }, ticks: { stroke: '#e6e9ee' }, space: 80,
			values: (u, splits, ai, space, incr) => fmtAxisTimes(splits, incr),
		}];
		series.forEach((s, i) => {
			const sc = s.scale || `y${i}`;
			if (!scales[sc]) {
				scales[sc] = { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] };
				axes.push({
					scale: sc, stroke: s.color, side: Object.keys(scales).length === 1 ? 3 : 1,
					grid: { show: Object.keys(scales).length === 1, stroke: '#e6e9ee' }, ticks: { stroke: '#e6e9ee' },
					size: 64,
					values: (u, vals) => vals.map((v) => (s.fmt ? s.fmt(v) : fmtNum(v))),
				});
			}
		});
		// the legend: values at the cursor; away from the plot, the totals
		// of the range shown
		const totals = series.map((s) => s.values.reduce((a, v) => a + (Number(v) || 0), 0));
		const opts = {
			width, height,
			tzDate: (ts) => (timeZone.mode === 'utc' ? uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC') : new Date(ts * 1e3)),
			scales: { x: { time: true }, ...scales },
			legend: { live: true },
			cursor: { drag: { x: false, y: false } },
			series: [
				{
					label: `Time (${tzName()})`,
					value: (u, v, si, idx) => (idx == null || v == null ? 'all of the range' : fmtTime(v * 1e6, false)),
				},
				...series.map((s, i) => ({
					label: s.label,
					scale: s.scale || `y${i}`,
					stroke: s.color,
					width: s.kind === 'bars' ? 0 : s.kind === 'area' ? 1 : 1.5,
					fill: s.kind === 'bars' ? s.color : s.fill,
					paths: s.kind === 'bars' ? bars : steps,
					points: { show: false },
					value: (u, v, si, idx) => (idx == null ? `${s.fmt ? s.fmt(totals[i]) : fmtNum(totals[i])} in all`
						: v == null ? '' : s.fmt ? s.fmt(v) : fmtNum(v)),
				})),
			],
			axes,
		};
		plot.current = new uPlot(opts, [x, ...series.map((s) => s.values)], el);
		const ro = new ResizeObserver(() => {
			if (plot.current) plot.current.setSize({ width: Math.max(280, el.clientWidth), height });
		});
		ro.observe(el);
		return () => { ro.disconnect(); plot.current.destroy(); plot.current = null; };
	}, [x, series, height]);
	return <div class="chart" ref={box} role="img" aria-label={label} />;
}

// A ranked list with proportional bars.
export function BarList({ items, valueLabel = (v) => fmtNum(v), caption, linkOf, max: fixedMax }) {
	const max = fixedMax || items.reduce((m, i) => Math.max(m, i.value), 0) || 1;
	return (
		<table class="barlist">
			{caption && <caption class="sr-only">{caption}</caption>}
			<tbody>
				{items.map((i) => (
					<tr key={i.label}>
						<th scope="row" title={i.title || i.label}>
							{linkOf ? <a href={linkOf(i)}>{i.label}</a> : i.label}
						</th>
						<td class="barlist-bar" aria-hidden="true">
							<svg viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="10">
								<rect x="0" y="0" width={Math.max(1, (i.value / max) * 100)} height="10" rx="1.5" class={i.cls || 'bar'} />
							</svg>
						</td>
						<td class="num">{valueLabel(i.value, i)}</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}

// Occurrences of an alert on one line between its first and last time.
export function Timeline({ points, from, to }) {
	const pts = (points || []).map(Number).filter((p) => p > 0).sort((a, b) => a - b);
	if (!pts.length) return <p class="muted">No occurrence recorded.</p>;
	const lo = Math.min(Number(from) || pts[0], pts[0]);
	const hi = Math.max(Number(to) || pts[pts.length - 1], pts[pts.length - 1]);
	const span = hi - lo || 1;
	const xOf = (p) => (hi === lo ? 50 : 2 + ((p - lo) / span) * 96);
	return (
		<figure class="timeline">
			<svg viewBox="0 0 100 24" preserveAspectRatio="none" width="100%" height="48" role="img"
				aria-label={`${pts.length} occurrences from ${fmtTime(lo)} to ${fmtTime(hi)}`}>
				<line x1="0" y1="16" x2="100" y2="16" class="timeline-axis" />
				{pts.map((p, i) => <rect key={i} x={xOf(p) - 0.4} y="4" width="0.8" height="12" class="timeline-tick" />)}
			</svg>
			<figcaption class={`timeline-labels ${hi === lo ? 'single' : ''}`}>
				<span>{fmtTime(lo)}</span>
				{hi !== lo && <span>{fmtTime(hi)}</span>}
			</figcaption>
		</figure>
	);
}

export { fmtBytes };
