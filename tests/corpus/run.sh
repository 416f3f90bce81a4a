#!/bin/sh
# run.sh DIR - replay every capture of a pcap corpus under the sanitizers and
# compare flows and applications with Debian's ndpiReader 4.2 on the same
# files. VIGIL names the vigil binary (the ASan+UBSan build).
set -eu
dir=${1:?usage: run.sh CORPUS_DIR}
[ -d "$dir" ] || { echo "corpus: $dir is not a directory" >&2; exit 1; }
command -v ndpiReader >/dev/null || { echo "corpus: ndpiReader not found (apt-get install libndpi-bin)" >&2; exit 1; }
exec python3 "$(dirname "$0")/compare.py" "$dir"
