// Group-call demo for the sfu: publish the camera and microphone with WHIP, follow the
// room's publishers over Server-Sent Events (/rooms/{room}/events) and play each of them
// with WHEP. No build step, no dependencies. Test hook: window.sfuDemo (at the end).
"use strict";

const params = new URLSearchParams(location.search);
const TOKEN = params.get("token") || ""; // bearer token for /whip/ and /whep/ requests
const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/;
const MEDIA = { audio: true, video: { width: 320, height: 240, frameRate: 30 } };
const SIMULCAST = [
  { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150000 },
  { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500000 },
  { rid: "f", maxBitrate: 1200000 },
];
const ICE_GATHER_MS = 2000; // non-trickle: wait this long at most for all candidates

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("join-form"), room: $("room"), name: $("name"), join: $("join"),
  status: $("status"), controls: $("controls"), call: $("call"), grid: $("grid"),
  mic: $("mic"), cam: $("cam"), sound: $("sound"), leave: $("leave"),
  errorsBox: $("errors-box"), errors: $("errors"),
};

const errors = []; // every failure, as text (also listed on the page)
let session = null; // the call in progress, see join()

// ---------- helpers ----------

function reportError(context, err) {
  const text = err === undefined ? context : `${context}: ${(err && err.message) || err}`;
  errors.push(text);
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  ui.errors.append(li);
  while (ui.errors.childElementCount > 20) ui.errors.firstElementChild.remove();
  ui.errorsBox.hidden = false;
}

class HttpError extends Error {
  constructor(method, url, status, body) {
    const reason = (body || "").trim().slice(0, 200);
    super(`${method} ${new URL(url, location.href).pathname} -> HTTP ${status}${reason ? " " + reason : ""}`);
    this.status = status;
  }
}

const enc = encodeURIComponent;
const authHeaders = (extra = {}) => (TOKEN ? { ...extra, Authorization: `Bearer ${TOKEN}` } : extra);
const lastSegment = (url) => decodeURIComponent(new URL(url, location.href).pathname.split("/").filter(Boolean).pop() || "");

// Non-trickle signalling: resolves once ICE gathering is complete, or after `ms`.
function iceGathered(pc, ms = ICE_GATHER_MS) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    const timer = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

// POSTs an SDP offer (WHIP or WHEP); returns the answer and the session resource (absolute URL).
async function postOffer(path, sdp) {
  const resp = await fetch(path, { method: "POST", headers: authHeaders({ "Content-Type": "application/sdp" }), body: sdp });
  const body = await resp.text();
  if (!resp.ok) throw new HttpError("POST", path, resp.status, body);
  const location_ = resp.headers.get("Location");
  if (!location_) throw new Error(`POST ${path}: the answer has no Location header`);
  return { answer: body, resource: new URL(location_, resp.url || location.href).href };
}

// Ends a WHIP or WHEP session. 404 is fine: the server may have ended it already.
async function deleteResource(url, keepalive = false) {
  try {
    const resp = await fetch(url, { method: "DELETE", headers: authHeaders(), keepalive });
    if (!resp.ok && resp.status !== 404) throw new HttpError("DELETE", url, resp.status, await resp.text());
  } catch (e) {
    if (!keepalive) reportError("Could not end a session", e);
  }
}

async function roomPublishers(room) {
  const resp = await fetch(`/rooms/${enc(room)}`);
  if (!resp.ok) throw new HttpError("GET", `/rooms/${room}`, resp.status, await resp.text());
  const listing = await resp.json();
  return Array.isArray(listing.publishers) ? listing.publishers : [];
}

// Plays a <video>; when the browser refuses sound without a user gesture, plays it muted
// and offers the "Enable sound" button.
function play(video) {
  video.play().catch((e) => {
    if (e.name !== "NotAllowedError" || video.muted) return; // AbortError: a newer load replaced it
    video.muted = true;
    video.play().catch(() => {});
    ui.sound.hidden = false;
  });
}

async function getMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error("camera and microphone need a secure page (https or localhost)");
  }
  try {
    return await navigator.mediaDevices.getUserMedia(MEDIA);
  } catch (e) {
    if (e.name === "NotAllowedError") throw e;
    // No microphone, or no camera: publish what there is.
    for (const [kind, constraints] of [["video", { video: MEDIA.video }], ["audio", { audio: true }]]) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        reportError(`${kind === "video" ? "Microphone" : "Camera"} unavailable, sending ${kind} only`, e);
        return stream;
      } catch { /* try the other kind */ }
    }
    throw e;
  }
}

// ---------- tiles ----------

function makeBadge(icon, label) {
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.setAttribute("role", "img");
  badge.setAttribute("aria-label", label);
  badge.hidden = true;
  badge.innerHTML = `<svg class="icon" aria-hidden="true"><use href="#icon-${icon}"/></svg>`;
  return badge;
}

function makeTile(id, name, local) {
  const el = document.createElement("figure");
  el.className = local ? "tile local" : "tile";
  const video = document.createElement("video");
  video.playsInline = true;
  video.muted = local; // own preview: never play our own microphone
  const avatar = document.createElement("div");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  const stats = document.createElement("pre");
  stats.className = "stats";
  stats.setAttribute("aria-label", "Connection statistics");
  const state = document.createElement("div");
  state.className = "state";
  state.hidden = true;
  const caption = document.createElement("figcaption");
  const nameEl = document.createElement("span");
  nameEl.className = "name";
  const mic = makeBadge("mic-off", "microphone muted");
  const cam = makeBadge("cam-off", "camera off");
  caption.append(nameEl, mic, cam);
  el.append(video, avatar, stats, state, caption);
  const tile = { el, video, avatar, stats, state, nameEl, mic, cam, prev: null };
  setTileId(tile, id);
  setTileName(tile, name, local);
  return tile;
}

function setTileId(tile, id) {
  if (id) tile.el.dataset.id = id;
}

function setTileName(tile, name, local) {
  tile.nameEl.textContent = local ? `${name} (you)` : name;
  tile.el.setAttribute("aria-label", local ? `${name} (you)` : name);
  tile.avatar.textContent = (Array.from(name.trim())[0] || "?").toUpperCase();
}

function renderMute(tile, muted, hasVideo = true) {
  tile.mic.hidden = !muted.audio;
  tile.cam.hidden = !muted.video;
  tile.el.classList.toggle("video-off", muted.video || !hasVideo);
}

// A message over the tile ("Connecting…"), with an optional button; "" hides it.
function setTileState(tile, text, action, actionLabel = "Retry") {
  if (!tile) return;
  tile.state.replaceChildren();
  tile.state.hidden = !text;
  if (!text) return;
  const p = document.createElement("p");
  p.textContent = text;
  tile.state.append(p);
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = actionLabel;
    button.addEventListener("click", action);
    tile.state.append(button);
  }
}

// ---------- joining, publishing, leaving ----------

async function join(room, name) {
  if (session) return;
  const c = {
    room, name, joined: false, closed: false,
    stream: null, pc: null, resource: null, publisherId: null, localTile: null,
    muted: { audio: false, video: false }, patches: Promise.resolve(),
    remotes: new Map(), // publisher id -> remote participant, in tile order
    events: null, eventsState: "connecting", eventsFailures: 0, eventsTimer: 0,
    statsTimer: 0, statsBusy: false,
  };
  session = c;
  showCall(c);
  try {
    let stream = null;
    try {
      stream = await getMedia();
    } catch (e) {
      if (!c.closed) reportError("No camera or microphone, joining to watch only", e);
    }
    if (c.closed) {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      return;
    }
    if (stream) {
      c.stream = stream;
      c.localTile = makeTile(null, name, true);
      renderMute(c.localTile, c.muted, stream.getVideoTracks().length > 0);
      c.localTile.video.srcObject = stream;
      ui.grid.prepend(c.localTile.el);
      play(c.localTile.video);
      renderControls(c);
      await publish(c);
      if (c.closed) return;
      setTileId(c.localTile, c.publisherId);
      for (const kind of ["audio", "video"]) if (c.muted[kind]) sendMute(c, kind, true);
    }
    c.joined = true;
    const query = new URLSearchParams({ room, name });
    if (TOKEN) query.set("token", TOKEN);
    history.replaceState(null, "", `${location.pathname}?${query}`);
    connectEvents(c);
    c.statsTimer = setInterval(() => refreshStats(c), 1000);
    renderStatus(c);
  } catch (e) {
    if (c.closed) return;
    reportError(`Could not join room ${room}`, e);
    const done = teardown(c);
    showForm();
    await done;
  }
}

function addVideoTransceiver(pc, track, stream) {
  const init = { direction: "sendonly", streams: [stream] };
  // Three layers only when there is room for them: at 320x240 one encoding.
  if ((track.getSettings().width || 0) >= 640) {
    try {
      return pc.addTransceiver(track, { ...init, sendEncodings: SIMULCAST });
    } catch { /* no simulcast in this browser: one encoding */ }
  }
  return pc.addTransceiver(track, init);
}

async function publish(c) {
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  c.pc = pc;
  const [audio] = c.stream.getAudioTracks();
  const [video] = c.stream.getVideoTracks();
  if (audio) pc.addTransceiver(audio, { direction: "sendonly", streams: [c.stream] });
  if (video) addVideoTransceiver(pc, video, c.stream);
  pc.addEventListener("connectionstatechange", () => {
    if (c.closed || c.pc !== pc) return;
    if (pc.connectionState === "connected") setTileState(c.localTile, "");
    else if (pc.connectionState === "disconnected") setTileState(c.localTile, "Connection interrupted…");
    else if (pc.connectionState === "failed") {
      setTileState(c.localTile, "Not connected: the others cannot see you");
      reportError("Publishing failed: no connection to the server");
    }
  });
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  if (c.closed) return;
  const { answer, resource } = await postOffer(`/whip/${enc(c.room)}?name=${enc(c.name)}`, pc.localDescription.sdp);
  if (c.closed) {
    deleteResource(resource);
    return;
  }
  c.resource = resource;
  c.publisherId = lastSegment(resource);
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
}

// Ends call `c`: the page forgets it at once; resolves once the server has been told.
function teardown(c, keepalive = false) {
  c.closed = true;
  c.joined = false;
  if (session === c) session = null;
  clearInterval(c.statsTimer);
  clearTimeout(c.eventsTimer);
  if (c.events) c.events.close();
  c.events = null;
  const sessions = [];
  for (const r of c.remotes.values()) {
    sessions.push([r.pc, r.resource]);
    r.pc = null;
    r.resource = null;
    r.tile.el.remove();
  }
  c.remotes.clear();
  sessions.push([c.pc, c.resource]);
  if (c.stream) c.stream.getTracks().forEach((t) => t.stop());
  if (c.localTile) c.localTile.el.remove();
  return Promise.all(sessions.map(([pc, url]) => endSession(pc, url, { keepalive })));
}

// A connection's DTLS transport (one for all, with max-bundle).
const dtlsOf = (pc) => (pc ? pc.getTransceivers().map((t) => t.sender.transport).find(Boolean) : null);

// Resolves once the server has closed the connection's DTLS (close_notify), or after `ms`.
function serverClosed(pc, ms) {
  const transport = dtlsOf(pc);
  if (!transport || transport.state === "closed") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      transport.removeEventListener("statechange", check);
      resolve();
    };
    const check = () => { if (transport.state === "closed") done(); };
    const timer = setTimeout(done, ms);
    transport.addEventListener("statechange", check);
  });
}

// DELETEs a session's resource, then closes its connection. Not the other way round: the
// server ends a session whose DTLS closes, and the DELETE would then get 404. Nor when the
// server has closed the DTLS already: it ended the session itself (as it does for the
// players of a publisher that leaves, before telling the room; `grace` ms wait for that).
async function endSession(pc, url, { keepalive = false, grace = 0 } = {}) {
  if (url && grace) await serverClosed(pc, grace);
  const transport = dtlsOf(pc);
  if (transport && transport.state === "closed") url = null;
  if (url && !keepalive) await Promise.race([deleteResource(url), new Promise((r) => setTimeout(r, 3000))]);
  else if (url) deleteResource(url, true); // the page is going: no time to wait
  if (pc) pc.close();
}

async function leave() {
  const c = session;
  if (!c) return;
  const done = teardown(c);
  showForm(true);
  await done;
}

// ---------- mute ----------

function toggleMute(kind) {
  const c = session;
  if (!c || !c.stream) return;
  const tracks = kind === "audio" ? c.stream.getAudioTracks() : c.stream.getVideoTracks();
  if (!tracks.length) return;
  const muted = !c.muted[kind];
  c.muted[kind] = muted;
  for (const t of tracks) t.enabled = !muted;
  renderMute(c.localTile, c.muted, c.stream.getVideoTracks().length > 0);
  renderControls(c);
  if (c.resource) sendMute(c, kind, muted);
}

// Tells the server (PATCH, JSON); queued so that the server sees the toggles in order.
function sendMute(c, kind, muted) {
  c.patches = c.patches.then(async () => {
    if (c.closed || !c.resource) return;
    try {
      const resp = await fetch(c.resource, {
        method: "PATCH",
        headers: authHeaders({ "Content-Type": "application/json" }),
        body: JSON.stringify({ kind, muted }),
      });
      if (!resp.ok) throw new HttpError("PATCH", c.resource, resp.status, await resp.text());
    } catch (e) {
      if (!c.closed) reportError(`Could not tell the room your ${kind === "audio" ? "microphone" : "camera"} is ${muted ? "off" : "on"}`, e);
    }
  });
}

// ---------- room events ----------

function connectEvents(c) {
  if (c.closed) return;
  const es = new EventSource(`/rooms/${enc(c.room)}/events`);
  c.events = es;
  const on = (type, handler) => es.addEventListener(type, (ev) => {
    if (c.events !== es) return;
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch (e) {
      reportError(`Malformed "${type}" room event`, e);
      return;
    }
    handler(data || {});
  });
  on("snapshot", (d) => applySnapshot(c, d.publishers));
  on("join", (d) => upsertRemote(c, d.publisher));
  on("leave", (d) => onLeave(c, d.id));
  on("mute", (d) => onMute(c, d));
  es.addEventListener("open", () => {
    if (c.events !== es) return;
    c.eventsState = "open";
    c.eventsFailures = 0;
    renderStatus(c);
  });
  es.addEventListener("error", () => {
    if (c.events !== es) return;
    if (es.readyState === EventSource.CONNECTING) { // the browser reconnects by itself
      c.eventsState = "reconnecting";
      renderStatus(c);
      return;
    }
    // Closed for good (an HTTP error): look at the room once, then try again later.
    es.close();
    c.events = null;
    c.eventsState = "retrying";
    renderStatus(c);
    if (c.eventsFailures++ === 0) reportError(`Room events (/rooms/${c.room}/events) unavailable, retrying`);
    roomPublishers(c.room).then((list) => { if (!c.closed) applySnapshot(c, list); }).catch(() => {});
    c.eventsTimer = setTimeout(() => connectEvents(c), Math.min(30000, 1000 * 2 ** c.eventsFailures));
  });
}

function applySnapshot(c, publishers) {
  const present = new Set();
  for (const p of Array.isArray(publishers) ? publishers : []) {
    if (!p || !p.id) continue;
    present.add(p.id);
    upsertRemote(c, p);
  }
  for (const id of [...c.remotes.keys()]) if (!present.has(id)) removeRemote(c, id);
}

const mutedOf = (tracks) => ({
  audio: tracks.some((t) => t.kind === "audio" && t.paused),
  video: tracks.some((t) => t.kind === "video" && t.paused),
});

// A publisher seen in a snapshot or a join event: a tile, and playback once it has tracks.
function upsertRemote(c, p) {
  if (c.closed || !p || !p.id || p.id === c.publisherId) return;
  let r = c.remotes.get(p.id);
  if (!r) {
    r = { id: p.id, name: "", tracks: [], muted: { audio: false, video: false }, pc: null, resource: null, tile: null };
    r.tile = makeTile(p.id, "", false);
    c.remotes.set(p.id, r);
    ui.grid.append(r.tile.el);
    renderStatus(c);
  }
  r.name = typeof p.name === "string" ? p.name : "";
  r.tracks = Array.isArray(p.tracks) ? p.tracks : [];
  r.muted = mutedOf(r.tracks);
  setTileName(r.tile, r.name || "Anonymous", false);
  renderMute(r.tile, r.muted, r.tracks.some((t) => t.kind === "video"));
  if (!r.tracks.length) setTileState(r.tile, "Waiting for media…");
  else if (!r.pc) subscribe(c, r);
}

function onLeave(c, id) {
  if (id && id === c.publisherId) {
    reportError("The server ended your publishing session");
    setTileState(c.localTile, "Not publishing any more");
    return;
  }
  removeRemote(c, id);
}

function onMute(c, { id, kind, muted }) {
  if (kind !== "audio" && kind !== "video") return;
  const r = c.remotes.get(id);
  if (!r) return; // ourselves (our own state is local), or not known yet
  r.muted[kind] = !!muted;
  for (const t of r.tracks) if (t.kind === kind) t.paused = !!muted;
  renderMute(r.tile, r.muted, r.tracks.some((t) => t.kind === "video"));
}

function removeRemote(c, id) {
  const r = c.remotes.get(id);
  if (!r) return;
  c.remotes.delete(id);
  endSession(r.pc, r.resource, { grace: 1000 });
  r.pc = null;
  r.resource = null;
  r.tile.el.remove();
  renderStatus(c);
}

// ---------- playback (WHEP) ----------

async function subscribe(c, r) {
  if (c.closed || r.pc || c.remotes.get(r.id) !== r) return;
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  r.pc = pc;
  r.resource = null;
  r.tile.prev = null;
  setTileState(r.tile, "Connecting…");
  const stream = new MediaStream();
  pc.addEventListener("track", (e) => stream.addTrack(e.track));
  pc.addEventListener("connectionstatechange", () => {
    if (r.pc !== pc) return;
    const state = pc.connectionState;
    if (state === "connected") setTileState(r.tile, "");
    else if (state === "disconnected") setTileState(r.tile, "Connection interrupted…");
    else if (state === "failed") {
      unsubscribe(r);
      reportError(`Lost the connection playing ${r.name || r.id}`);
      setTileState(r.tile, "Connection lost", () => subscribe(c, r));
    }
  });
  try {
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    if (r.pc !== pc) return; // left, or the call ended, meanwhile
    const { answer, resource } = await postOffer(`/whep/${enc(c.room)}/${enc(r.id)}`, pc.localDescription.sdp);
    if (r.pc !== pc) {
      deleteResource(resource);
      return;
    }
    r.resource = resource;
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    // The track events came while the answer was applied: play both tracks together.
    r.tile.video.srcObject = stream;
    play(r.tile.video);
  } catch (e) {
    if (r.pc !== pc) return; // torn down on purpose: nothing to report
    unsubscribe(r);
    // 404: most likely the publisher has just left (its leave event is on the way).
    if (e.status === 404) {
      const gone = await roomPublishers(c.room).then((list) => !list.some((p) => p.id === r.id), () => false);
      if (gone) {
        removeRemote(c, r.id);
        return;
      }
    }
    if (c.closed || c.remotes.get(r.id) !== r) return;
    reportError(`Could not play ${r.name || r.id}`, e);
    setTileState(r.tile, "Could not play this participant", () => subscribe(c, r));
  }
}

function unsubscribe(r) {
  endSession(r.pc, r.resource);
  r.pc = null;
  r.resource = null;
  r.tile.video.srcObject = null;
}

// ---------- statistics ----------

function scanStats(report) {
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  const out = { inbound: {}, outbound: [], remoteInbound: [], rtt: null, byId };
  let pair = null;
  for (const s of byId.values()) {
    const kind = s.kind || s.mediaType;
    if (s.type === "inbound-rtp") {
      const best = out.inbound[kind];
      if (!best || (s.bytesReceived || 0) > (best.bytesReceived || 0)) out.inbound[kind] = s;
    } else if (s.type === "outbound-rtp" && kind === "video") {
      out.outbound.push(s);
    } else if (s.type === "remote-inbound-rtp") {
      out.remoteInbound.push(s);
    } else if (s.type === "transport" && s.selectedCandidatePairId) {
      pair = byId.get(s.selectedCandidatePairId) || pair;
    }
  }
  if (!pair) {
    for (const s of byId.values()) {
      if (s.type === "candidate-pair" && (s.selected || (s.nominated && s.state === "succeeded"))) pair = s;
    }
  }
  if (pair && typeof pair.currentRoundTripTime === "number") out.rtt = pair.currentRoundTripTime;
  return out;
}

const fmtRate = (bps) => (bps == null ? "–" : bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbps` : `${Math.round(bps / 1e3)} kbps`);
const fmtMs = (seconds) => (seconds == null ? "–" : `${Math.round(seconds * 1000)} ms`);
const fmtFps = (fps) => (fps == null ? "" : ` ${Math.round(fps)} fps`);
const fmtRes = (s) => (s && s.frameWidth ? `${s.frameWidth}×${s.frameHeight}` : "–");
const fmtLoss = (lost, received) => {
  lost = Math.max(0, lost || 0);
  const total = lost + Math.max(0, received || 0);
  return `${total > 0 ? ((100 * lost) / total).toFixed(1) : "0.0"}%`;
};
const codecName = (scan, s) => {
  const codec = s && scan.byId.get(s.codecId);
  return codec && codec.mimeType ? codec.mimeType.split("/")[1] : "";
};

function showRemoteStats(tile, report) {
  const scan = scanStats(report);
  const v = scan.inbound.video;
  if (!v) {
    tile.stats.textContent = scan.inbound.audio ? `audio only · RTT ${fmtMs(scan.rtt)}` : "";
    return;
  }
  const now = { t: v.timestamp, bytes: v.bytesReceived || 0, lost: v.packetsLost || 0, recv: v.packetsReceived || 0, frames: v.framesDecoded || 0 };
  const prev = tile.prev;
  tile.prev = now;
  const dt = prev ? (now.t - prev.t) / 1000 : 0;
  const rate = dt > 0 ? ((now.bytes - prev.bytes) * 8) / dt : null;
  const fps = typeof v.framesPerSecond === "number" ? v.framesPerSecond : dt > 0 ? (now.frames - prev.frames) / dt : null;
  const loss = prev ? fmtLoss(now.lost - prev.lost, now.recv - prev.recv) : fmtLoss(now.lost, now.recv);
  tile.stats.textContent = [
    `${codecName(scan, v)} ${fmtRes(v)}${fmtFps(fps)}`.trim(),
    `↓ ${fmtRate(rate)} · RTT ${fmtMs(scan.rtt)}`,
    `loss ${loss} · layer ${fmtRes(v)}`,
  ].join("\n");
}

function showLocalStats(tile, report) {
  const scan = scanStats(report);
  const out = scan.outbound;
  if (!out.length) {
    tile.stats.textContent = "";
    return;
  }
  const now = { t: Math.max(...out.map((s) => s.timestamp)), bytes: out.reduce((a, s) => a + (s.bytesSent || 0), 0) };
  const prev = tile.prev;
  tile.prev = now;
  const dt = prev ? (now.t - prev.t) / 1000 : 0;
  const rate = dt > 0 ? ((now.bytes - prev.bytes) * 8) / dt : null;
  const fps = Math.max(0, ...out.map((s) => s.framesPerSecond || 0));
  const remote = scan.remoteInbound.filter((s) => (s.kind || s.mediaType) === "video");
  const withRtt = remote.concat(scan.remoteInbound).find((s) => typeof s.roundTripTime === "number");
  const rtt = withRtt ? withRtt.roundTripTime : scan.rtt;
  const lossPct = Math.max(0, ...remote.map((s) => s.fractionLost || 0)) * 100;
  const order = (s) => (s.rid ? SIMULCAST.findIndex((e) => e.rid === s.rid) : -1);
  const layers = out
    .slice()
    .sort((a, b) => order(a) - order(b))
    .map((s) => `${s.rid || "single"} ${s.frameWidth ? fmtRes(s) : "off"}`);
  tile.stats.textContent = [
    `${codecName(scan, out[0])} ↑ ${fmtRate(rate)}${fmtFps(fps)}`.trim(),
    `RTT ${fmtMs(rtt)} · loss ${lossPct.toFixed(1)}%`,
    `layers ${layers.join(", ")}`,
  ].join("\n");
}

async function refreshStats(c) {
  if (c.closed || c.statsBusy) return;
  c.statsBusy = true;
  try {
    const jobs = [];
    if (c.pc && c.localTile) jobs.push(c.pc.getStats().then((rep) => showLocalStats(c.localTile, rep)));
    for (const r of c.remotes.values()) {
      if (r.pc) jobs.push(r.pc.getStats().then((rep) => showRemoteStats(r.tile, rep)));
      else r.tile.stats.textContent = "";
    }
    await Promise.allSettled(jobs);
  } finally {
    c.statsBusy = false;
  }
}

// For tests: per remote participant, the decoding counters of its WHEP connection.
async function remoteStats() {
  const c = session;
  if (!c) return [];
  return Promise.all([...c.remotes.values()].map(async (r) => {
    const out = {
      id: r.id, name: r.name,
      video: { framesDecoded: 0, frameWidth: 0, frameHeight: 0, framesPerSecond: 0 },
      audio: { totalSamplesReceived: 0 },
    };
    if (!r.pc) return out;
    let report;
    try {
      report = await r.pc.getStats();
    } catch {
      return out;
    }
    const { inbound } = scanStats(report);
    if (inbound.video) {
      const v = inbound.video;
      out.video = {
        framesDecoded: v.framesDecoded || 0, frameWidth: v.frameWidth || 0,
        frameHeight: v.frameHeight || 0, framesPerSecond: v.framesPerSecond || 0,
      };
    }
    if (inbound.audio) out.audio.totalSamplesReceived = inbound.audio.totalSamplesReceived || 0;
    return out;
  }));
}

function participants() {
  const c = session;
  if (!c) return [];
  const list = c.localTile ? [{ id: c.publisherId, name: c.name }] : [];
  for (const r of c.remotes.values()) list.push({ id: r.id, name: r.name });
  return list;
}

// ---------- page state ----------

function renderControls(c) {
  const controls = [["audio", ui.mic, "mic"], ["video", ui.cam, "cam"]];
  for (const [kind, button, icon] of controls) {
    const has = !!c.stream && (kind === "audio" ? c.stream.getAudioTracks() : c.stream.getVideoTracks()).length > 0;
    button.disabled = !has;
    button.setAttribute("aria-pressed", String(c.muted[kind]));
    button.querySelector("use").setAttribute("href", `#icon-${icon}${c.muted[kind] ? "-off" : ""}`);
  }
}

function renderStatus(c) {
  if (session !== c) return;
  let text;
  if (!c.joined) text = `Joining room ${c.room}…`;
  else {
    const n = c.remotes.size + (c.localTile ? 1 : 0);
    text = `Room ${c.room} · ${n} participant${n === 1 ? "" : "s"}`;
    if (c.eventsState === "reconnecting" || c.eventsState === "retrying") text += " · reconnecting to room events…";
  }
  ui.status.textContent = text;
}

function showCall(c) {
  ui.form.hidden = true;
  ui.controls.hidden = false;
  ui.call.hidden = false;
  ui.mic.disabled = ui.cam.disabled = true;
  ui.mic.setAttribute("aria-pressed", "false");
  ui.cam.setAttribute("aria-pressed", "false");
  ui.mic.querySelector("use").setAttribute("href", "#icon-mic");
  ui.cam.querySelector("use").setAttribute("href", "#icon-cam");
  document.title = `${c.room} · SFU group call`;
  renderStatus(c);
  if (ui.form.contains(document.activeElement)) ui.leave.focus(); // the form is going away
}

function showForm(focus = false) {
  ui.form.hidden = false;
  ui.controls.hidden = true;
  ui.call.hidden = true;
  ui.sound.hidden = true;
  ui.grid.replaceChildren();
  ui.status.textContent = "Not in a room";
  document.title = "SFU group call";
  if (focus) ui.room.focus();
}

function joinFromForm() {
  const room = ui.room.value.trim();
  const name = ui.name.value.trim() || "Guest";
  if (!ROOM_RE.test(room)) {
    reportError(`Invalid room name "${room}": use 1-64 of A-Z a-z 0-9 - _ .`);
    ui.room.focus();
    return;
  }
  join(room, name);
}

ui.form.addEventListener("submit", (e) => {
  e.preventDefault();
  joinFromForm();
});
ui.mic.addEventListener("click", () => toggleMute("audio"));
ui.cam.addEventListener("click", () => toggleMute("video"));
ui.leave.addEventListener("click", () => leave());
ui.sound.addEventListener("click", () => {
  ui.sound.hidden = true;
  const c = session;
  if (!c) return;
  for (const r of c.remotes.values()) {
    r.tile.video.muted = false;
    play(r.tile.video);
  }
});
// Closing or leaving the tab: end the sessions; keepalive lets the DELETEs outlive the page.
window.addEventListener("pagehide", () => {
  if (!session) return;
  teardown(session, true);
  showForm();
});

window.sfuDemo = {
  stats: remoteStats,
  leave,
  participants,
  errors,
  get joined() { return !!session && session.joined; },
  get publisherId() { return session ? session.publisherId : null; },
  get room() { return session ? session.room : null; },
  get name() { return session ? session.name : null; },
};

ui.room.value = params.get("room") || "";
ui.name.value = params.get("name") || "";
if (params.get("join") === "1") joinFromForm();
