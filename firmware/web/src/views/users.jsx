// Users (administrators only): the accounts; add an analyst.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { fmtTime } from '../format.js';
import { ErrorBox, Loading, PageTitle, Panel, toast, useAsync } from '../components.jsx';

const MIN_PASSWORD = 10;

export function UsersView({ me }) {
	if (!me || me.role !== 'admin') {
		return (
			<div class="page">
				<PageTitle>Users</PageTitle>
				<p class="note">Only administrators manage accounts. You are signed in as {me && me.user} ({me && me.role}).</p>
			</div>
		);
	}
	return <UsersAdmin me={me} />;
}

function UsersAdmin({ me }) {
	const { data, error, loading, reload } = useAsync(() => api.get('users'), []);
	const users = (data && data.users) || [];
	return (
		<div class="page">
			<PageTitle sub="Analysts triage alerts; administrators also manage accounts.">Users</PageTitle>
			<div class="grid-main-side">
				<Panel title="Accounts" id="accounts">
					<ErrorBox error={error} />
					{loading && !data && <Loading />}
					{data && (
						<div class="table-wrap">
							<table class="table cards">
								<caption class="sr-only">Accounts</caption>
								<thead><tr><th scope="col">User name</th><th scope="col">Role</th><th scope="col">Created</th></tr></thead>
								<tbody>
									{users.map((u) => (
										<tr key={u.username}>
											<td data-label="User name"><strong>{u.username}</strong>{u.username === me.user ? <span class="muted"> (you)</span> : null}</td>
											<td data-label="Role"><span class={`tag tag-role-${u.role}`}>{u.role}</span></td>
											<td data-label="Created" class="time">{fmtTime(u.created_us)}</td>
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
		</div>
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
				<input id="nu-name" autocomplete="off" value={f.username} onInput={set('username')} required />
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
				<p class="help" id="nu-pass-help">At least {MIN_PASSWORD} characters. Give it to the person over a safe channel.</p>
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
