// Users (administrators only): the accounts; add one; disable, enable,
// change the role, set a new password, delete - each after a confirmation.
// The server keeps the rules (the last enabled administrator stays); the
// page only says so in advance.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { fmtAgo, fmtTime } from '../format.js';
import { Confirm, ErrorBox, Loading, PageTitle, Panel, toast, useAsync } from '../components.jsx';
import { MIN_PASSWORD } from './account.jsx';

export function UsersView({ me, onSession }) {
	if (!me || me.role !== 'admin') {
		return (
			<div class="page">
				<PageTitle>Users</PageTitle>
				<p class="note">Only administrators manage accounts. You are signed in as {me && me.user} ({me && me.role}).</p>
			</div>
		);
	}
	return <UsersAdmin me={me} onSession={onSession} />;
}

const ROLE_NAMES = { admin: 'Administrator', analyst: 'Analyst' };

function UsersAdmin({ me, onSession }) {
	const { data, error, loading, reload } = useAsync(() => api.get('users'), []);
	const users = (data && data.users) || [];
	const enabledAdmins = users.filter((u) => u.role === 'admin' && !u.disabled).length;
	const lastAdmin = (u) => u.role === 'admin' && !u.disabled && enabledAdmins <= 1;
	// the action waiting for its confirmation: { kind, user }
	const [pending, setPending] = useState(null);
	const done = () => {
		setPending(null);
		reload();
		// one's own role may have changed; a 401 (own account disabled,
		// deleted or its password set) goes to the sign-in page
		api.get('me').then(onSession, () => {});
	};
	return (
		<div class="page">
			<PageTitle sub="Analysts triage alerts; administrators also manage accounts.">Users</PageTitle>
			<div class="grid-main-side">
				<Panel title="Accounts" id="accounts">
					<ErrorBox error={error} />
					{loading && !data && <Loading />}
					{data && (
						<div class="table-wrap">
							<table class="table cards users-table">
								<caption class="sr-only">Accounts</caption>
								<thead><tr>
									<th scope="col">User name</th><th scope="col">Role</th><th scope="col">State</th>
									<th scope="col">Last sign-in</th><th scope="col">Created</th><th scope="col">Actions</th>
								</tr></thead>
								<tbody>
									{users.map((u) => (
										<tr key={u.username} class={u.disabled ? 'row-disabled' : ''}>
											<td data-label="User name"><strong>{u.username}</strong>{u.username === me.user ? <span class="muted"> (you)</span> : null}</td>
											<td data-label="Role"><span class={`tag tag-role-${u.role}`}>{ROLE_NAMES[u.role] || u.role}</span></td>
											<td data-label="State"><UserState u={u} last={lastAdmin(u)} /></td>
											<td data-label="Last sign-in" class="time" title={u.last_login_us ? fmtAgo(u.last_login_us) : undefined}>
												{u.last_login_us ? fmtTime(u.last_login_us) : <span class="muted">never</span>}
											</td>
											<td data-label="Created" class="time">{fmtTime(u.created_us)}</td>
											<td data-label="Actions"><UserActions u={u} last={lastAdmin(u)} onAsk={(kind) => setPending({ kind, user: u })} /></td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
					)}
				</Panel>
				<Panel title="Add a user" id="adduser" class="side">
					<AddUser onAdded={reload} />
				</Panel>
			</div>
			<ActionDialog pending={pending} me={me} onCancel={() => setPending(null)} onDone={done} />
		</div>
	);
}

function UserState({ u, last }) {
	return (
		<div class="user-state">
			{u.disabled
				? <span class="state state-off" title={u.disabled_us ? `Disabled ${fmtTime(u.disabled_us)}` : undefined}>Disabled</span>
				: <span class="state state-on">Enabled</span>}
			{u.must_change_password && <span class="state-note">Must choose a new password at the next sign-in</span>}
			{u.sessions > 0 && <span class="state-note">Signed in ({u.sessions} session{u.sessions === 1 ? '' : 's'})</span>}
			{last && <span class="state-note">The last enabled administrator</span>}
		</div>
	);
}

// The row's buttons; the ones that would leave no administrator are off.
function UserActions({ u, last, onAsk }) {
	const why = last ? 'The last enabled administrator: make another administrator first.' : undefined;
	const who = <span class="sr-only"> {u.username}</span>;
	return (
		<div class="row-actions">
			{u.disabled
				? <button type="button" class="btn btn-small" onClick={() => onAsk('enable')}>Enable{who}</button>
				: <button type="button" class="btn btn-small" disabled={last} title={why} onClick={() => onAsk('disable')}>Disable{who}</button>}
			{u.role === 'admin'
				? <button type="button" class="btn btn-small" disabled={last} title={why} onClick={() => onAsk('analyst')}>Make analyst{who}</button>
				: <button type="button" class="btn btn-small" onClick={() => onAsk('admin')}>Make administrator{who}</button>}
			<button type="button" class="btn btn-small" onClick={() => onAsk('password')}>Set password{who}</button>
			<button type="button" class="btn btn-small btn-danger-outline" disabled={last} title={why} onClick={() => onAsk('delete')}>Delete{who}</button>
		</div>
	);
}

// One confirmation dialog for whichever action waits.
function ActionDialog({ pending, me, onCancel, onDone }) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState(null);
	const [pw, setPw] = useState({ password: '', confirm: '' });
	const kind = pending && pending.kind;
	const u = pending && pending.user;
	const self = u && u.username === me.user;
	const name = u ? `"${u.username}"` : '';
	const sessions = u && u.sessions ? ` (${u.sessions} open session${u.sessions === 1 ? '' : 's'})` : '';
	const signedOut = self ? 'You are signed out at once.' : `${u ? u.username : ''} is signed out at once${sessions}.`;

	const texts = {
		disable: [`Disable ${name}?`, 'Disable', true,
			<p>{signedOut} The account cannot sign in until an administrator enables it again. Its notes and audit entries stay.</p>],
		enable: [`Enable ${name}?`, 'Enable', false,
			<p>The account can sign in again with its password.</p>],
		admin: [`Make ${name} an administrator?`, 'Make administrator', false,
			<p>Administrators also manage accounts: add, disable, delete, set passwords.</p>],
		analyst: [`Make ${name} an analyst?`, 'Make analyst', true,
			<p>{self ? 'You' : u && u.username} can no longer manage accounts, from the next request on.</p>],
		password: [`Set a new password for ${name}`, 'Set password', false, null],
		delete: [`Delete ${name}?`, 'Delete', true,
			<p>{signedOut} The account is removed for good; its notes and audit entries keep the name. To keep the account for later, disable it instead.</p>],
	};
	const t = kind ? texts[kind] : ['', 'Confirm', false, null];

	const close = async (ok) => {
		if (!ok) {
			setError(null);
			setPw({ password: '', confirm: '' });
			onCancel();
			return;
		}
		setError(null);
		const path = `users/${encodeURIComponent(u.username)}/`;
		let req;
		if (kind === 'password') {
			if (pw.password.length < MIN_PASSWORD) { setError(new Error(`The password needs at least ${MIN_PASSWORD} characters.`)); return; }
			if (pw.password !== pw.confirm) { setError(new Error('The two passwords differ.')); return; }
			req = () => api.post(path + 'password', { password: pw.password });
		} else if (kind === 'admin' || kind === 'analyst') {
			req = () => api.post(path + 'role', { role: kind });
		} else {
			req = () => api.post(path + kind, {});
		}
		setBusy(true);
		try {
			await req();
			const msg = {
				disable: `"${u.username}" disabled`, enable: `"${u.username}" enabled`,
				admin: `"${u.username}" is now an administrator`, analyst: `"${u.username}" is now an analyst`,
				password: `New password set for "${u.username}"; they must change it at the next sign-in`,
				delete: `"${u.username}" deleted`,
			}[kind];
			toast(msg);
			setPw({ password: '', confirm: '' });
			setBusy(false);
			onDone();
		} catch (err) {
			setError(err);
			setBusy(false);
		}
	};

	return (
		<Confirm open={!!pending} title={t[0]} confirmLabel={t[1]} danger={t[2]} busy={busy} onClose={close}>
			{t[3]}
			{kind === 'password' && (
				<div class="form">
					<p class="dialog-text">{signedOut} {self ? 'You' : 'They'} must choose {self ? 'your' : 'their'} own password at the next sign-in. Give them this one over a safe channel.</p>
					<div class="field">
						<label for="reset-pass">New password</label>
						<input id="reset-pass" type="password" autocomplete="new-password" value={pw.password}
							onInput={(e) => setPw({ ...pw, password: e.currentTarget.value })} aria-describedby="reset-pass-help" />
						<p class="help" id="reset-pass-help">At least {MIN_PASSWORD} characters.</p>
					</div>
					<div class="field">
						<label for="reset-confirm">New password again</label>
						<input id="reset-confirm" type="password" autocomplete="new-password" value={pw.confirm}
							onInput={(e) => setPw({ ...pw, confirm: e.currentTarget.value })} />
					</div>
				</div>
			)}
			<ErrorBox error={error} />
		</Confirm>
	);
}

function AddUser({ onAdded }) {
	const blank = { username: '', password: '', confirm: '', role: 'analyst' };
	const [f, setF] = useState(blank);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
	const mismatch = f.confirm !== '' && f.password !== f.confirm;
	const submit = async (e) => {
		e.preventDefault();
		setError(null);
		if (!f.username.trim()) { setError(new Error('Enter a user name.')); return; }
		if (f.password.length < MIN_PASSWORD) { setError(new Error(`The password needs at least ${MIN_PASSWORD} characters.`)); return; }
		if (f.password !== f.confirm) { setError(new Error('The two passwords differ.')); return; }
		setBusy(true);
		try {
			await api.post('users', { username: f.username.trim(), password: f.password, role: f.role });
			toast(`User "${f.username.trim()}" added`);
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
				<label for="nu-name">User name</label>
				<input id="nu-name" autocomplete="off" value={f.username} onInput={set('username')} required aria-describedby="nu-name-help" />
				<p class="help" id="nu-name-help">Letters, digits and . _ @ - (up to 64).</p>
			</div>
			<div class="field">
				<label for="nu-role">Role</label>
				<select id="nu-role" value={f.role} onChange={set('role')} aria-describedby="nu-role-help">
					<option value="analyst">Analyst</option>
					<option value="admin">Administrator</option>
				</select>
				<p class="help" id="nu-role-help">Analysts can do everything but manage accounts.</p>
			</div>
			<div class="field">
				<label for="nu-pass">Password</label>
				<input id="nu-pass" type="password" autocomplete="new-password" value={f.password} onInput={set('password')} required minlength={MIN_PASSWORD} aria-describedby="nu-pass-help" />
				<p class="help" id="nu-pass-help">At least {MIN_PASSWORD} characters, for the first sign-in only: the page then asks them to choose their own. Give it to the person over a safe channel.</p>
			</div>
			<div class="field">
				<label for="nu-confirm">Password again</label>
				<input id="nu-confirm" type="password" autocomplete="new-password" value={f.confirm} onInput={set('confirm')} aria-invalid={mismatch} />
				{mismatch && <p class="help help-error" role="status">The two passwords differ.</p>}
			</div>
			<ErrorBox error={error} />
			<button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Adding…' : 'Add user'}</button>
		</form>
	);
}
