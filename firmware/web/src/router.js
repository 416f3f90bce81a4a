// Hash routing: "#/alerts?severity=2&engine=detector", "#/alerts/12".
// Filters live in the hash, so a reload or a shared link keeps them.
import { useEffect, useState } from 'preact/hooks';

export function parseHash(hash = location.hash) {
	const h = hash.replace(/^#\/?/, '');
	const qi = h.indexOf('?');
	const path = (qi >= 0 ? h.slice(0, qi) : h).split('/').filter(Boolean).map(decodeURIComponent);
	const params = {};
	if (qi >= 0) for (const [k, v] of new URLSearchParams(h.slice(qi + 1))) params[k] = v;
	return { path, params };
}

export function href(path, params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
	const s = q.toString();
	return '#/' + path.replace(/^\/+/, '') + (s ? '?' + s : '');
}

export function navigate(path, params, replace = false) {
	const h = href(path, params);
	if (location.hash === h) return;
	if (replace) {
		history.replaceState(null, '', h);
		window.dispatchEvent(new HashChangeEvent('hashchange'));
	} else {
		location.hash = h;
	}
}

export function useRoute() {
	const [route, setRoute] = useState(parseHash());
	useEffect(() => {
		const on = () => setRoute(parseHash());
		window.addEventListener('hashchange', on);
		return () => window.removeEventListener('hashchange', on);
	}, []);
	return route;
}
