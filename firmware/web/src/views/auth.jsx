// First start (setup token -> administrator account) and sign-in.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox } from '../components.jsx';
import { MIN_PASSWORD, PasswordForm, useNewPasswordForm } from './account.jsx';

function AuthCard({ title, sub, children }) {
	useEffect(() => { document.title = `${title} · vigil`; }, [title]);
	return (
		<div class="center-page">
			<main class="auth-card" id="main">
				<div class="brand brand-big">
					<img src="./favicon.svg" alt="" width="36" height="36" />
					<span>vigil</span>
				</div>
				<h1>{title}</h1>
				{sub && <p class="muted">{sub}</p>}
				{children}
			</main>
		</div>
	);
}

export function SetupView({ onDone }) {
	const { f, error, setError, busy, setBusy, set, mismatch, short } =
		useNewPasswordForm({ token: '', username: 'admin', password: '', confirm: '' });

	const submit = async (e) => {
		e.preventDefault();
		setError(null);
		if (f.password.length < MIN_PASSWORD) { setError(new Error(`The password needs at least ${MIN_PASSWORD} characters.`)); return; }
		if (f.password !== f.confirm) { setError(new Error('The two passwords differ.')); return; }
		setBusy(true);
		try {
			await api.post('setup', { token: f.token.trim(), username: f.username.trim(), password: f.password }, { noRedirect: true });
			onDone(f.username.trim());
		} catch (err) {
			if (err.status === 403) err.message = `${err.message} (check the setup token: it is in the file setup-token of the state directory and in the daemon's log)`;
			setError(err);
			setBusy(false);
		}
	};

	return (
		<AuthCard title="First start" sub="Create the administrator account. The sensor has no default password.">
			<form class="form" onSubmit={submit} novalidate>
				<div class="field">
					<label for="setup-token">Setup token</label>
					<input id="setup-token" name="token" autocomplete="off" spellcheck={false} required value={f.token} onInput={set('token')} aria-describedby="setup-token-help" />
					<p class="help" id="setup-token-help">
						Printed in the daemon's log on first start, and stored in <code>setup-token</code> in its state directory
						(<code>/var/lib/vigil/setup-token</code> on the appliance). It works once.
					</p>
				</div>
				<div class="field">
					<label for="setup-user">Administrator user name</label>
					<input id="setup-user" name="username" autocomplete="username" required value={f.username} onInput={set('username')} />
				</div>
				<div class="field">
					<label for="setup-pass">Password</label>
					<input id="setup-pass" name="password" type="password" autocomplete="new-password" required minlength={MIN_PASSWORD}
						value={f.password} onInput={set('password')} aria-describedby="setup-pass-help" aria-invalid={short} />
					<p class="help" id="setup-pass-help">At least {MIN_PASSWORD} characters. A passphrase of a few words is good.</p>
				</div>
				<div class="field">
					<label for="setup-confirm">Password again</label>
					<input id="setup-confirm" name="confirm" type="password" autocomplete="new-password" required
						value={f.confirm} onInput={set('confirm')} aria-invalid={mismatch} aria-describedby="setup-confirm-help" />
					<p class="help" id="setup-confirm-help" aria-live="polite">{mismatch ? 'The two passwords differ.' : ''}</p>
				</div>
				<ErrorBox error={error} />
				<button type="submit" class="btn btn-primary btn-wide" disabled={busy}>{busy ? 'Creating…' : 'Create administrator'}</button>
			</form>
		</AuthCard>
	);
}

export function LoginView({ note, onLogin }) {
	const [f, setF] = useState({ username: '', password: '' });
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const userRef = useRef(null);
	useEffect(() => {
		const m = /"([^"]+)" created/.exec(note || '');
		if (m) setF((x) => ({ ...x, username: m[1] }));
		if (userRef.current) userRef.current.focus();
	}, [note]);
	const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });

	const submit = async (e) => {
		e.preventDefault();
		setError(null);
		setBusy(true);
		try {
			const m = await api.post('login', { username: f.username.trim(), password: f.password }, { noRedirect: true });
			onLogin(m);
		} catch (err) {
			if (err.status === 429) {
				const wait = err.retryAfter ? ` Try again in ${Math.ceil(Number(err.retryAfter) / 60)} min.` : '';
				err.message = `Too many failed sign-ins from this address.${wait}`;
			} else if (err.status === 401 || err.status === 403) {
				err.message = err.message && !/^\d{3} /.test(err.message) ? err.message : 'Wrong user name or password.';
			}
			setError(err);
			setBusy(false);
		}
	};

	return (
		<AuthCard title="Sign in" sub="Network security sensor">
			{note && <p class="note" role="status">{note}</p>}
			<form class="form" onSubmit={submit}>
				<div class="field">
					<label for="login-user">User name</label>
					<input id="login-user" ref={userRef} name="username" autocomplete="username" required value={f.username} onInput={set('username')} />
				</div>
				<div class="field">
					<label for="login-pass">Password</label>
					<input id="login-pass" name="password" type="password" autocomplete="current-password" required value={f.password} onInput={set('password')} />
				</div>
				<ErrorBox error={error} />
				<button type="submit" class="btn btn-primary btn-wide" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
			</form>
		</AuthCard>
	);
}

// After signing in with a password someone else set (a new account, a
// reset by an administrator or on the console): nothing else until the
// user has chosen their own.
export function PasswordChangeView({ me, onDone, onLogout }) {
	return (
		<AuthCard title="Choose your password" sub={`Signed in as ${me.user} with a password someone else set (an administrator). Choose your own to continue.`}>
			<PasswordForm idPrefix="first-pw" currentLabel="Password you signed in with" submitLabel="Save and continue" onChanged={onDone} />
			<p class="auth-alt"><button type="button" class="btn btn-ghost btn-small" onClick={onLogout}>Sign out</button></p>
		</AuthCard>
	);
}
