// vigil's page: the shell (sign-in state, navigation) and the routes.
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { api, setCsrf, setUnauthorizedHandler } from './api.js';
import { navigate, useRoute } from './router.js';
import { loadTimeZone, localZoneName, setClock, setTimeZoneMode } from './format.js';
import { Loading, Toasts, ErrorBox } from './components.jsx';
import { SetupView, LoginView, PasswordChangeView } from './views/auth.jsx';
import { AccountView } from './views/account.jsx';
import { AlertsView } from './views/alerts.jsx';
import { AlertDetailView } from './views/alert-detail.jsx';
import { FlowsView } from './views/flows.jsx';
import { DashboardView } from './views/dashboard.jsx';
import { SystemView } from './views/system.jsx';
import { UsersView } from './views/users.jsx';
import { AuditView } from './views/audit.jsx';
import { SuppressionsView } from './views/suppressions.jsx';

const NAV = [
	['dashboard', 'Dashboard', 'Traffic and alerts over time'],
	['alerts', 'Alerts', 'Triage the alerts'],
	['flows', 'Flows', 'Search the recorded connections'],
	['suppressions', 'Suppressions', 'Alerts silenced on purpose'],
	['system', 'System', 'Capture, rules, database'],
	['users', 'Users', 'Accounts (administrators)', 'admin'],
	['audit', 'Audit log', 'Who changed what'],
];

function App() {
	const route = useRoute();
	// phase: boot | setup | login | pwchange (a password someone else set) | app | down
	const [phase, setPhase] = useState('boot');
	const [me, setMe] = useState(null);
	const [bootError, setBootError] = useState(null);
	const [loginNote, setLoginNote] = useState('');
	const returnTo = useRef('');

	const toLogin = useCallback((note = '') => {
		setMe(null);
		setCsrf('');
		setLoginNote(note);
		setPhase('login');
	}, []);

	useEffect(() => {
		setUnauthorizedHandler(() => {
			const h = location.hash;
			if (h && !/^#\/?(login|setup)/.test(h)) returnTo.current = h;
			toLogin('Your session has ended. Please sign in again.');
		});
	}, [toLogin]);

	const boot = useCallback(async () => {
		setBootError(null);
		try {
			const s = await api.get('setup', null, { noRedirect: true });
			if (s && s.setup_needed) { setPhase('setup'); return; }
		} catch (e) {
			if (e.status === 0 || e.status >= 500) { setBootError(e); setPhase('down'); return; }
		}
		try {
			const m = await api.get('me', null, { noRedirect: true });
			setCsrf(m.csrf);
			setMe(m);
			setPhase(m.must_change_password ? 'pwchange' : 'app');
		} catch (e) {
			if (e.status === 401 || e.status === 403) toLogin();
			else { setBootError(e); setPhase('down'); }
		}
	}, [toLogin]);

	useEffect(() => {
		const h = location.hash;
		if (h && !/^#\/?(login|setup)/.test(h)) returnTo.current = h;
		boot();
	}, [boot]);

	const onLogin = (m) => {
		setCsrf(m.csrf);
		setMe(m);
		setLoginNote('');
		if (m.must_change_password) { setPhase('pwchange'); return; }
		setPhase('app');
		const back = returnTo.current;
		returnTo.current = '';
		if (back) location.hash = back;
		else navigate('alerts', null, true);
	};

	// A fresh answer of /api/me or /api/me/password: the role may have changed.
	const onSession = useCallback((m) => {
		if (!m) return;
		setCsrf(m.csrf);
		setMe((old) => (old && old.user === m.user && old.role === m.role && old.csrf === m.csrf ? old : m));
		if (m.must_change_password) setPhase('pwchange');
	}, []);

	const logout = async () => {
		try { await api.post('logout', {}, { noRedirect: true }); } catch { /* gone anyway */ }
		returnTo.current = '';
		toLogin('You have signed out.');
	};

	if (phase === 'boot') return <div class="center-page"><Loading what="Connecting to the sensor" /></div>;
	if (phase === 'down') {
		return (
			<div class="center-page">
				<div class="auth-card">
					<Brand />
					<ErrorBox error={bootError} />
					<button type="button" class="btn btn-primary" onClick={boot}>Try again</button>
				</div>
			</div>
		);
	}
	if (phase === 'setup') return <SetupView onDone={(user) => { setPhase('login'); setLoginNote(`Administrator "${user}" created. Sign in with the new password.`); }} />;
	if (phase === 'login') return <LoginView note={loginNote} onLogin={onLogin} />;
	if (phase === 'pwchange') return <PasswordChangeView me={me} onLogout={logout} onDone={onLogin} />;

	return <Shell me={me} route={route} onLogout={logout} onSession={onSession} />;
}

function Brand() {
	return (
		<div class="brand">
			<img src="./favicon.svg" alt="" width="28" height="28" />
			<span>vigil</span>
		</div>
	);
}

// How often an open page asks whether its session still holds: an account
// disabled or deleted, or whose password changed elsewhere, is signed out
// within this time on every page, not only where the data polls.
const SESSION_CHECK_MS = 15000;

function Shell({ me, route, onLogout, onSession }) {
	const [menuOpen, setMenuOpen] = useState(false);
	const section = route.path[0] || 'alerts';
	// the time presets' reference (format.js): asked before the first page
	// shows, then with every session check
	const [clockRead, setClockRead] = useState(false);
	// every time on the page in UTC or the browser's zone (format.js), per user
	const [tz, setTz] = useState(() => loadTimeZone(me.user));
	const switchTz = () => {
		const next = tz === 'utc' ? 'local' : 'utc';
		setTimeZoneMode(next);
		setTz(next);
	};
	useEffect(() => {
		api.get('clock').then(setClock, () => {}).finally(() => setClockRead(true));
	}, []);
	useEffect(() => { setMenuOpen(false); }, [route]);
	useEffect(() => {
		// a 401 reaches the sign-in page through api.js's handler
		const check = () => {
			api.get('me').then(onSession, () => {});
			api.get('clock').then(setClock, () => {});
		};
		const onVisible = () => { if (document.visibilityState === 'visible') check(); };
		const t = setInterval(check, SESSION_CHECK_MS);
		document.addEventListener('visibilitychange', onVisible);
		return () => { clearInterval(t); document.removeEventListener('visibilitychange', onVisible); };
	}, [onSession]);
	// Move focus to the new page's heading for screen readers and keyboards.
	const first = useRef(true);
	useEffect(() => {
		if (first.current) { first.current = false; return; }
		const h = document.getElementById('page-h1');
		if (h) h.focus({ preventScroll: true });
	}, [section, route.path[1]]);

	let view;
	const p = route.params;
	if (!clockRead) view = <Loading what="Loading" />;
	else switch (section) {
		case 'dashboard': view = <DashboardView params={p} />; break;
		case 'alerts':
			view = route.path[1] ? <AlertDetailView id={route.path[1]} me={me} /> : <AlertsView params={p} me={me} />;
			break;
		case 'flows': view = <FlowsView params={p} />; break;
		case 'system': view = <SystemView />; break;
		case 'users': view = <UsersView me={me} onSession={onSession} />; break;
		case 'account': view = <AccountView me={me} onSession={onSession} />; break;
		case 'audit': view = <AuditView params={p} />; break;
		case 'suppressions': view = <SuppressionsView me={me} />; break;
		default: view = <div class="panel"><h1>Not found</h1><p><a href="#/alerts">Go to the alerts</a></p></div>;
	}

	return (
		<>
			<a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
			<header class="topbar">
				<a class="brand-link" href="#/alerts" aria-label="vigil: alerts"><Brand /></a>
				<button type="button" class="btn menu-btn" aria-expanded={menuOpen} aria-controls="mainnav" onClick={() => setMenuOpen(!menuOpen)}>
					Menu
				</button>
				<nav id="mainnav" class={`mainnav ${menuOpen ? 'open' : ''}`} aria-label="Main">
					<ul>
						{NAV.filter((n) => !n[3] || (me && me.role === n[3])).map(([key, label, title]) => (
							<li key={key}>
								<a href={`#/${key}`} title={title} aria-current={section === key ? 'page' : undefined}>{label}</a>
							</li>
						))}
					</ul>
					<div class="userbox">
						<button type="button" class="btn btn-small btn-ghost tz-btn" onClick={switchTz}
							title={tz === 'utc' ? `Every time on the page is in UTC; click for your local time (${localZoneName()}), remembered in this browser`
								: `Every time on the page is in your local time (${localZoneName()}); click for UTC`}>
							Times: {tz === 'utc' ? 'UTC' : localZoneName()}
						</button>
						<span class="user" title={`Signed in as ${me.user} (${me.role})`}>
							<span class="user-name">{me.user}</span> <span class="user-role">{me.role}</span>
						</span>
						<a class="btn btn-small btn-ghost" href="#/account" title="Your account: change your password" aria-current={section === 'account' ? 'page' : undefined}>Account</a>
						<button type="button" class="btn btn-small btn-ghost" onClick={onLogout}>Sign out</button>
					</div>
				</nav>
			</header>
			<main id="main" tabIndex={-1} key={tz}>{view}</main>
			<Toasts />
		</>
	);
}

render(<App />, document.getElementById('app'));
