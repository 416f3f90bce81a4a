#!/bin/bash
# bench_workers.sh VIGIL - packets/s of `vigil replay --workers N` for 1, 2
# and 4 workers, alternating in one run (ROUNDS rounds, default 5) on the
# capture tools/bench.sh builds, without outputs and with EVE + SQLite.
# Prints each run, the median rate per worker count and its ratio to one
# worker, and the load average before and after: the machine may be
# shared, so only ratios measured together mean something, and a loaded
# machine (load above its core count) flattens them.
set -euo pipefail
vigil=$(readlink -f "${1:-build/vigil}")
rounds=${ROUNDS:-5}
counts=${WORKERS:-1 2 4}
work=${BENCH_DIR:-build/bench}
mkdir -p "$work"
work=$(readlink -f "$work")
big=$(BENCH_DIR=$work BENCH_CAPTURE_ONLY=1 tools/bench.sh "$vigil" | tail -1)
cat "$big" > /dev/null  # page cache
pkts=$(capinfos -c -M "$big" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
echo "bench-workers: $big, $pkts packets, $(nproc) cores"
echo "bench-workers: load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# one LABEL WORKERS ARGS...: wall seconds of one replay, appended to LABEL.w<N>
one() {
	local label=$1 n=$2; shift 2
	rm -f "$work/bw.sqlite"*
	/usr/bin/time -f "%e %U %S" -o "$work/bw.time" "$vigil" replay -q --workers "$n" "$@" "$big" \
		> /dev/null 2> "$work/bw.err" || { echo "bench-workers: replay failed:"; tail -5 "$work/bw.err"; exit 1; }
	local wall user sys
	read -r wall user sys < "$work/bw.time"
	echo "$wall" >> "$work/$label.w$n"
	printf '  %-8s workers %d: %6.2f s  %8.0f packets/s  (%.2f CPU s, all threads)\n' \
		"$label" "$n" "$wall" "$(awk -v p="$pkts" -v w="$wall" 'BEGIN{print p / w}')" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}')"
}

for label in bare outputs; do
	for n in $counts; do rm -f "$work/$label.w$n"; done
	for r in $(seq 1 "$rounds"); do
		for n in $counts; do
			if [ "$label" = bare ]; then
				one bare "$n"
			else
				one outputs "$n" --eve "$work/bw.json" --db "$work/bw.sqlite"
			fi
		done
	done
done
echo "bench-workers: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work" "$pkts" $counts <<'PY'
import statistics, sys
work, pkts, counts = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3:]]
for label, what in (("bare", "no outputs"), ("outputs", "EVE + SQLite")):
    med = {}
    for n in counts:
        with open("%s/%s.w%d" % (work, label, n)) as f:
            med[n] = statistics.median(float(x) for x in f if x.strip())
    base = pkts / med[counts[0]]
    for n in counts:
        rate = pkts / med[n]
        print("bench-workers: %-12s --workers %d: median %.2f s, %.0f packets/s, %.2fx --workers %d"
              % (what, n, med[n], rate, rate / base, counts[0]))
PY
