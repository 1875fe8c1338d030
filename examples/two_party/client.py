#!/usr/bin/python3
"""A call participant built on aiortc (Debian's python3-aiortc 1.4): joins a room of
app_server.py, publishes a synthetic video (320x240 moving pattern, VP8) and a
440 Hz tone (Opus), receives the other peers' tracks, and after --seconds of media
prints one JSON line with what arrived per remote track, then leaves:

  {"peerId": ..., "tracks": [{"peerId": ..., "producerId": ..., "kind": "video",
   "frames": 298, "fps": 29.9, "width": 320, "height": 240}, {"kind": "audio",
   "frames": 500, "samples": 480000, "sampleRate": 48000, ...}], "ok": true}

  ./client.py --server http://127.0.0.1:8000 --room demo --name alice --seconds 10

Exit status: 0 when every remote track received media (video frames, audio samples),
1 when one did not or no other peer showed up, 2 when signalling failed.

The app server speaks the sfu's terms (ICE/DTLS/RTP parameters), aiortc speaks SDP;
sdp_bridge.py translates, as mediasoup-client does for browsers.
"""
import argparse
import asyncio
import fractions
import json
import logging
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
from av import AudioFrame, VideoFrame

import aioice.ice
import aiortc.codecs
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

import sdp_bridge


def log(*args):
    print("client:", *args, file=sys.stderr, flush=True)


# -- synthetic media ----------------------------------------------------------------------
class PatternTrack(VideoStreamTrack):
    """320x240 video at 30 fps (VideoStreamTrack's pacing): a diagonal gradient that
    scrolls and a bright box that moves, so every frame differs."""

    def __init__(self, width=320, height=240):
        super().__init__()
        self.width, self.height, self.n = width, height, 0
        self.xx = np.arange(width, dtype=np.int32)[None, :]
        self.yy = np.arange(height, dtype=np.int32)[:, None]

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        n, w, h = self.n, self.width, self.height
        self.n += 1
        y = ((self.xx + self.yy + 4 * n) & 0xFF).astype(np.uint8)
        bx = int((w - w // 8) * (0.5 + 0.5 * math.sin(n / 20)))
        by = int((h - h // 8) * (0.5 + 0.5 * math.cos(n / 15)))
        y[by:by + h // 8, bx:bx + w // 8] = 235
        uv = np.full((h // 2, w), 128, np.uint8)  # U and V planes, grey
        frame = VideoFrame.from_ndarray(np.concatenate([y, uv]), format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneTrack(AudioStreamTrack):
    """A 440 Hz sine, 48 kHz mono, in 20 ms frames paced in real time."""

    rate, samples = 48000, 960

    def __init__(self, freq=440.0):
        super().__init__()
        self.freq, self.start, self.pts = freq, None, 0

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self.start is None:
            self.start = time.monotonic()
        else:
            self.pts += self.samples
            await asyncio.sleep(max(0.0, self.start + self.pts / self.rate - time.monotonic()))
        t = (np.arange(self.samples) + self.pts) / self.rate
        data = (8000 * np.sin(2 * np.pi * self.freq * t)).astype(np.int16).reshape(1, -1)
        frame = AudioFrame.from_ndarray(data, format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = self.rate, self.pts, fractions.Fraction(1, self.rate)
        return frame


# -- aiortc set-up for loopback -----------------------------------------------------------
def use_only_host(address):
    """aioice gathers host candidates on every interface except loopback; on a single
    machine (or in a network namespace) we want exactly `address`."""
    if address != "auto":
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address]


def fix_extmap_ids():
    """aiortc 1.4 as offerer gives abs-send-time (video) and ssrc-audio-level (audio) the
    same extmap id 2, but one BUNDLE transport has one id space: its packets would be
    misread. Move audio-level to a free id."""
    video_ids = {e.id for e in aiortc.codecs.HEADER_EXTENSIONS["video"]}
    for e in aiortc.codecs.HEADER_EXTENSIONS["audio"]:
        if e.uri == "urn:ietf:params:rtp-hdrext:ssrc-audio-level" and e.id in video_ids:
            e.id = next(i for i in range(1, 15) if i not in video_ids)


# -- the app server's HTTP API ------------------------------------------------------------
class SignallingError(Exception):
    pass


class AppApi:
    def __init__(self, base, room):
        self.base, self.room = base.rstrip("/"), urllib.parse.quote(room, safe="")
        self.peer = None

    def _call(self, method, path, body=None, timeout=15):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise SignallingError(f"{method} {path}: HTTP {e.code} {e.read()[:500].decode(errors='replace')}") from None
        except OSError as e:
            raise SignallingError(f"{method} {path}: {e}") from None

    async def post(self, action, body=None):
        """POST /rooms/ROOM/join, or /rooms/ROOM/peers/PEER/<action> once joined."""
        path = f"/rooms/{self.room}/join" if action == "join" else f"/rooms/{self.room}/peers/{self.peer}/{action}"
        return await asyncio.to_thread(self._call, "POST", path, body if body is not None else {})

    async def peers(self, since, wait):
        return await asyncio.to_thread(self._call, "GET", f"/rooms/{self.room}/peers?since={since}&wait={wait}",
                                       None, wait + 15)


# -- receiving ---------------------------------------------------------------------------
class TrackCounter:
    def __init__(self, consumer):
        self.info = {"peerId": consumer["peerId"], "producerId": consumer["producerId"],
                     "consumerId": consumer["consumerId"], "kind": consumer["kind"], "frames": 0}
        self.first = self.last = None
        self.samples = 0
        self.sample_rate = None
        self.size = None
        self.resumed = None  # when the consumer was resumed (the sfu starts sending)

    async def run(self, track):
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                self.first = self.first or now
                self.last = now
                self.info["frames"] += 1
                if track.kind == "video":
                    self.size = (frame.width, frame.height)
                else:
                    self.samples += frame.samples
                    self.sample_rate = frame.sample_rate
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def snapshot(self):
        out = dict(self.info)
        if self.first and self.resumed:
            out["firstFrameMs"] = round(1000 * (self.first - self.resumed))
        if out["kind"] == "video":
            out["width"], out["height"] = self.size or (None, None)
            span = (self.last - self.first) if self.first else 0
            out["fps"] = round((out["frames"] - 1) / span, 2) if span > 0 else 0.0
        else:
            out["samples"], out["sampleRate"] = self.samples, self.sample_rate
        return out


async def wait_connected(pcs, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {pc.connectionState for pc in pcs}
        if states == {"connected"}:
            return True
        if states & {"failed", "closed"}:
            return False
        await asyncio.sleep(0.05)
    return False


async def native_receive_capabilities(config):
    """What this aiortc can receive, the way mediasoup-client learns it: an offer for
    recvonly audio and video, parsed."""
    pc = RTCPeerConnection(config)
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    offer = await pc.createOffer()
    await pc.close()
    return sdp_bridge.parse(offer.sdp)


async def run(args, result):
    use_only_host(args.ice_host)
    fix_extmap_ids()
    api = AppApi(args.server, args.room)
    config = RTCConfiguration(iceServers=[])  # no STUN: host candidates only
    send_pc, recv_pc = RTCPeerConnection(config), RTCPeerConnection(config)
    counters, tasks = [], []
    t_start = time.monotonic()
    try:
        joined = await api.post("join", {"name": args.name})
        api.peer = result["peerId"] = joined["peerId"]
        caps, send_t, recv_t = joined["routerRtpCapabilities"], joined["sendTransport"], joined["recvTransport"]
        log(f"joined room {args.room} as {api.peer}")

        # 1. Publish: aiortc offers, the sfu's answer is written from the send transport.
        send_pc.addTransceiver(PatternTrack(args.width, args.height), direction="sendonly")
        send_pc.addTransceiver(ToneTrack(), direction="sendonly")
        await send_pc.setLocalDescription(await send_pc.createOffer())
        offer = sdp_bridge.parse(send_pc.localDescription.sdp)
        if args.verbose:
            log("send offer:\n" + send_pc.localDescription.sdp)
        # Our answer says a=setup:passive: the sfu is the DTLS server, aiortc the client.
        await api.post("connect", {"transportId": send_t["transportId"],
                                   "dtlsParameters": sdp_bridge.dtls_parameters(offer, role="client"),
                                   "iceParameters": sdp_bridge.ice_parameters(offer)})
        produced = {}
        for m in offer["media"]:
            params = sdp_bridge.producer_rtp_parameters(offer, m, caps)
            if params is None:
                raise SignallingError(f"the router supports none of the offered {m['kind']} codecs")
            r = await api.post("produce", {"kind": m["kind"], "rtpParameters": params})
            produced[params["mid"]] = params
            log(f"producing {m['kind']} as {r['producerId']} ({params['codecs'][0]['mimeType']})")
        answer = sdp_bridge.send_answer(offer, send_t, produced)
        if args.verbose:
            log("send answer:\n" + answer)
        await send_pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

        # 2. Wait (bounded) for the other peers' audio and video producers.
        deadline, version = time.monotonic() + args.wait_peer, -1
        while True:
            room = await api.peers(version, max(0.0, min(5.0, deadline - time.monotonic())))
            version = room["version"]
            ready = [p for p in room["peers"] if p["peerId"] != api.peer
                     and {x["kind"] for x in p["producers"]} >= {"audio", "video"}]
            if len(ready) >= args.peers:
                break
            if time.monotonic() >= deadline:
                log(f"only {len(ready)} of {args.peers} other peers publishing after {args.wait_peer} s")
                return 1

        # 3. Consume: the sfu's offer is written from the consumers (created paused).
        rtp_caps = sdp_bridge.rtp_capabilities(await native_receive_capabilities(config), caps)
        consumers = (await api.post("consume", {"rtpCapabilities": rtp_caps}))["consumers"]
        offer_sdp = sdp_bridge.recv_offer(recv_t, consumers)
        if args.verbose:
            log("recv offer:\n" + offer_sdp)
        await recv_pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        by_mid = {c["rtpParameters"]["mid"]: c for c in consumers}
        for transceiver in recv_pc.getTransceivers():
            counter = TrackCounter(by_mid[transceiver.mid])
            counters.append(counter)
            tasks.append(asyncio.ensure_future(counter.run(transceiver.receiver.track)))
        answer = await recv_pc.createAnswer()
        if args.verbose:
            log("recv answer:\n" + answer.sdp)
        parsed = sdp_bridge.parse(answer.sdp)
        # Connect before applying the answer, so the sfu knows aiortc's fingerprint (and
        # that it is the DTLS server: a=setup:active) before the ClientHello arrives.
        await api.post("connect", {"transportId": recv_t["transportId"],
                                   "dtlsParameters": sdp_bridge.dtls_parameters(parsed),
                                   "iceParameters": sdp_bridge.ice_parameters(parsed)})
        await recv_pc.setLocalDescription(answer)

        if not await wait_connected([send_pc, recv_pc], args.connect_timeout):
            log(f"not connected after {args.connect_timeout} s: send {send_pc.connectionState}, "
                f"recv {recv_pc.connectionState}")
            return 1
        result["connectMs"] = round(1000 * (time.monotonic() - t_start))
        for counter in counters:
            counter.resumed = time.monotonic()
        await api.post("resume", {"consumerIds": [c["consumerId"] for c in consumers]})
        log(f"connected, receiving {len(consumers)} tracks for {args.seconds} s")
        await asyncio.sleep(args.seconds)
        result["tracks"] = [c.snapshot() for c in counters]
        # Stay a little (still sending) so that peers that started later finish their
        # measurement before our producers close.
        await asyncio.sleep(args.linger)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if api.peer:
            try:
                await api.post("leave")
                result["left"] = True
            except SignallingError as e:
                log(f"leave failed: {e}")
        await send_pc.close()
        await recv_pc.close()
    tracks = result["tracks"]
    result["ok"] = bool(tracks) and all(
        t["frames"] > 0 and (t["kind"] == "video" or t["samples"] > 0) for t in tracks)
    return 0 if result["ok"] else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", default="http://127.0.0.1:8000", help="app_server.py's URL")
    p.add_argument("--room", default="demo")
    p.add_argument("--name", default="peer")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to count received media")
    p.add_argument("--peers", type=int, default=1, help="other publishing peers to wait for")
    p.add_argument("--wait-peer", type=float, default=30, help="at most this long to wait for them")
    p.add_argument("--linger", type=float, default=2, help="seconds to keep sending after counting")
    p.add_argument("--connect-timeout", type=float, default=15)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--ice-host", default="127.0.0.1", help="the one address to gather on ('auto': aioice's choice)")
    p.add_argument("--verbose", "-v", action="store_true", help="log the SDPs")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = {"room": args.room, "name": args.name, "peerId": None, "seconds": args.seconds, "tracks": [], "ok": False}
    try:
        code = asyncio.run(run(args, result))
    except SignallingError as e:
        log(f"signalling failed: {e}")
        result["error"] = str(e)
        code = 2
    print(json.dumps(result), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
