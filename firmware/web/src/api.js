// The JSON API of docs/api.md. One place for the CSRF token, the session
// expiry (401 -> login page) and error messages ({"error": "..."}).

let csrf = '';
let onUnauthorized = () => {};

export function setCsrf(token) { csrf = token || ''; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export class ApiError extends Error {
	constructor(status, message, retryAfter) {
		super(message);
		this.status = status;
		this.retryAfter = retryAfter;
	}
}

// Query string from an object, leaving out empty values.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v === undefined || v === null || v === '') continue;
		q.set(k, String(v));
	}
	const s = q.toString();
	return s ? '?' + s : '';
}

async function request(method, path, body, opts = {}) {
	const headers = { Accept: 'application/json' };
	const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
	let res;
	try {
		res = await fetch('api/' + path.replace(/^\/+/, ''), init);
	} catch (e) {
		throw new ApiError(0, 'The sensor does not answer (network error). Is the daemon running?');
	}
	let data = null;
	const text = await res.text();
	if (text) {
		try { data = JSON.parse(text); } catch { data = null; }
	}
	if (!res.ok) {
		if (res.status === 401 && !opts.noRedirect) onUnauthorized();
		const msg = (data && data.error) || `${res.status} ${res.statusText || 'error'}`;
		throw new ApiError(res.status, msg, res.headers.get('Retry-After'));
	}
	return data;
}

export const api = {
	get: (path, params, opts) => request('GET', path + query(params), undefined, opts),
	post: (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts),
};

// URL of a GET route for links (exports): relative like every request.
export function apiUrl(path, params) {
	return 'api/' + path + query(params);
}
