// Suppressions: the entries of the managed suppress.conf (added from an
// alert's page, here, or by hand), who added each, when, why or from which
// alert, until when; an administrator adds one (with an optional expiry)
// and removes one after a confirmation (the rules reload each time).
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { fmtAgo, fmtNum, fmtTime, fromLocalInput, tzName } from '../format.js';
import { Confirm, Empty, ErrorBox, Loading, PageTitle, Panel, toast, useAsync } from '../components.jsx';

const TRACKS = { all: 'every host', by_src: 'source', by_dst: 'destination', by_either: 'either address' };

export function SuppressionsView({ me }) {
	const { data, error, loading, reload } = useAsync(() => api.get('suppressions'), []);
	const [pending, setPending] = useState(null);
	const admin = me && me.role === 'admin';
	const entries = (data && data.entries) || [];
	return (
		<div class="page">
			<PageTitle sub="Alerts silenced before they are stored; past alerts stay.">Suppressions</PageTitle>
			<Panel title="Entries" id="suppressions">
				<ErrorBox error={error} />
				{loading && !data && <Loading />}
				{data && (
					<p class="muted">
						The managed file <code>{data.file}</code>{data.readable === false ? ' cannot be read.' : '.'}
						{' '}Suppress an alert from its page to add an entry.
						{!admin && ' Only administrators remove entries.'}
					</p>
				)}
				{data && entries.length === 0 && <Empty title="No suppressions">No alert is suppressed.</Empty>}
				{entries.length > 0 && (
					<div class="table-wrap">
						<table class="table cards suppressions-table">
							<caption class="sr-only">Suppressions</caption>
							<thead><tr>
								<th scope="col">Rule</th><th scope="col">Applies to</th><th scope="col">Added by</th>
								<th scope="col">Added</th><th scope="col">Why</th><th scope="col">Expires</th>
								<th scope="col" class="num" title="Alerts the entry silenced since it was added (counted by the sensor, written about once a second)">Silenced</th>{admin && <th scope="col">Actions</th>}
							</tr></thead>
							<tbody>
								{entries.map((e) => (
									<tr key={`${e.line}:${e.text}`} class={e.valid ? '' : 'row-disabled'}>
										<td data-label="Rule">
											{e.valid ? <strong>{e.gen_id}:{e.sig_id}</strong> : <span class="state state-off">Not valid</span>}
											{e.signature && <div class="muted wrap-anywhere">{e.signature}</div>}
											<div><code>{e.text}</code> <span class="muted">(line {e.line})</span></div>
										</td>
										<td data-label="Applies to">{e.valid ? (e.track === 'all' ? 'every host' : `${TRACKS[e.track] || e.track} ${e.ip}`) : ''}</td>
										<td data-label="Added by">{e.user || <span class="muted">by hand</span>}</td>
										<td data-label="Added" class="time">{e.added || <span class="muted">unknown</span>}</td>
										<td data-label="Why" class="wrap-anywhere">
											{e.alert_id ? <><div><a href={`#/alerts/${e.alert_id}`}>alert {e.alert_id}</a></div>{e.reason && <div>{e.reason}</div>}</> : (e.reason || e.note || '')}
										</td>
										<td data-label="Expires" class="time">
											{e.expires ? <>{e.expires}{e.expired && <span class="state state-off"> expired: silences nothing</span>}</> : <span class="muted">never</span>}
										</td>
										<td data-label="Silenced" class="num silenced">
											{e.silenced == null ? <span class="muted">-</span> : <strong>{fmtNum(e.silenced)}</strong>}
											{e.last_silenced_us ? <div class="muted time" title={fmtAgo(e.last_silenced_us)}>last {fmtTime(e.last_silenced_us)}</div> : null}
										</td>
										{admin && (
											<td data-label="Actions">
												<button type="button" class="btn btn-small btn-danger-outline" onClick={() => setPending(e)}>
													Remove<span class="sr-only"> line {e.line}</span>
												</button>
											</td>
										)}
									</tr>
								))}
							</tbody>
						</table>
					</div>
				)}
			</Panel>
			{admin && (
				<Panel title="Add a suppression" id="addsuppression">
					<AddSuppression onAdded={reload} />
				</Panel>
			)}
			<ConfirmRemove entry={pending} onClose={(r) => { setPending(null); if (r) { toast(r.reloaded ? 'Suppression removed; the rules were reloaded' : 'Suppression removed'); reload(); } }} />
		</div>
	);
}

// The confirmation before a suppression is removed.
function ConfirmRemove({ entry, onClose }) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState(null);
	const close = async (ok) => {
		if (!ok) { setError(null); onClose(null); return; }
		setBusy(true);
		setError(null);
		try {
			const r = await api.post('suppressions/remove', { line: entry.line, text: entry.text });
			setBusy(false);
			onClose(r || {});
		} catch (e) {
			setBusy(false);
			setError(e);
		}
	};
	return (
		<Confirm open={!!entry} title="Remove this suppression?" confirmLabel="Remove" danger busy={busy} onClose={close}>
			{entry && <p>Alerts matching <code>{entry.text}</code> will be raised again once the rules reload.</p>}
			<ErrorBox error={error} />
		</Confirm>
	);
}

// An entry by hand: rule, hosts, reason, optional expiry (in the page's
// time zone; the file holds it in UTC).
function AddSuppression({ onAdded }) {
	const blank = { gen_id: '1', sig_id: '', track: 'by_src', ip: '', reason: '', expires: '' };
	const [f, setF] = useState(blank);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
	const submit = async (e) => {
		e.preventDefault();
		setError(null);
		const body = { gen_id: Number(f.gen_id), sig_id: Number(f.sig_id), track: f.track };
		if (!Number.isInteger(body.gen_id) || !Number.isInteger(body.sig_id) || !f.sig_id) {
			setError(new Error('Enter the rule\'s gen_id and sig_id (numbers).'));
			return;
		}
		if (f.track !== 'all') body.ip = f.ip.trim();
		if (f.reason.trim()) body.reason = f.reason.trim();
		if (f.expires) {
			const us = fromLocalInput(f.expires);
			if (!us) { setError(new Error('The expiry is not a time.')); return; }
			body.expires = new Date(Number(us) / 1000).toISOString().slice(0, 19) + 'Z';
		}
		setBusy(true);
		try {
			const r = (await api.post('suppressions', body)) || {};
			toast(r.added === false ? 'That suppression is there already' : (r.reloaded ? 'Suppression added; the rules were reloaded' : 'Suppression added'));
			setF(blank);
			onAdded();
		} catch (err) {
			setError(err);
		}
		setBusy(false);
	};
	return (
		<form class="form" onSubmit={submit} novalidate>
			<div class="field">
				<label for="ns-gid">gen_id</label>
				<input id="ns-gid" inputmode="numeric" value={f.gen_id} onInput={set('gen_id')} required />
			</div>
			<div class="field">
				<label for="ns-sid">sig_id</label>
				<input id="ns-sid" inputmode="numeric" value={f.sig_id} onInput={set('sig_id')} required />
			</div>
			<div class="field">
				<label for="ns-track">Applies to</label>
				<select id="ns-track" value={f.track} onChange={set('track')}>
					<option value="by_src">alerts from a source address</option>
					<option value="by_dst">alerts to a destination address</option>
					<option value="by_either">alerts from or to an address</option>
					<option value="all">every alert of the rule</option>
				</select>
			</div>
			{f.track !== 'all' && (
				<div class="field">
					<label for="ns-ip">Address</label>
					<input id="ns-ip" autocomplete="off" value={f.ip} onInput={set('ip')} required />
				</div>
			)}
			<div class="field">
				<label for="ns-reason">Why</label>
				<input id="ns-reason" autocomplete="off" maxlength={200} value={f.reason} onInput={set('reason')} />
			</div>
			<div class="field">
				<label for="ns-expires">Expires ({tzName()}, optional)</label>
				<input id="ns-expires" type="datetime-local" value={f.expires} onInput={set('expires')} aria-describedby="ns-expires-help" />
				<p class="help" id="ns-expires-help">After this time the entry silences nothing; empty: until removed.</p>
			</div>
			<ErrorBox error={error} />
			<div class="button-row"><button type="submit" class="btn btn-primary" disabled={busy}>Add suppression</button></div>
		</form>
	);
}
