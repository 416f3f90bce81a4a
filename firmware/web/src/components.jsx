// Small pieces shared by the views.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ENGINES, SEVERITY, STATUSES } from './format.js';

// Load data; reload when deps change. Keeps the last data while reloading.
export function useAsync(fn, deps) {
	const [state, setState] = useState({ data: null, error: null, loading: true });
	const seq = useRef(0);
	const run = useCallback(() => {
		const my = ++seq.current;
		setState((s) => ({ ...s, loading: true }));
		return Promise.resolve().then(fn).then(
			(data) => { if (my === seq.current) setState({ data, error: null, loading: false }); return data; },
			(error) => { if (my === seq.current) setState((s) => ({ data: s.data, error, loading: false })); },
		);
	}, deps); // eslint-disable-line react-hooks/exhaustive-deps
	useEffect(() => { run(); }, [run]);
	return { ...state, reload: run };
}

// ---- toasts: one polite live region for the whole page ---------------------
const toastListeners = new Set();
export function toast(text, kind = 'ok') {
	const t = { id: Math.random(), text, kind };
	toastListeners.forEach((fn) => fn(t));
}
export function Toasts() {
	const [items, setItems] = useState([]);
	useEffect(() => {
		const on = (t) => {
			setItems((xs) => [...xs.slice(-3), t]);
			setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== t.id)), t.kind === 'error' ? 8000 : 4000);
		};
		toastListeners.add(on);
		return () => toastListeners.delete(on);
	}, []);
	return (
		<div class="toasts" role="status" aria-live="polite">
			{items.map((t) => <div key={t.id} class={`toast toast-${t.kind}`}>{t.text}</div>)}
		</div>
	);
}

export function SeverityBadge({ sev }) {
	const s = SEVERITY[sev] || { name: sev ? `Sev ${sev}` : '?', cls: 'sev4', help: 'Severity as given by the rule.' };
	return <span class={`badge ${s.cls}`} title={s.help}>{s.name}</span>;
}

export function EngineTag({ engine, detector }) {
	const e = ENGINES[engine] || { name: engine || '?', help: '' };
	return <span class={`tag tag-${engine}`} title={e.help}>{e.name}{detector ? `: ${detector}` : ''}</span>;
}

export function StatusTag({ status }) {
	const s = STATUSES[status] || { name: status || '?', help: '' };
	return <span class={`status status-${status}`} title={s.help}>{s.name}</span>;
}

export function ErrorBox({ error, children }) {
	if (!error) return null;
	return (
		<div class="error" role="alert">
			<strong>Error: </strong>{String(error.message || error)}{children}
		</div>
	);
}

export function Empty({ title, children }) {
	return (
		<div class="empty">
			<p class="empty-title">{title}</p>
			{children && <p class="muted">{children}</p>}
		</div>
	);
}

export function Loading({ what = 'Loading' }) {
	return <p class="loading" aria-busy="true">{what}…</p>;
}

export function Pager({ total, limit, offset, onPage, label = 'items', prevLabel = '‹ Newer', nextLabel = 'Older ›' }) {
	if (!total) return null;
	const page = Math.floor(offset / limit) + 1;
	const pages = Math.max(1, Math.ceil(total / limit));
	const first = offset + 1, last = Math.min(total, offset + limit);
	return (
		<nav class="pager" aria-label="Pages">
			<span class="muted">{first}–{last} of {total.toLocaleString('en-US')} {label}</span>
			<span class="pager-buttons">
				<button type="button" class="btn btn-small" disabled={page <= 1} onClick={() => onPage(0)} aria-label="First page">«</button>
				<button type="button" class="btn btn-small" disabled={page <= 1} onClick={() => onPage(offset - limit)}>{prevLabel}</button>
				<span class="pager-page">Page {page} / {pages}</span>
				<button type="button" class="btn btn-small" disabled={page >= pages} onClick={() => onPage(offset + limit)}>{nextLabel}</button>
			</span>
		</nav>
	);
}

// A modal question. `open` shows it; onClose(true|false).
export function Confirm({ open, title, children, confirmLabel = 'Confirm', danger, onClose, busy }) {
	const ref = useRef(null);
	useEffect(() => {
		const d = ref.current;
		if (!d) return;
		if (open && !d.open) d.showModal();
		if (!open && d.open) d.close();
	}, [open]);
	return (
		<dialog ref={ref} class="dialog" aria-labelledby="dlg-title" onCancel={(e) => { e.preventDefault(); onClose(false); }}>
			<h2 id="dlg-title">{title}</h2>
			<div class="dialog-body">{children}</div>
			<div class="dialog-buttons">
				<button type="button" class="btn" onClick={() => onClose(false)}>Cancel</button>
				<button type="button" class={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy} onClick={() => onClose(true)}>{confirmLabel}</button>
			</div>
		</dialog>
	);
}

// A labelled card with a heading.
export function Panel({ title, actions, children, class: cls = '', id }) {
	return (
		<section class={`panel ${cls}`} aria-labelledby={id ? `${id}-h` : undefined}>
			{(title || actions) && (
				<div class="panel-head">
					{title && <h2 id={id ? `${id}-h` : undefined}>{title}</h2>}
					{actions && <div class="panel-actions">{actions}</div>}
				</div>
			)}
			{children}
		</section>
	);
}

// Label/value pairs as a definition list.
export function Facts({ items }) {
	return (
		<dl class="facts">
			{items.filter((x) => x && x[1] !== undefined && x[1] !== null && x[1] !== '').map(([k, v, title]) => (
				<div class="fact" key={k}>
					<dt title={title}>{k}</dt>
					<dd>{v}</dd>
				</div>
			))}
		</dl>
	);
}

export function PageTitle({ children, sub, actions }) {
	useEffect(() => {
		const t = typeof children === 'string' ? children : '';
		document.title = t ? `${t} · vigil` : 'vigil';
	}, [children]);
	return (
		<div class="page-title">
			<div>
				<h1 tabIndex={-1} id="page-h1">{children}</h1>
				{sub && <p class="muted">{sub}</p>}
			</div>
			{actions && <div class="page-actions">{actions}</div>}
		</div>
	);
}
