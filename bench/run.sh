#!/usr/bin/env bash
# Reproduces every figure of docs/performance.md with one command, from a release build:
#   bench/run.sh [RUNS]        (default 5 runs of each; about 40 minutes on 2 cores)
# Pins the server to CPU 1 and the generator to CPU 0 (2 cores needed). Every run stops
# by itself. Results: build/bench/*.json and the summary table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SHARED=${SFU_SHARED:-../shared}
out=build/bench
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.txt
cmake --preset release >/dev/null
cmake --build --preset release --target sfu sfu-load forward_bench >/dev/null
bin=build/release/bin
gcc -O2 -o "$out/fwdbench" "$SHARED/bench/fwdbench.c" -lcrypto -lpthread

load() { timeout 300 "$bin/sfu-load" "$@"; }
for i in $(seq "$RUNS"); do
  echo "== run $i of $RUNS"
  # The speed-of-light forwarder, saturated: out-packets per CPU-second (same run).
  "$out/fwdbench" gcm 10 1200 0 4 > "$out/fwd-gcm-$i.txt"
  "$out/fwdbench" mmsg 10 1200 0 4 > "$out/fwd-plain-$i.txt"
  # sfu, fan-out 10, 50 producers: the highest rate with loss <= 0.1%, sinks as fwdbench's.
  load --sinks drop --rate 12000 --step --step-factor 1.12 --duration 3 --json "$out/step-gcm-$i.json" >/dev/null
  load --sinks drop --srtp none --rate 12000 --step --step-factor 1.12 --duration 3 --json "$out/step-none-$i.json" >/dev/null
  # The same GCM run with UDP GSO off: one sendmmsg entry per datagram.
  load --sinks drop --rate 12000 --step --step-factor 1.12 --duration 3 --server-arg --udp-gso --server-arg off \
    --json "$out/step-nogso-$i.json" >/dev/null
  # Every sink read (loss counted at the sinks), at a fixed rate, and stepped: reading 500
  # sinks costs the sending core more (loopback delivers in the sender's context).
  load --sinks read --rate 12000 --duration 3 --json "$out/read-gcm-$i.json" >/dev/null
  load --sinks read --rate 12000 --step --step-factor 1.12 --duration 3 --json "$out/step-read-$i.json" >/dev/null
  # The same with 100 producers (10 routers): at a given rate each stream, and so each
  # keyframe burst, is half the size.
  load --sinks read --routers 10 --rate 12000 --step --step-factor 1.12 --duration 3 \
    --json "$out/step-read100-$i.json" >/dev/null
done
# Latency at half the clean rate (median of the step runs) of the same sink mode.
half() {
  python3 - "$out" "$1" <<'PY'
import glob, json, statistics, sys
rates = []
for f in glob.glob(sys.argv[1] + "/" + sys.argv[2]):
    r = json.load(open(f))
    clean = [s for s in r["steps"] if s["loss"] <= 0.001]
    if clean: rates.append(clean[-1]["targetVideoPps"])
print(int(statistics.median(rates) / 2) if rates else 6000)
PY
}
half_drop=$(half "step-gcm-*.json")
half_read=$(half "step-read-*.json")
half_read100=$(half "step-read100-*.json")
for i in $(seq "$RUNS"); do
  load --sinks drop --rate "$half_drop" --duration 5 --json "$out/latency-drop-$i.json" >/dev/null
  load --sinks read --rate "$half_read" --duration 5 --json "$out/latency-read-$i.json" >/dev/null
  load --sinks read --routers 10 --rate "$half_read100" --duration 5 --json "$out/latency-read100-$i.json" >/dev/null
done
# Two workers (rooms spread over them), same load as one: CPU per packet and per worker.
for i in $(seq "$RUNS"); do
  load --workers 2 --routers 10 --producers 5 --server-cpus 0,1 --load-cpus any --sinks drop --rate 12000 \
    --duration 3 --json "$out/workers2-$i.json" >/dev/null
  load --workers 1 --routers 10 --producers 5 --server-cpus 1 --load-cpus 0 --sinks drop --rate 12000 \
    --duration 3 --json "$out/workers1-$i.json" >/dev/null
done
# Memory: the RSS difference between 100 and 1000 consumers, idle and after 30 s of video.
load --routers 1 --producers 10 --consumers 10 --no-audio --rate 3000 --hold 30 --duration 1 --json "$out/mem-100.json" >/dev/null
load --routers 1 --producers 10 --consumers 100 --no-audio --rate 3000 --hold 30 --duration 1 --json "$out/mem-1000.json" >/dev/null
# WebRTC joins: 2000 transports, 100 at a time (ICE, DTLS, SRTP keys through our stack).
for i in $(seq "$RUNS"); do
  load --webrtc 2000 --join-batch 100 --json "$out/join-$i.json" >/dev/null
done
# Instructions per forwarded packet without SRTP: callgrind over the UDP read and send
# paths of a short fixed run (deterministic).
cat > "$out/sfu-callgrind" <<CG
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$PWD/$out/callgrind.out --toggle-collect='sfu::UdpSocket::ReadBatches()' --toggle-collect='sfu::UdpSocket::Flush()' $PWD/$bin/sfu "\$@"
CG
chmod +x "$out/sfu-callgrind"
load --sfu "$out/sfu-callgrind" --routers 1 --producers 5 --consumers 10 --no-audio --srtp none --rate 1000 \
  --duration 4 --warmup 0.5 --server-cpus any --load-cpus any --json "$out/callgrind.json" >/dev/null 2>&1
callgrind_annotate "$out/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' > "$out/callgrind-total.txt"
"$bin/forward_bench" --benchmark_min_time=0.3 --benchmark_format=json > "$out/forward_bench.json" 2> "$out/alloc-check.txt"
cat "$out/alloc-check.txt"
python3 bench/summarize.py "$out"
