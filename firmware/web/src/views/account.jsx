// Your own account: change your password (any role). The same form is the
// first page after signing in with a password an administrator set.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Facts, PageTitle, Panel, toast } from '../components.jsx';

export const MIN_PASSWORD = 10;

// The state of a form that takes a new password twice (blank: its empty
// fields, with password and confirm): the fields and a setter per field,
// the error and busy flags, and whether the two differ or the new one is
// too short (both only once something is typed).
export function useNewPasswordForm(blank) {
	const [f, setF] = useState(blank);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
	const mismatch = f.confirm !== '' && f.password !== f.confirm;
	const short = f.password !== '' && f.password.length < MIN_PASSWORD;
	return { f, setF, error, setError, busy, setBusy, set, mismatch, short };
}

// Current password, new password twice -> POST /api/me/password.
// onChanged(session) gets the API's answer ({user, role, csrf, ...}).
export function PasswordForm({ idPrefix = 'pw', onChanged, submitLabel = 'Change password', currentLabel = 'Current password' }) {
	const blank = { current: '', password: '', confirm: '' };
	const { f, setF, error, setError, busy, setBusy, set, mismatch, short } = useNewPasswordForm(blank);

	const submit = async (e) => {
		e.preventDefault();
		setError(null);
		if (!f.current) { setError(new Error(`Enter your ${currentLabel.toLowerCase()}.`)); return; }
		if (f.password.length < MIN_PASSWORD) { setError(new Error(`The new password needs at least ${MIN_PASSWORD} characters.`)); return; }
		if (f.password !== f.confirm) { setError(new Error('The two new passwords differ.')); return; }
		if (f.password === f.current) { setError(new Error('The new password must differ from the current one.')); return; }
		setBusy(true);
		try {
			const m = await api.post('me/password', { current: f.current, password: f.password });
			setF(blank);
			setBusy(false);
			onChanged(m);
		} catch (err) {
			if (err.status === 429) {
				const wait = err.retryAfter ? ` Try again in ${Math.ceil(Number(err.retryAfter) / 60)} min.` : '';
				err.message = `Too many wrong passwords from this address.${wait}`;
			}
			setError(err);
			setBusy(false);
		}
	};

	return (
		<form class="form" onSubmit={submit} novalidate>
			<div class="field">
				<label for={`${idPrefix}-current`}>{currentLabel}</label>
				<input id={`${idPrefix}-current`} type="password" autocomplete="current-password" required
					value={f.current} onInput={set('current')} />
			</div>
			<div class="field">
				<label for={`${idPrefix}-new`}>New password</label>
				<input id={`${idPrefix}-new`} type="password" autocomplete="new-password" required minlength={MIN_PASSWORD}
					value={f.password} onInput={set('password')} aria-invalid={short} aria-describedby={`${idPrefix}-new-help`} />
				<p class="help" id={`${idPrefix}-new-help`}>At least {MIN_PASSWORD} characters. A passphrase of a few words is good.</p>
			</div>
			<div class="field">
				<label for={`${idPrefix}-confirm`}>New password again</label>
				<input id={`${idPrefix}-confirm`} type="password" autocomplete="new-password" required
					value={f.confirm} onInput={set('confirm')} aria-invalid={mismatch} aria-describedby={`${idPrefix}-confirm-help`} />
				<p class="help" id={`${idPrefix}-confirm-help`} aria-live="polite">{mismatch ? 'The two new passwords differ.' : ''}</p>
			</div>
			<ErrorBox error={error} />
			<button type="submit" class="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : submitLabel}</button>
		</form>
	);
}

export function AccountView({ me, onSession }) {
	return (
		<div class="page">
			<PageTitle sub="Your sign-in and your password.">Your account</PageTitle>
			<div class="grid-main-side">
				<Panel title="Change your password" id="mypw">
					<p class="muted">Your other sessions (other browsers, other computers) are signed out; this one stays.</p>
					<div class="form-narrow">
						<PasswordForm idPrefix="mypw" onChanged={(m) => { onSession(m); toast('Password changed. Your other sessions have been signed out.'); }} />
					</div>
				</Panel>
				<Panel title="Signed in as" id="me" class="side">
					<Facts items={[
						['User name', me.user],
						['Role', me.role === 'admin' ? 'Administrator' : 'Analyst'],
					]} />
					<p class="help">An administrator can change your role, disable your account or set a new password for you.</p>
				</Panel>
			</div>
		</div>
	);
}
