"""SDP <-> sfu parameters, the way mediasoup-client bridges a browser's SDP API to an
SFU that speaks ICE/DTLS/RTP parameters (docs/control-api.md) instead of SDP.

The sfu never sees SDP. The client's WebRTC stack (aiortc here) only speaks SDP. So:

Sending (one send transport, one m-line per track, the client is the offerer):
  1. the stack makes an offer; `parse()` it;
  2. `dtls_parameters()` / `ice_parameters()` give what `transport.connect` needs;
  3. `producer_rtp_parameters()` turns each m-line into `transport.produce`'s
     rtpParameters (mid, codecs with payload types, fmtp and rtcp-fb, header
     extensions, encodings with SSRC and RTX SSRC, RTCP CNAME), keeping only what the
     router supports;
  4. `send_answer()` writes the answer the sfu would have given: ICE-lite, the
     transport's ICE credentials, candidates and DTLS fingerprint, `a=setup:passive`
     (the sfu is the DTLS server, the client the DTLS client: `transport.connect`
     then gets role "client"), recvonly m-lines with the chosen codecs.

Receiving (one receive transport, the sfu side is the offerer):
  1. `rtp_capabilities()` intersects what the stack can receive (from an offer it
     makes for recvonly audio and video) with the router's capabilities: that is the
     `rtpCapabilities` for `transport.consume`;
  2. `recv_offer()` writes an offer from the consumers' rtpParameters: one sendonly
     m-line per consumer, with its payload types, SSRCs (`a=ssrc` with cname and msid,
     `a=ssrc-group:FID` for RTX) and header extension ids;
  3. the stack answers; `dtls_parameters()` of the answer (its `a=setup:active` means
     it is the DTLS client: role "client") goes to `transport.connect`.

Only the standard library; nothing here is specific to aiortc.
"""
import random

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
# RTCP feedback the sfu acts on (control-api.md, router.getRtpCapabilities); the others
# it lists (goog-remb, transport-cc) would make the client wait for reports that never come.
USED_FEEDBACK = {("nack", ""), ("nack", "pli"), ("ccm", "fir")}


# -- parsing --------------------------------------------------------------------------
def parse(sdp):
    """Splits an SDP into its session part and m-sections.

    Returns {"attributes": [(name, value)], "media": [m, ...]} where each m is
    {"kind", "port", "protocol", "payloadTypes": [int], "attributes": [(name, value)]}.
    Attribute values are the text after the colon ("" for flags such as a=rtcp-mux)."""
    session = {"attributes": [], "media": []}
    current = session
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if line.startswith("m="):
            kind, port, protocol, *fmts = line[2:].split()
            current = {"kind": kind, "port": int(port), "protocol": protocol,
                       "payloadTypes": [int(f) for f in fmts if f.isdigit()], "attributes": []}
            session["media"].append(current)
        elif line.startswith("a="):
            name, _, value = line[2:].partition(":")
            current["attributes"].append((name, value))
    return session


def _attrs(section, name):
    return [v for n, v in section["attributes"] if n == name]


def _attr(section, name, default=None):
    values = _attrs(section, name)
    return values[0] if values else default


def _session_or_media(session, m, name):
    """An attribute of the m-section, else of the session (ICE and DTLS may be either)."""
    return _attr(m, name) or _attr(session, name)


def ice_parameters(session):
    """`{"usernameFragment", "password"}` of the first m-section (BUNDLE: one transport)."""
    m = session["media"][0]
    return {"usernameFragment": _session_or_media(session, m, "ice-ufrag"),
            "password": _session_or_media(session, m, "ice-pwd")}


def dtls_parameters(session, role=None):
    """The DTLS parameters for `transport.connect`: the fingerprints (as in SDP,
    "sha-256 AB:CD:...") and the role, read from a=setup unless given:
    active -> "client", passive -> "server", actpass -> "auto"."""
    m = session["media"][0]
    fingerprints = []
    for value in _attrs(m, "fingerprint") or _attrs(session, "fingerprint"):
        algorithm, fp = value.split()
        fingerprints.append({"algorithm": algorithm.lower(), "value": fp.upper()})
    if role is None:
        setup = _session_or_media(session, m, "setup") or "actpass"
        role = {"active": "client", "passive": "server"}.get(setup, "auto")
    return {"role": role, "fingerprints": fingerprints}


def _fmtp(value):
    """"minptime=10;useinbandfec=1" -> {"minptime": 10, "useinbandfec": 1}: digits as
    integers, as the sfu writes them, except profile-level-id, which is hex."""
    params = {}
    for item in value.split(";"):
        key, eq, val = item.strip().partition("=")
        if key and eq:
            params[key] = int(val) if val.isdigit() and key != "profile-level-id" else val
    return params


def _codecs(m):
    """The m-section's codecs in m-line order: mimeType, payloadType, clockRate,
    channels (audio), parameters (a=fmtp), rtcpFeedback (a=rtcp-fb)."""
    by_pt = {}
    for value in _attrs(m, "rtpmap"):
        pt, desc = value.split(" ", 1)
        name, clock, *channels = desc.split("/")
        codec = {"mimeType": f"{m['kind']}/{name}", "payloadType": int(pt), "clockRate": int(clock),
                 "parameters": {}, "rtcpFeedback": []}
        if m["kind"] == "audio":
            codec["channels"] = int(channels[0]) if channels else 1
        by_pt[int(pt)] = codec
    for value in _attrs(m, "fmtp"):
        pt, params = value.split(" ", 1)
        if int(pt) in by_pt:
            by_pt[int(pt)]["parameters"] = _fmtp(params)
    for value in _attrs(m, "rtcp-fb"):
        pt, fb_type, *param = value.split(" ", 2)
        for codec in (by_pt.values() if pt == "*" else [by_pt.get(int(pt))]):
            if codec:
                codec["rtcpFeedback"].append({"type": fb_type, "parameter": param[0] if param else ""})
    return [by_pt[pt] for pt in m["payloadTypes"] if pt in by_pt]


def _header_extensions(m):
    out = []
    for value in _attrs(m, "extmap"):
        ext_id, uri = value.split()[:2]
        out.append({"uri": uri, "id": int(ext_id.split("/")[0])})
    return out


def _is_rtx(codec):
    return codec["mimeType"].lower().endswith("/rtx")


def _same_codec(a, b):
    """The sfu's matching rule (control-api.md, Producers and consumers): same MIME type
    and clock rate, same channels for audio, for H264 the same packetization-mode and
    profile (the first 4 hex digits of profile-level-id; levels may differ), for VP9
    the same profile-id."""
    if a["mimeType"].lower() != b["mimeType"].lower() or a["clockRate"] != b["clockRate"]:
        return False
    if a["mimeType"].lower().startswith("audio/") and (a.get("channels") or 1) != (b.get("channels") or 1):
        return False
    pa, pb = a.get("parameters") or {}, b.get("parameters") or {}
    mime = a["mimeType"].lower()
    if mime == "video/h264":
        if int(pa.get("packetization-mode", 0)) != int(pb.get("packetization-mode", 0)):
            return False
        return str(pa.get("profile-level-id", "42000a"))[:4].lower() == str(pb.get("profile-level-id", "42000a"))[:4].lower()
    if mime == "video/vp9":
        return int(pa.get("profile-id", 0)) == int(pb.get("profile-id", 0))
    return True


def _router_codec(router_caps, codec):
    return next((c for c in router_caps["codecs"] if not _is_rtx(c) and _same_codec(c, codec)), None)


def _feedback(fb):
    return (fb["type"], fb.get("parameter") or "")


# -- sending --------------------------------------------------------------------------
def producer_rtp_parameters(session, m, router_caps):
    """`transport.produce` rtpParameters for one m-section of the client's offer.

    Codecs: the first of the offer's codecs the router supports (the one the client
    will send, since the answer lists only it), then its RTX if offered; feedback
    kept where both sides have it and the sfu acts on it. Header extensions: the
    offer's ids for the URIs the router knows for this kind. Encodings: the media
    SSRC and the RTX SSRC of a=ssrc-group:FID (or the first a=ssrc). Returns None if
    no codec fits."""
    offered = _codecs(m)
    media = next((c for c in offered if not _is_rtx(c) and _router_codec(router_caps, c)), None)
    if media is None:
        return None
    router_codec = _router_codec(router_caps, media)
    router_fb = {_feedback(f) for f in router_codec.get("rtcpFeedback", [])}
    media = dict(media, rtcpFeedback=[f for f in media["rtcpFeedback"]
                                      if _feedback(f) in router_fb and _feedback(f) in USED_FEEDBACK])
    codecs = [media]
    rtx = next((c for c in offered if _is_rtx(c) and int(c["parameters"].get("apt", -1)) == media["payloadType"]), None)
    known_uris = {h["uri"] for h in router_caps["headerExtensions"] if h.get("kind", m["kind"]) == m["kind"]}
    header_extensions = [h for h in _header_extensions(m) if h["uri"] in known_uris]
    ssrcs = [int(v.split()[0]) for v in _attrs(m, "ssrc")]
    fid = next((v.split()[1:] for v in _attrs(m, "ssrc-group") if v.startswith("FID ")), None)
    if not ssrcs and not _attr(m, "mid"):
        return None
    encoding = {"ssrc": int(fid[0]) if fid else ssrcs[0]} if ssrcs else {}
    if rtx and fid and len(fid) > 1:
        codecs.append({"mimeType": rtx["mimeType"], "payloadType": rtx["payloadType"],
                       "clockRate": rtx["clockRate"], "parameters": {"apt": media["payloadType"]},
                       "rtcpFeedback": []})
        encoding["rtx"] = {"ssrc": int(fid[1])}
    cname = next((v.split(" ", 1)[1][len("cname:"):] for v in _attrs(m, "ssrc")
                  if v.split(" ", 1)[1].startswith("cname:")), "")
    return {"mid": _attr(m, "mid"), "codecs": codecs, "headerExtensions": header_extensions,
            "encodings": [encoding], "rtcp": {"cname": cname, "reducedSize": True}}


def _transport_lines(transport, setup):
    """ICE credentials, candidates (UDP only: aiortc has no ICE-TCP) and DTLS lines of
    the sfu's transport, as one m-section carries them."""
    ice, dtls = transport["iceParameters"], transport["dtlsParameters"]
    lines = [f"a=ice-ufrag:{ice['usernameFragment']}", f"a=ice-pwd:{ice['password']}"]
    lines += [f"a=fingerprint:{fp['algorithm']} {fp['value']}" for fp in dtls["fingerprints"]]
    lines.append(f"a=setup:{setup}")
    for c in transport["iceCandidates"]:
        if c["protocol"] == "udp":
            lines.append(f"a=candidate:{c['foundation']} 1 udp {c['priority']} {c['ip']} {c['port']} typ host")
    lines.append("a=end-of-candidates")
    return lines


def _codec_lines(codecs):
    lines = []
    for c in codecs:
        name = c["mimeType"].split("/", 1)[1]
        channels = f"/{c['channels']}" if (c.get("channels") or 1) > 1 else ""
        lines.append(f"a=rtpmap:{c['payloadType']} {name}/{c['clockRate']}{channels}")
        for fb in c.get("rtcpFeedback") or []:
            lines.append(f"a=rtcp-fb:{c['payloadType']} {fb['type']}" + (f" {fb['parameter']}" if fb.get("parameter") else ""))
        if c.get("parameters"):
            lines.append(f"a=fmtp:{c['payloadType']} " + ";".join(f"{k}={v}" for k, v in c["parameters"].items()))
    return lines


def _session_lines(mids, session_id, version):
    return ["v=0", f"o=- {session_id} {version} IN IP4 127.0.0.1", "s=-", "t=0 0", "a=ice-lite",
            "a=group:BUNDLE " + " ".join(mids), "a=msid-semantic:WMS *"]


def send_answer(offer, transport, produced):
    """The answer to the client's send offer, as the sfu would write it.

    `offer` is parse() of the offer; `transport` the send transport from
    `router.createWebRtcTransport`; `produced` maps a MID to the rtpParameters given to
    `transport.produce` (an m-section without one is rejected with port 0)."""
    mids = [_attr(m, "mid") for m in offer["media"]]
    lines = _session_lines([mid for mid in mids if mid in produced], random.randint(1, 2**62), 1)
    for m, mid in zip(offer["media"], mids):
        params = produced.get(mid)
        if params is None:  # not produced: rejected m-section, same kind and MID
            lines += [f"m={m['kind']} 0 {m['protocol']} {' '.join(map(str, m['payloadTypes'][:1] or [0]))}",
                      "c=IN IP4 0.0.0.0", f"a=mid:{mid}", "a=inactive"]
            continue
        lines += [f"m={m['kind']} 7 UDP/TLS/RTP/SAVPF " + " ".join(str(c["payloadType"]) for c in params["codecs"]),
                  "c=IN IP4 127.0.0.1", f"a=mid:{mid}", "a=recvonly", "a=rtcp-mux", "a=rtcp-rsize"]
        lines += _transport_lines(transport, "passive")
        lines += [f"a=extmap:{h['id']} {h['uri']}" for h in params["headerExtensions"]]
        lines += _codec_lines(params["codecs"])
    return "\r\n".join(lines) + "\r\n"


# -- receiving ------------------------------------------------------------------------
def rtp_capabilities(native, router_caps):
    """What the client can receive, in the router's terms (`transport.consume`'s
    rtpCapabilities): each router codec the client's stack also has (`native` is parse()
    of an offer the stack made for recvonly audio and video), with the router's payload
    type and parameters and the feedback both have; its RTX when the stack has RTX;
    the router's header extensions whose URI the stack lists for that kind."""
    native_codecs = {m["kind"]: _codecs(m) for m in native["media"]}
    native_uris = {(m["kind"], h["uri"]) for m in native["media"] for h in _header_extensions(m)}
    codecs = []
    for rc in router_caps["codecs"]:
        if _is_rtx(rc):
            continue
        kind = rc.get("kind") or rc["mimeType"].split("/")[0]
        nc = next((c for c in native_codecs.get(kind, []) if not _is_rtx(c) and _same_codec(rc, c)), None)
        if nc is None:
            continue
        native_fb = {_feedback(f) for f in nc["rtcpFeedback"]}
        codecs.append(dict(rc, rtcpFeedback=[f for f in rc.get("rtcpFeedback", []) if _feedback(f) in native_fb]))
        has_rtx = any(_is_rtx(c) and int(c["parameters"].get("apt", -1)) == nc["payloadType"]
                      for c in native_codecs[kind])
        router_rtx = next((c for c in router_caps["codecs"] if _is_rtx(c)
                           and int(c["parameters"].get("apt", -1)) == rc["preferredPayloadType"]), None)
        if has_rtx and router_rtx:
            codecs.append(router_rtx)
    extensions = [h for h in router_caps["headerExtensions"] if (h["kind"], h["uri"]) in native_uris]
    return {"codecs": codecs, "headerExtensions": extensions}


def recv_offer(transport, consumers, version=1, session_id=None):
    """The offer for the client's receive side, written from the consumers.

    `transport` is the receive transport from `router.createWebRtcTransport`;
    `consumers` a list of {"consumerId", "producerId", "peerId", "kind",
    "rtpParameters"} (rtpParameters as `transport.consume` returns them). One sendonly
    m-line per consumer, in the list's order, with MID = rtpParameters.mid, its codecs
    and header extension ids, a=msid "<peerId> <producerId>" (so the client's track id
    is the producer id) and its SSRCs: the media SSRC first, then the RTX SSRC with
    a=ssrc-group:FID. Make a new offer (version + 1) with every consumer, old and new,
    to add tracks later."""
    session_id = session_id or random.randint(1, 2**62)
    mids = [c["rtpParameters"]["mid"] for c in consumers]
    lines = _session_lines(mids, session_id, version)
    for c in consumers:
        rtp = c["rtpParameters"]
        stream, track = c.get("peerId", "sfu"), c["producerId"]
        cname = (rtp.get("rtcp") or {}).get("cname") or "sfu"
        lines += [f"m={c['kind']} 7 UDP/TLS/RTP/SAVPF " + " ".join(str(x["payloadType"]) for x in rtp["codecs"]),
                  "c=IN IP4 127.0.0.1", f"a=mid:{rtp['mid']}", "a=sendonly", "a=rtcp-mux", "a=rtcp-rsize"]
        lines += _transport_lines(transport, "actpass")
        lines += [f"a=extmap:{h['id']} {h['uri']}" for h in rtp["headerExtensions"]]
        lines += _codec_lines(rtp["codecs"])
        lines.append(f"a=msid:{stream} {track}")
        encoding = rtp["encodings"][0]
        ssrcs = [encoding["ssrc"]]
        if encoding.get("rtx"):
            ssrcs.append(encoding["rtx"]["ssrc"])
            lines.append(f"a=ssrc-group:FID {ssrcs[0]} {ssrcs[1]}")
        for ssrc in ssrcs:
            lines += [f"a=ssrc:{ssrc} cname:{cname}", f"a=ssrc:{ssrc} msid:{stream} {track}"]
    return "\r\n".join(lines) + "\r\n"
