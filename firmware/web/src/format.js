// Formatting and the words the page uses for the API's codes.

export const SEVERITY = {
	1: { name: 'High', cls: 'sev1', help: 'Severity 1 (high): likely compromise or attack in progress; look now.' },
	2: { name: 'Medium', cls: 'sev2', help: 'Severity 2 (medium): attack attempt or risky policy breach; look today.' },
	3: { name: 'Low', cls: 'sev3', help: 'Severity 3 (low): reconnaissance or unusual traffic; look when time allows.' },
	4: { name: 'Info', cls: 'sev4', help: 'Severity 4 (informational): for context, rarely needs action.' },
};

export const ENGINES = {
	signature: { name: 'Signature', help: 'Signature: a rule in Suricata syntax matched what nDPI found in a flow (protocol, risks, SNI, HTTP fields...).' },
	ioc: { name: 'Indicator', help: 'Indicator (IOC): an address, domain, URL, JA3 or certificate hash from a threat list (abuse.ch, MISP, plain lists) was seen.' },
	detector: { name: 'Detector', help: 'Behavioural detector: a pattern over many flows (port scan, host sweep, DNS tunnel, beacon, exfiltration, brute force).' },
};

export const STATUSES = {
	new: { name: 'New', help: 'Nobody has looked at this alert yet.' },
	acknowledged: { name: 'Acknowledged', help: 'An analyst has seen it; no further action planned.' },
	false_positive: { name: 'False positive', help: 'Not an attack: the rule fired on legitimate traffic.' },
	escalated: { name: 'Escalated', help: 'Handed over for incident response.' },
};

// EVE's (Suricata's) names for IP protocol numbers
export const PROTOS = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 58: 'IPv6-ICMP', 132: 'SCTP' };

// A protocol as EVE names it, from a number or a name in any case.
export function protoName(p) {
	if (p === null || p === undefined || p === '') return '';
	if (typeof p === 'string' && !/^\d+$/.test(p)) {
		const known = Object.values(PROTOS).find((n) => n.toLowerCase() === p.toLowerCase());
		return known || p;
	}
	return PROTOS[p] || `proto ${p}`;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// One clock for every time on the page: UTC (the default) or the
// browser's local time, chosen in the top bar and remembered per user in
// this browser. Times read "2024-01-02 00:00:41", 24-hour.
const TZ_KEY = 'vigil.timezone';
export const timeZone = { mode: 'utc', user: '' };
export function loadTimeZone(user) {
	timeZone.user = user || '';
	let v = '';
	try { v = localStorage.getItem(`${TZ_KEY}.${timeZone.user}`) || ''; } catch { /* private mode */ }
	timeZone.mode = v === 'local' ? 'local' : 'utc';
	return timeZone.mode;
}
export function setTimeZoneMode(mode) {
	timeZone.mode = mode === 'local' ? 'local' : 'utc';
	try { localStorage.setItem(`${TZ_KEY}.${timeZone.user}`, timeZone.mode); } catch { /* private mode */ }
}
export function localZoneName() {
	try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time'; } catch { return 'local time'; }
}
// "UTC" or the browser's zone ("Europe/Berlin")
export function tzName() {
	return timeZone.mode === 'utc' ? 'UTC' : localZoneName();
}
// the fields of a Date in the chosen zone
export function dateParts(d) {
	const u = timeZone.mode === 'utc';
	return {
		y: u ? d.getUTCFullYear() : d.getFullYear(), mo: (u ? d.getUTCMonth() : d.getMonth()) + 1,
		d: u ? d.getUTCDate() : d.getDate(), h: u ? d.getUTCHours() : d.getHours(),
		mi: u ? d.getUTCMinutes() : d.getMinutes(), s: u ? d.getUTCSeconds() : d.getSeconds(),
	};
}

// Microseconds since the epoch -> "2024-01-02 00:00:41" in the chosen zone.
export function fmtTime(us, withSeconds = true) {
	if (us === null || us === undefined || us === '' || Number(us) <= 0) return '';
	const p = dateParts(new Date(Number(us) / 1000));
	const s = `${p.y}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}`;
	return withSeconds ? `${s}:${pad(p.s)}` : s;
}

// Chart axis labels (seconds) for ticks spaced `step` seconds apart:
// 24-hour, the date only where it changes or when ticks are days apart.
export function fmtAxisTimes(secs, step) {
	let lastDay = '';
	return secs.map((t) => {
		const p = dateParts(new Date(t * 1000));
		const day = `${pad(p.mo)}-${pad(p.d)}`;
		const hm = step < 60 ? `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}` : `${pad(p.h)}:${pad(p.mi)}`;
		let out;
		if (step >= 86400) out = `${p.y}-${day}`;
		else if (day !== lastDay) out = `${day} ${hm}`;
		else out = hm;
		lastDay = day;
		return out;
	});
}

export function fmtIso(us) {
	if (!us) return '';
	return new Date(Number(us) / 1000).toISOString();
}

// "5 min ago" for recent times, for tooltips.
export function fmtAgo(us) {
	if (!us) return '';
	const s = Math.round((Date.now() * 1000 - Number(us)) / 1e6);
	if (s < 0) return 'in the future';
	if (s < 60) return `${s} s ago`;
	if (s < 3600) return `${Math.round(s / 60)} min ago`;
	if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
	return `${Math.round(s / 86400)} days ago`;
}

export function fmtDuration(sec) {
	sec = Math.max(0, Math.round(Number(sec) || 0));
	const d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600),
		m = Math.floor((sec % 3600) / 60), s = sec % 60;
	if (d) return `${d} d ${h} h`;
	if (h) return `${h} h ${m} min`;
	if (m) return `${m} min ${s} s`;
	return `${s} s`;
}

export function fmtBytes(n) {
	n = Number(n) || 0;
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let i = 0;
	while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
	return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

export function fmtNum(n) {
	if (n === null || n === undefined || n === '') return '';
	return Number(n).toLocaleString('en-US');
}

export function fmtRate(n) {
	n = Number(n) || 0;
	return n >= 100 ? fmtNum(Math.round(n)) : n.toFixed(1);
}

// "10.0.0.5:443" or "[fe80::1]:443"
export function hostPort(ip, port) {
	if (!ip) return '';
	if (port === null || port === undefined || port === '' || port === 0 && !ip) return ip;
	if (port === 0) return ip;
	return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

// The application as EVE names it (Suricata's app_proto) and nDPI's own
// name beside it when that says something else: "krb5 (nDPI: Kerberos)".
// Nothing recognised: "unknown".
export function appLabel(app, ndpi) {
	const a = app || '';
	const n = ndpi && ndpi.toLowerCase() !== a.toLowerCase() && ndpi.toLowerCase() !== 'unknown' ? ndpi : '';
	if (!a) return n ? `unknown (nDPI: ${n})` : 'unknown';
	return n ? `${a} (nDPI: ${n})` : a;
}

// ICMP's type and code each way, as EVE's icmp_type/icmp_code and
// response_icmp_*: "type 8 code 0, reply type 0 code 0".
export function icmpLabel(f) {
	const part = (t, c) => (t === null || t === undefined ? '' : `type ${t} code ${c ?? 0}`);
	return [part(f.icmp_type, f.icmp_code), part(f.response_icmp_type, f.response_icmp_code)]
		.map((x, i) => (x && i ? `reply ${x}` : x)).filter(Boolean).join(', ');
}

// nDPI risks come as a list or a comma-separated string.
export function riskList(r) {
	if (!r) return [];
	if (Array.isArray(r)) return r.filter(Boolean);
	return String(r).split(',').map((s) => s.trim()).filter(Boolean);
}

// Suricata reference "url,example.com/x" / "cve,2021-44228" -> link.
export function referenceLink(ref) {
	const s = typeof ref === 'string' ? ref : (ref && (ref.url || ref.value)) || '';
	const i = s.indexOf(',');
	const kind = i > 0 ? s.slice(0, i).trim().toLowerCase() : '';
	const val = i > 0 ? s.slice(i + 1).trim() : s.trim();
	let href = null;
	if (kind === 'url') href = /^https?:\/\//.test(val) ? val : 'https://' + val;
	else if (kind === 'cve') href = 'https://www.cve.org/CVERecord?id=CVE-' + val.replace(/^CVE-/i, '');
	else if (/^https?:\/\//.test(s)) href = s;
	return { label: kind && kind !== 'url' ? `${kind.toUpperCase()} ${val}` : val, href };
}

// datetime-local value <-> microseconds, in the chosen zone
export function toLocalInput(us) {
	if (!us) return '';
	const p = dateParts(new Date(Number(us) / 1000));
	return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}`;
}
export function fromLocalInput(v) {
	if (!v) return '';
	const t = new Date(timeZone.mode === 'utc' ? `${v}Z` : v).getTime();
	return Number.isFinite(t) ? String(t * 1000) : '';
}

// Time ranges offered by the filters; "custom" uses from/to.
export const RANGES = [
	['', 'Any time'],
	['1h', 'Last hour'],
	['24h', 'Last 24 hours'],
	['7d', 'Last 7 days'],
	['30d', 'Last 30 days'],
	['custom', 'Custom…'],
];
const RANGE_SECONDS = { '1h': 3600, '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400 };

// What the presets count back from (GET /api/clock, refreshed by the
// shell): the wall clock on a live sensor; the newest data while the
// sensor replays capture files or `vigil serve` shows a database, whose
// packet times are those of the recording (make run's demo is from 2024).
export const clock = { live: true, newest_us: 0 };
export function setClock(c) {
	if (!c) return;
	clock.live = !!c.live;
	clock.newest_us = Number(c.newest_us) || 0;
}
// true when the presets count back from the newest data, not from now
export function presetsFromData() {
	return !clock.live && clock.newest_us > 0;
}
export function presetEndUs() {
	return presetsFromData() ? clock.newest_us : Date.now() * 1000;
}

// {range, from, to} from the hash -> {from, to} in microseconds for the API.
export function rangeParams(f) {
	if (f.range && RANGE_SECONDS[f.range]) {
		return { from: String(presetEndUs() - RANGE_SECONDS[f.range] * 1e6), to: '' };
	}
	if (f.range === 'custom') return { from: f.from || '', to: f.to || '' };
	return { from: '', to: '' };
}
