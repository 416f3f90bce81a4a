// format.mjs - the page's words for the API's codes (firmware/web/src/
// format.js) checked in node, without a browser: protocol names as EVE
// writes them (Suricata's "IPv6-ICMP", "IGMP"), whatever form the API gives.
import { harness, assert } from './lib.mjs';
import { protoName } from '../../firmware/web/src/format.js';

const h = harness('format');
const want = [
	[6, 'TCP'], ['6', 'TCP'], ['TCP', 'TCP'], [17, 'UDP'], [1, 'ICMP'],
	[58, 'IPv6-ICMP'], ['58', 'IPv6-ICMP'], ['IPv6-ICMP', 'IPv6-ICMP'], ['ipv6-icmp', 'IPv6-ICMP'],
	[2, 'IGMP'], ['IGMP', 'IGMP'], ['tcp', 'TCP'], [253, 'proto 253'], [null, ''],
];
for (const [p, name] of want)
	await h.check(`protocol ${JSON.stringify(p)} is shown as ${name}`, () => {
		const got = protoName(p);
		assert(got === name, `got ${JSON.stringify(got)}`);
	});
h.finish('format');
