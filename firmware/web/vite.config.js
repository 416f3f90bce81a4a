// vigil's page: built once at build time, served as static files by the
// daemon (and lighttpd in front of it). Everything is bundled: the page
// loads nothing from the internet, runs no inline script or style and
// never evaluates strings, so a strict CSP holds:
//   default-src 'self'; script-src 'self'; style-src 'self'
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

// The CSP as a <meta> too, so the page holds to it whatever serves it.
function cspMeta() {
	return {
		name: 'vigil-csp-meta',
		apply: 'build',
		transformIndexHtml() {
			return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }];
		},
	};
}

export default defineConfig({
	base: './',
	plugins: [cspMeta()],
	oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
	build: {
		outDir: resolve(process.env.VIGIL_WEB_OUT || resolve(import.meta.dirname, '../../build/web')),
		emptyOutDir: true,
		assetsInlineLimit: 0,          // no data: URLs (CSP)
		modulePreload: { polyfill: false },
		sourcemap: false,
		target: 'es2020',
		chunkSizeWarningLimit: 400,
	},
	server: {
		// `VIGIL_API=http://127.0.0.1:8080 npm run dev` during development
		proxy: process.env.VIGIL_API ? { '/api': process.env.VIGIL_API } : undefined,
	},
});
