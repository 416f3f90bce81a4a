// Audit log: every state change, newest first.
import { api } from '../api.js';
import { navigate } from '../router.js';
import { fmtAgo, fmtTime } from '../format.js';
import { Empty, ErrorBox, Loading, PageTitle, Pager, useAsync } from '../components.jsx';

const LIMIT = 50;

export function AuditView({ params }) {
	const offset = Math.max(0, parseInt(params.offset || '0', 10) || 0);
	const { data, error, loading } = useAsync(() => api.get('audit', { limit: LIMIT, offset }), [offset]);
	const entries = (data && data.entries) || [];
	return (
		<div class="page">
			<PageTitle sub="Sign-ins, status changes, notes, suppressions and accounts, newest first.">Audit log</PageTitle>
			<ErrorBox error={error} />
			{loading && !data && <Loading />}
			{data && entries.length === 0 && <Empty title="The audit log is empty." />}
			{entries.length > 0 && (
				<div class="table-wrap">
					<table class="table cards audit-table">
						<caption class="sr-only">Audit log</caption>
						<thead><tr><th scope="col">Time</th><th scope="col">User</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
						<tbody>
							{entries.map((e, i) => (
								<tr key={`${e.ts_us}-${i}`}>
									<td data-label="Time" class="time" title={fmtAgo(e.ts_us)}>{fmtTime(e.ts_us)}</td>
									<td data-label="User">{e.user || <span class="muted">–</span>}</td>
									<td data-label="Action"><span class={`tag action-${/fail/.test(e.action) ? 'bad' : 'ok'}`} title={e.action}>{ACTIONS[e.action] || e.action}</span></td>
									<td data-label="Target">{auditTarget(e.action, e.target)}</td>
									<td data-label="Detail" class="detail-cell">{e.detail}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
			<Pager total={(data && data.total) || 0} limit={LIMIT} offset={offset} label="entries"
				onPage={(o) => navigate('audit', { offset: o > 0 ? o : '' })} />
		</div>
	);
}

const ACTIONS = {
	setup: 'Setup', setup_failed: 'Setup refused', login: 'Sign-in', login_failed: 'Sign-in failed',
	logout: 'Sign-out', status: 'Status', ack: 'Acknowledge', note: 'Note', suppress: 'Suppress',
	export: 'Export', user_add: 'User added', user_disable: 'User disabled', user_enable: 'User enabled',
	user_role: 'Role changed', user_password_reset: 'Password set by admin', user_delete: 'User deleted',
	password_change: 'Own password changed', password_change_failed: 'Password change refused',
};
const ALERT_ACTIONS = new Set(['status', 'ack', 'note', 'suppress']);

// An alert's id (or "alert 12") -> a link to the alert.
function auditTarget(action, t) {
	if (t === null || t === undefined || t === '') return '';
	const s = String(t);
	const m = /^(?:alerts?[:/ ]#?)?(\d+)$/i.exec(s);
	if (m && (ALERT_ACTIONS.has(action) || /^alert/i.test(s))) return <a href={`#/alerts/${m[1]}`}>alert {m[1]}</a>;
	return <span class="mono">{s}</span>;
}
