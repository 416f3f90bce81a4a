#!/bin/bash
# bench.sh VIGIL - throughput and memory of `vigil replay` against Debian's
# ndpiReader 4.2 on the same large capture, measured in one run (compare
# the ratios: the machines are shared and noisy).
#
# The capture: the Ethernet captures of the pcap corpus ($VIGIL_PCAP_CORPUS,
# else ../shared/pcaps) concatenated on one continuous timeline, 20 times,
# each copy re-addressed with tcprewrite --seed so flows do not repeat (as
# in the corpus's ndpireader-4.2-throughput.md, plus the time shift). Without a corpus, the project's own
# fixtures are used the same way (more copies).
set -euo pipefail
vigil=$(readlink -f "${1:-build/vigil}")
work=${BENCH_DIR:-build/bench}
mkdir -p "$work"
work=$(readlink -f "$work")
corpus=${VIGIL_PCAP_CORPUS:-}
[ -z "$corpus" ] && [ -d ../shared/pcaps ] && corpus=$(readlink -f ../shared/pcaps)

for t in mergecap tcprewrite ndpiReader /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench: $t missing (make deps)" >&2; exit 1; }
done

big=$work/big.pcap
if [ ! -s "$big" ]; then
	echo "bench: building $big ..."
	if [ -n "$corpus" ] && [ -f "$corpus/ndpireader-4.2-baseline.tsv" ]; then
		files=$(awk -F'\t' -v d="$corpus" 'NR>2 && $3=="ether"{print d"/"$1}' "$corpus/ndpireader-4.2-baseline.tsv")
		copies=20
	else
		files=$(ls tests/fixtures/*.pcap | grep -v -e sll -e null -e rawip -e malformed)
		copies=400
	fi
	# shellcheck disable=SC2086
	mergecap -a -F pcap -w "$work/base.pcap" $files
	rm -rf "$work/reps" && mkdir -p "$work/reps"
	for i in $(seq 1 $copies); do
		tcprewrite --seed="$i" --infile="$work/base.pcap" \
			--outfile="$work/reps/rep_$(printf %04d "$i").pcap" 2>/dev/null
	done
	mergecap -a -F pcap -w "$work/merged.pcap" "$work"/reps/rep_*.pcap
	# One continuous timeline, as a sensor sees it: concatenated as they
	# are, the files' clocks jump back by years and no flow would ever
	# expire. pcap_retime keeps each gap between packets (at most 60 s)
	# and never goes back.
	python3 tools/pcap_retime.py "$work/merged.pcap" "$big"
	rm -f "$work/merged.pcap"
	rm -rf "$work/reps"
fi
# BENCH_CAPTURE_ONLY=1: build the capture and print its path (bench_workers.sh)
[ -n "${BENCH_CAPTURE_ONLY:-}" ] && { echo "$big"; exit 0; }
cat "$big" > /dev/null  # page cache
load_start=$(uptime | sed 's/.*load average: //')
pkts=$(capinfos -c -M "$big" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
data=$(capinfos -d -M "$big" | awk -F: '/Data size/{gsub(/[^0-9]/,"",$2); print $2}')

# run LABEL CMD... : wall seconds and max RSS (KiB) of one command
run() {
	local label=$1; shift
	/usr/bin/time -f "%e %M %U %S" -o "$work/$label.time" "$@" > "$work/$label.out" 2> "$work/$label.err" || {
		echo "bench: $label failed:"; tail -5 "$work/$label.err"; exit 1; }
	read -r wall rss usr sys < "$work/$label.time"
	eval "${label}_wall=$wall ${label}_rss=$rss ${label}_cpu=$(awk -v a="$usr" -v b="$sys" 'BEGIN{print a+b}')"
}

# fixed memory of vigil (nDPI module, buffers) on a one-flow capture
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' > "$work/empty.pcap"
rm -f "$work"/base.sqlite*
run base "$vigil" replay -q --eve "$work/base.json" --db "$work/base.sqlite" "$work/empty.pcap"

rm -f "$work"/vigil.sqlite*
run vigil "$vigil" replay -q --eve "$work/vigil.json" --db "$work/vigil.sqlite" "$big"
run ndpi ndpiReader -q -i "$big"
run bare "$vigil" replay -q "$big"

# memory per classified flow: 200k concurrent DNS flows, each decided by
# nDPI on its first two packets and kept until the end of the capture
[ -s "$work/flows200k.pcap" ] || python3 tools/gen_flows.py 200000 "$work/flows200k.pcap"
run mem "$vigil" replay -q --eve "$work/mem.json" "$work/flows200k.pcap"
run membase "$vigil" replay -q --eve "$work/base.json" "$work/empty.pcap"
mem_peak=$(tail -1 "$work/mem.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vigil"]["flow"]["peak"])')

# detection: the default rule set plus 1M indicators, against no rules.
# Loading is timed on its own (rules check, and a replay of an empty
# capture); the replay rate is taken without the load time.
if [ ! -s "$work/ioc1m/ioc/bench-ips.txt" ]; then
	mkdir -p "$work/ioc1m/ioc"
	python3 tools/gen_iocs.py 1000000 "$work/ioc1m/ioc" > /dev/null
fi
run rcheck "$vigil" rules check rules/default "$work/ioc1m"
run rload "$vigil" replay -q --rules rules/default --rules "$work/ioc1m" --eve "$work/rload.json" "$work/empty.pcap"
rm -f "$work"/rules.sqlite*
run rules "$vigil" replay -q --rules rules/default --rules "$work/ioc1m" --eve "$work/rules.json" --db "$work/rules.sqlite" "$big"
alerts=$(tail -1 "$work/rules.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["detect"]["alert"])')
payload=$(tail -1 "$work/rules.json" | python3 -c 'import json,sys; d=json.load(sys.stdin)["vigil"]["detect"]; print(d["payload_peak_bytes"], d["payload_dropped_bytes"])')

# packet evidence: the same run with [evidence] on (vigil replay
# --evidence): every flow holds its first packets until decided, alerting
# flows are written as pcap files. Its rate against the run above.
rm -rf "$work/evidence" "$work"/evid.sqlite*
run evid "$vigil" replay -q --rules rules/default --rules "$work/ioc1m" --eve "$work/evid.json" --db "$work/evid.sqlite" \
	--evidence "$work/evidence" "$big"
evstats=$(tail -1 "$work/evid.json" | python3 -c 'import json,sys; e=json.load(sys.stdin)["vigil"]["evidence"]; print(e["pool_peak"], e["pool_limit"], e["held"], e["pressure_dropped_packets"], e["pressure_dropped_flows"], e["flows"], e["packets"], e["files"], e["bytes"], e["queue_dropped"], e["cap_reached"])')

peak=$(tail -1 "$work/vigil.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vigil"]["flow"]["peak"])')
flows=$(tail -1 "$work/vigil.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["flow"]["total"])')

python3 - "$pkts" "$data" "$vigil_wall" "$vigil_rss" "$ndpi_wall" "$ndpi_rss" "$base_rss" "$peak" "$flows" \
	"$mem_rss" "$membase_rss" "$mem_peak" "$rcheck_wall" "$rcheck_rss" "$rload_wall" \
	"$rules_wall" "$rules_rss" "$alerts" "$bare_wall" "$evid_wall" "$evid_rss" "$evstats" $payload <<'PY'
import sys
(pkts, data, vw, vr, nw, nr, br, peak, flows, mr, mbr, mpeak,
 cw, cr, lw, rw, rr, alerts, bw, ew, er, evs, ppeak, pdrop) = sys.argv[1:]
ew, er = float(ew), int(er)
bw = max(float(bw), 0.001)
cw, lw, rw = float(cw), float(lw), float(rw)
cr, rr, alerts = int(cr), int(rr), int(alerts)
mr, mbr, mpeak = int(mr), int(mbr), int(mpeak)
pkts, data, peak, flows = int(pkts), int(data), int(peak), int(flows)
vw, nw = max(float(vw), 0.001), max(float(nw), 0.001)
vr, nr, br = int(vr), int(nr), int(br)
print("bench: capture %d packets, %.1f MB of packet data, %d flows (peak %d concurrent)"
      % (pkts, data / 1e6, flows, peak))
for name, w, r in (("vigil replay (EVE + SQLite)", vw, vr), ("ndpiReader -q", nw, nr)):
    print("bench: %-28s %7.2f s  %8.0f pkt/s  %6.3f Gbit/s  %6.0f ns/pkt  peak RSS %7.1f MiB"
          % (name, w, pkts / w, data * 8 / w / 1e9, w * 1e9 / pkts, r / 1024))
print("bench: vigil/ndpiReader packet rate ratio: %.2fx (target >= 2x)" % (nw / vw))
print("bench: vigil replay without outputs: %.2f s, %.0f pkt/s, %.2fx ndpiReader"
      % (bw, pkts / bw, nw / bw))
per = (vr - br) * 1024 / max(peak, 1)
print("bench: vigil RSS per concurrent flow, big capture: (%.1f MiB - %.1f MiB fixed) / %d = %.0f bytes"
      % (vr / 1024, br / 1024, peak, per))
print("bench: vigil RSS per classified flow: (%.1f MiB - %.1f MiB fixed) / %d concurrent DNS flows = %.0f bytes (target < 512)"
      % (mr / 1024, mbr / 1024, mpeak, (mr - mbr) * 1024 / max(mpeak, 1)))
rw_net = max(rw - lw, 0.001)
print("bench: rules: default set + 1,000,000 indicators: rules check %.2f s, peak RSS %.1f MiB"
      % (cw, cr / 1024))
print("bench: vigil replay with rules: %.2f s (%.2f s of it loading), %.0f pkt/s without the load,"
      " %d alerts, peak RSS %.1f MiB" % (rw, lw, pkts / rw_net, alerts, rr / 1024))
print("bench: rules/no-rules packet rate ratio: %.2f (target >= 0.8)" % (vw / rw_net))
ew_net = max(ew - lw, 0.001)
(pp, pl, held, pdp, pdf, evf, evp, evfiles, evbytes, qd, capr) = (int(x) for x in evs.split())
print("bench: with packet evidence: %.2f s, %.0f pkt/s without the load, peak RSS %.1f MiB "
      "(%+.1f MiB against the same run without)" % (ew, pkts / ew_net, er / 1024, (er - rr) / 1024))
print("bench: evidence on/off packet rate ratio: %.2f; pool peak %.1f of %.1f MiB, %d packets held, "
      "%d packets of %d flows dropped under pressure" % (rw_net / ew_net, pp / 1048576, pl / 1048576,
                                                          held, pdp, pdf))
print("bench: evidence written: %d alerting flows, %d packets, %d files, %.1f MiB; %d dropped by the "
      "queue, %d flows cut at the per-flow cap" % (evf, evp, evfiles, evbytes / 1048576, qd, capr))
print("bench: payload windows (2 KiB per direction) with rules: peak %.1f KiB held, %d bytes not kept"
      % (int(ppeak) / 1024, int(pdrop)))
print("bench: ndpiReader RSS per flow: %.0f bytes (%d flows kept to the end)" % (nr * 1024 / max(flows, 1), flows))
PY

# The moonshot (issue 13.4): one worker with everything on - EVE, SQLite,
# the default rules and the 1M indicators - alternating with ndpiReader,
# BENCH_ROUNDS times (default 3), each round also timing the load alone
# (a replay of the empty capture with the same rules), so each round's
# ratio is taken from runs side by side on the same loaded machine. The
# rate is the packets over (wall - load); the CPU figure is the CPU of
# all vigil's threads (packet thread, EVE and SQLite writers) over the
# same, against ndpiReader's (one thread).
rounds=${BENCH_ROUNDS:-3}
moon=""
for r in $(seq 1 "$rounds"); do
	run mload "$vigil" replay -q --rules rules/default --rules "$work/ioc1m" --eve "$work/mload.json" \
		--db "$work/mload.sqlite" "$work/empty.pcap"
	rm -f "$work"/mload.sqlite* "$work"/moon.sqlite*
	run moon "$vigil" replay -q --rules rules/default --rules "$work/ioc1m" --eve "$work/moon.json" \
		--db "$work/moon.sqlite" "$big"
	run mndpi ndpiReader -q -i "$big"
	moon="$moon $mload_wall $mload_cpu $moon_wall $moon_cpu $mndpi_wall $mndpi_cpu"
done
rm -f "$work"/moon.sqlite* "$work"/mload.sqlite*

# bytes per decided flow: peak RSS with 200k against 100k concurrent DNS
# flows, each decided on its first two packets and kept to the end, with
# the default rules and EVE on; the difference over the 100k extra flows
# leaves out what does not grow with flows (nDPI, rules, and the
# behavioural detectors' tables, which reach their bound of 65,536 keys
# each on either capture)
[ -s "$work/flows100k.pcap" ] || python3 tools/gen_flows.py 100000 "$work/flows100k.pcap"
run dflow1 "$vigil" replay -q --rules rules/default --eve "$work/dflow.json" "$work/flows100k.pcap"
run dflow2 "$vigil" replay -q --rules rules/default --eve "$work/dflow.json" "$work/flows200k.pcap"
run dflow0 "$vigil" replay -q --rules rules/default --eve "$work/dflow.json" "$work/empty.pcap"
# The packet thread alone (what one worker costs when the writers have
# cores of their own), when perf(1) (linux-perf) is installed: its CPU
# time, sampled at 997 Hz, on the big capture less on the empty one, the
# same rules and outputs.
main_cpu() {  # LABEL CAPTURE: seconds of CPU of vigil's main thread
	rm -f "$work"/pt.sqlite*
	perf record -q -F 997 -e cpu-clock -o "$work/$1.perf" "$vigil" replay -q --rules rules/default \
		--rules "$work/ioc1m" --eve "$work/pt.json" --db "$work/pt.sqlite" "$2" > /dev/null 2>&1 || return 1
	perf script -i "$work/$1.perf" -F pid,tid 2>/dev/null |
		awk -F/ '{gsub(/ /,""); if ($1 == $2) m++} END {printf "%.3f\n", m / 997}'
}
pt=""
if command -v perf > /dev/null && pt_big=$(main_cpu ptbig "$big") && pt_empty=$(main_cpu ptempty "$work/empty.pcap"); then
	pt="$pt_big $pt_empty"
fi
rm -f "$work"/pt.sqlite* "$work"/ptbig.perf "$work"/ptempty.perf
load_end=$(uptime | sed 's/.*load average: //')

python3 - "$pkts" "$dflow0_rss" "$dflow1_rss" "$dflow2_rss" "$load_start" "$load_end" "$pt" $moon <<'PY'
import statistics, sys
pkts, d0, d1, d2 = (int(x) for x in sys.argv[1:5])
ls, le, pt = sys.argv[5], sys.argv[6], sys.argv[7].split()
v = [float(x) for x in sys.argv[8:]]
ratios, cratios, rates = [], [], []
print("bench: moonshot: one worker, EVE + SQLite + rules/default + 1,000,000 indicators, "
      "alternating with ndpiReader (load average %s at the start, %s at the end)" % (ls, le))
for i in range(0, len(v), 6):
    lw, lc, mw, mc, nw, nc = v[i:i + 6]
    net, cnet = max(mw - lw, 0.001), max(mc - lc, 0.001)
    nw, nc = max(nw, 0.001), max(nc, 0.001)
    rates.append(pkts / net)
    ratios.append(nw / net)
    cratios.append(nc / cnet)
    print("bench:   round %d: vigil %.2f s - %.2f s load = %8.0f pkt/s (%4.0f ns/pkt); ndpiReader %.2f s = "
          "%8.0f pkt/s; ratio %.2fx; CPU all threads %4.0f ns/pkt against %4.0f, ratio %.2fx"
          % (i // 6 + 1, mw, lw, pkts / net, net * 1e9 / pkts, nw, pkts / nw, nw / net,
             cnet * 1e9 / pkts, nc * 1e9 / pkts, nc / cnet))
print("bench: moonshot median: %.0f pkt/s, %.2fx ndpiReader by wall, %.2fx by CPU "
      "(target >= 1,000,000 pkt/s per worker, about 4x)" % (statistics.median(rates),
      statistics.median(ratios), statistics.median(cratios)))
if pt:
    cpu = max(float(pt[0]) - float(pt[1]), 0.001)
    ncpu = statistics.median([v[i + 5] for i in range(0, len(v), 6)])
    print("bench: moonshot, the packet thread alone (perf): %.2f s - %.2f s load = %.0f ns/pkt, "
          "%.0f pkt/s per worker, %.2fx ndpiReader's CPU per packet"
          % (float(pt[0]), float(pt[1]), cpu * 1e9 / pkts, pkts / cpu, ncpu / cpu))
else:
    print("bench: moonshot, the packet thread alone: skipped (perf, from linux-perf, not installed)")
print("bench: bytes per decided flow (rules/default, EVE): (%.1f MiB at 200k - %.1f MiB at 100k "
      "concurrent DNS flows) / 100,000 = %.0f bytes (target < 512); fixed %.1f MiB"
      % (d2 / 1024, d1 / 1024, (d2 - d1) * 1024 / 100000, d0 / 1024))
PY
