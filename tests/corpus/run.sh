#!/bin/sh
# run.sh DIR - replay every capture of a pcap corpus under the sanitizers and
# compare flows and applications with Debian's ndpiReader 4.2 on the same
# files, replay them all with the default rule set and validate their EVE
# against Suricata's schemas (../suricata beside the corpus). VIGIL names the
# vigil binary (the ASan+UBSan build).
set -eu
dir=${1:?usage: run.sh CORPUS_DIR}
[ -d "$dir" ] || { echo "corpus: $dir is not a directory" >&2; exit 1; }
command -v ndpiReader >/dev/null || { echo "corpus: ndpiReader not found (apt-get install libndpi-bin)" >&2; exit 1; }
here=$(dirname "$0")
rc=0
python3 "$here/compare.py" "$dir" || rc=1
# the default rule set on the whole corpus: clean replays, benign captures silent
python3 "$here/check_default_rules.py" "$dir" || rc=1
# every EVE line against Suricata 8.0's and 7.0's schemas, community_id
python3 "$here/check_eve_schema.py" "$dir" || rc=1
exit $rc
