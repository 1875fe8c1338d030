#!/usr/bin/env python3
"""Summarizes bench/run.sh's results (median and range over the runs) as Markdown."""
import glob
import json
import re
import statistics
import sys

out = sys.argv[1]


def spread(values, fmt="{:.0f}"):
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def fwd(pattern):
    vals = []
    for f in sorted(glob.glob(f"{out}/{pattern}")):
        m = re.search(r"([\d.]+) out-pkt per CPU-second", open(f).read())
        if m:
            vals.append(float(m.group(1)))
    return vals


def steps(pattern):
    clean, per_cpu = [], []
    for f in sorted(glob.glob(f"{out}/{pattern}")):
        r = json.load(open(f))
        ok = [s for s in r["steps"] if s["loss"] <= 0.001]
        if ok:
            clean.append(ok[-1]["forwardedPps"])
            per_cpu.append(1e6 / ok[-1]["cpuSecondsPerMillionForwarded"])
    return clean, per_cpu


def runs(pattern):
    return [json.load(open(f))["steps"][-1] for f in sorted(glob.glob(f"{out}/{pattern}"))]


gcm_fwd, plain_fwd = fwd("fwd-gcm-*.txt"), fwd("fwd-plain-*.txt")
gcm_clean, gcm_cpu = steps("step-gcm-*.json")
none_clean, none_cpu = steps("step-none-*.json")
nogso_clean, nogso_cpu = steps("step-nogso-*.json")
read_clean, read_cpu = steps("step-read-*.json")
read100_clean, _ = steps("step-read100-*.json")
read = runs("read-gcm-*.json")
w1, w2 = runs("workers1-*.json"), runs("workers2-*.json")
print("| figure | median (range) |")
print("| --- | ---: |")
print(f"| fwdbench GCM K=10, out-packets per CPU-second | {spread(gcm_fwd)} |")
print(f"| fwdbench no crypto K=10, out-packets per CPU-second | {spread(plain_fwd)} |")
print(f"| sfu GCM fan-out 10, highest clean rate (forwarded/s, loss <= 0.1%) | {spread(gcm_clean)} |")
print(f"| sfu GCM, forwarded packets per worker CPU-second at that rate | {spread(gcm_cpu)} |")
if gcm_fwd and gcm_cpu:
    print(f"| ratio to fwdbench GCM (per CPU-second) | {statistics.median(gcm_cpu) / statistics.median(gcm_fwd):.2f} |")
print(f"| sfu no SRTP, highest clean rate | {spread(none_clean)} |")
print(f"| sfu no SRTP, forwarded per worker CPU-second | {spread(none_cpu)} |")
if plain_fwd and none_cpu:
    print(f"| ratio to fwdbench no crypto | {statistics.median(none_cpu) / statistics.median(plain_fwd):.2f} |")
print(f"| sfu GCM with --udp-gso off, highest clean rate | {spread(nogso_clean)} |")
print(f"| sfu GCM with --udp-gso off, forwarded per worker CPU-second | {spread(nogso_cpu)} |")
print(f"| sfu GCM, every sink read: forwarded per worker CPU-second | {spread([1e6 / r['cpuSecondsPerMillionForwarded'] for r in read])} |")
print(f"| sfu GCM, every sink read: loss % | {spread([100 * r['loss'] for r in read], '{:.3f}')} |")
print(f"| sfu GCM, every sink read: highest clean rate | {spread(read_clean)} |")
print(f"| sfu GCM, every sink read, 100 producers: highest clean rate | {spread(read100_clean)} |")


def stream_size(pattern):
    """The producers and each one's video bitrate in a latency run (1200-byte packets)."""
    r = json.load(open(sorted(glob.glob(f"{out}/{pattern}"))[0]))
    producers = r["options"]["routers"] * r["options"]["producers"]
    mbps = r["steps"][-1]["targetVideoPps"] / producers * 1200 * 8 / 1e6
    return f"{producers} producers of {mbps:.1f} Mbit/s video"


for mode, pattern in (("probe sinks read", "latency-drop-*.json"), ("every sink read", "latency-read-*.json"),
                      ("every sink read", "latency-read100-*.json")):
    lat = runs(pattern)
    if not lat:
        continue
    print(f"| latency at half the clean rate, {mode}, {stream_size(pattern)} ({lat[0]['forwardedPps']:.0f}/s forwarded): "
          f"p50 us | {spread([r['latencyUs']['p50'] for r in lat])} |")
    print(f"| ... p99 us | {spread([r['latencyUs']['p99'] for r in lat])} |")
    print(f"| ... p99.9 us | {spread([r['latencyUs']['p999'] for r in lat])} |")
    print(f"| ... loss % | {spread([100 * r['loss'] for r in lat], '{:.3f}')} |")
if w1 and w2:
    print(f"| 1 worker: CPU-s per million forwarded | {spread([r['cpuSecondsPerMillionForwarded'] for r in w1], '{:.2f}')} |")
    print(f"| 2 workers: CPU-s per million forwarded | {spread([r['cpuSecondsPerMillionForwarded'] for r in w2], '{:.2f}')} |")
    print(f"| 2 workers: busiest worker's share of the CPU time | {spread([max(r['workerCpuSeconds']) / sum(r['workerCpuSeconds']) for r in w2], '{:.2f}')} |")
join = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/join-*.json"))]
if join:
    print(f"| WebRTC joins (2000 transports, 100 at a time): joins/s | {spread([j['joinsPerSecond'] for j in join])} |")
    print(f"| ... server CPU ms per join | {spread([1000 * j['serverCpuSecondsPerJoin'] for j in join], '{:.2f}')} |")
    print(f"| ... DTLS handshake ms, p50 / p99 | {spread([j['dtlsMs']['p50'] for j in join], '{:.1f}')} / "
          f"{spread([j['dtlsMs']['p99'] for j in join], '{:.1f}')} |")
    print(f"| ... server RSS per WebRTC transport (kB) | {spread([j['rssPerTransportKb'] for j in join], '{:.1f}')} |")
    print(f"| ... failed joins | {sum(j['failed'] for j in join)} |")
try:
    m1, m2 = json.load(open(f"{out}/mem-100.json")), json.load(open(f"{out}/mem-1000.json"))
    n = m2["consumerObjects"] - m1["consumerObjects"]
    print(f"| memory per consumer, idle (kB, 1000 vs 100 consumers) | {(m2['rssIdleKb'] - m1['rssIdleKb']) / n:.1f} |")
    print(f"| memory per consumer after 30 s of video (kB) | {(m2['rssEndKb'] - m1['rssEndKb']) / n:.1f} |")
except (OSError, KeyError):
    pass
try:
    total = int(open(f"{out}/callgrind-total.txt").read().split()[0])
    cg = json.load(open(f"{out}/callgrind.json"))["steps"][0]
    print(f"| user-space instructions per forwarded packet, no SRTP (callgrind) | {total / cg['serverPacketsSent']:.0f} |")
except (OSError, IndexError, ValueError, KeyError):
    pass
try:
    fb = json.load(open(f"{out}/forward_bench.json"))
    for b in fb["benchmarks"]:
        print(f"| forward_bench {b['name']}: ns per forwarded packet | {1e9 / b['items_per_second']:.0f} |")
except (OSError, KeyError):
    pass
