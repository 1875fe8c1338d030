#!/usr/bin/env python3
"""Example application server for the sfu: rooms of peers over a tiny HTTP+JSON API,
driven through the sfu's JSON-RPC control API over WebSocket. Standard library only.

    app_server.py --sfu ws://127.0.0.1:8090 --listen 127.0.0.1:8000

A room is a router; each peer gets two WebRTC transports (one to send, one to receive),
a producer per track it sends and a consumer per track of another peer it receives.
The HTTP API is described in README.md. On start it prints one line on stdout,
`listening on http://HOST:PORT` (useful with port 0); logs go to stderr.
"""
import argparse
import http.server
import itertools
import json
import logging
import queue
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse

from ws_client import WebSocket, WebSocketError

log = logging.getLogger("app_server")


class RpcError(Exception):
    """A JSON-RPC error from the sfu (or no answer in time: code None)."""

    def __init__(self, method, error):
        self.method, self.error = method, error
        super().__init__(f"{method}: {error.get('message')} ({error.get('code')})")


class Sfu:
    """A JSON-RPC 2.0 session with the sfu over one WebSocket.

    A reader thread reads every message: responses wake the request waiting for them
    (matched by id); notifications go to a queue that a second thread hands to
    `on_notification`, so a slow handler never holds up responses."""

    def __init__(self, url, on_notification):
        self.ws = WebSocket(url)
        self.on_notification = on_notification
        self.ids = itertools.count(1)
        self.pending = {}  # id -> [threading.Event, response]
        self.lock = threading.Lock()
        self.running = threading.Event()  # set by the worker.running notification
        self.closed = threading.Event()
        self.notifications = queue.Queue()
        self.reader = threading.Thread(target=self._read_loop, name="sfu-reader", daemon=True)
        self.dispatcher = threading.Thread(target=self._dispatch_loop, name="sfu-notifications", daemon=True)
        self.reader.start()
        self.dispatcher.start()

    def _read_loop(self):
        try:
            while True:
                text = self.ws.recv()
                if text is None:
                    break
                message = json.loads(text)
                for m in message if isinstance(message, list) else [message]:
                    if "method" in m and "id" not in m:
                        if m["method"] == "worker.running":
                            self.running.set()
                        self.notifications.put(m)
                    else:
                        with self.lock:
                            waiter = self.pending.get(m.get("id"))
                        if waiter:
                            waiter[1] = m
                            waiter[0].set()
                        else:
                            log.warning("response nobody waits for: %s", m)
        except Exception as e:  # noqa: BLE001 (the connection is gone either way)
            log.error("sfu connection failed: %s", e)
        log.info("sfu connection closed")
        self.closed.set()
        with self.lock:
            for waiter in self.pending.values():
                waiter[0].set()  # they find no response
        self.notifications.put(None)

    def _dispatch_loop(self):
        while (m := self.notifications.get()) is not None:
            try:
                self.on_notification(m["method"], m.get("params", {}))
            except Exception:  # noqa: BLE001
                log.exception("notification handler failed on %s", m)

    def request(self, method, params=None, timeout=10.0):
        """Sends a request and waits (bounded) for its response: the result, or
        RpcError with the sfu's error object."""
        rid = next(self.ids)
        waiter = [threading.Event(), None]
        with self.lock:
            self.pending[rid] = waiter
        try:
            message = {"jsonrpc": "2.0", "id": rid, "method": method}
            if params is not None:
                message["params"] = params
            if not self.closed.is_set():
                try:
                    self.ws.send_text(json.dumps(message))
                    waiter[0].wait(timeout)
                except OSError as e:
                    log.error("sending %s failed: %s", method, e)
        finally:
            with self.lock:
                del self.pending[rid]
        response = waiter[1]
        if response is None:
            raise RpcError(method, {"code": None, "message": "no response (sfu gone or too slow)"})
        if "error" in response:
            raise RpcError(method, response["error"])
        log.debug("%s -> %s", method, response["result"])
        return response["result"]

    def close(self):
        self.ws.close()
        self.reader.join(5)
        self.dispatcher.join(5)  # every notification received has been handled


class HttpError(Exception):
    def __init__(self, status, message):
        self.status, self.message = status, message
        super().__init__(message)


class Peer:
    def __init__(self, peer_id, name):
        self.id, self.name = peer_id, name
        self.send_transport = self.recv_transport = None
        self.producers = {}  # producerId -> kind
        self.consumers = {}  # consumerId -> producerId
        self.mids = itertools.count()  # MIDs of the receive transport's m-lines


class Room:
    def __init__(self, name, router_id):
        self.name, self.router_id = name, router_id
        self.peers = {}
        self.version = 0  # bumped on every change GET /peers reports


class AppServer:
    """The rooms and what they map to in the sfu. One lock guards them all; requests to
    the sfu are made with it held, which serializes joins and leaves (simple and enough
    for an example: a real server would lock per room)."""

    def __init__(self, sfu_url):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)  # for GET /peers long-polls
        self.rooms = {}
        self.consumer_owner = {}  # consumerId -> (room, peer) for notifications
        self.sfu = Sfu(sfu_url, self.on_notification)
        if not self.sfu.running.wait(10):
            raise RuntimeError("no worker.running from the sfu within 10 s")
        self.capabilities = self.sfu.request("router.getRtpCapabilities")

    # -- notifications ------------------------------------------------------------------
    def on_notification(self, method, params):
        log.info("notification %s %s", method, json.dumps(params, sort_keys=True))
        if method == "consumer.producerClose":
            # The sfu closed the consumer with its producer: forget it.
            with self.lock:
                room, peer = self.consumer_owner.pop(params["consumerId"], (None, None))
                if peer is not None:
                    peer.consumers.pop(params["consumerId"], None)
                    self._bump(room)

    def _bump(self, room):
        room.version += 1
        self.changed.notify_all()

    # -- helpers ------------------------------------------------------------------------
    def _peer(self, room_name, peer_id):
        room = self.rooms.get(room_name)
        peer = room and room.peers.get(peer_id)
        if not peer:
            raise HttpError(404, f"no peer {peer_id} in room {room_name}")
        return room, peer

    def _close_quietly(self, method, params):
        """Closing goes on when one step fails (the object may be gone already)."""
        try:
            self.sfu.request(method, params, timeout=5)
        except RpcError as e:
            log.warning("%s %s: %s", method, params, e)

    @staticmethod
    def _transport_info(t):
        return {k: t[k] for k in ("transportId", "iceParameters", "iceCandidates", "dtlsParameters")}

    # -- the HTTP API -------------------------------------------------------------------
    def join(self, room_name, body):
        with self.lock:
            room = self.rooms.get(room_name)
            if room is None:
                router = self.sfu.request("router.create")
                room = self.rooms[room_name] = Room(room_name, router["routerId"])
                log.info("room %s: router %s on worker %s", room_name, router["routerId"], router["workerId"])
            peer = Peer(secrets.token_hex(6), str(body.get("name") or "anonymous"))
            created = []
            try:
                for _ in range(2):
                    created.append(self.sfu.request("router.createWebRtcTransport", {"routerId": room.router_id}))
            except RpcError:  # undo what was made, then report the error
                for t in created:
                    self._close_quietly("router.closeTransport", {"routerId": room.router_id, "transportId": t["transportId"]})
                if not room.peers:
                    self._close_quietly("router.close", {"routerId": room.router_id})
                    del self.rooms[room_name]
                raise
            send, recv = created
            peer.send_transport, peer.recv_transport = send["transportId"], recv["transportId"]
            room.peers[peer.id] = peer
            self._bump(room)
            log.info("room %s: peer %s (%s) joined: send %s, recv %s", room_name, peer.id, peer.name,
                     peer.send_transport, peer.recv_transport)
            return {"peerId": peer.id, "routerRtpCapabilities": self.capabilities,
                    "sendTransport": self._transport_info(send), "recvTransport": self._transport_info(recv)}

    def connect(self, room_name, peer_id, body):
        with self.lock:
            room, peer = self._peer(room_name, peer_id)
            if body.get("transportId") not in (peer.send_transport, peer.recv_transport):
                raise HttpError(400, "transportId is not one of this peer's transports")
            params = {"transportId": body["transportId"], "dtlsParameters": body.get("dtlsParameters")}
            if "iceParameters" in body:
                params["iceParameters"] = body["iceParameters"]
            return self.sfu.request("transport.connect", params)

    def produce(self, room_name, peer_id, body):
        with self.lock:
            room, peer = self._peer(room_name, peer_id)
            result = self.sfu.request("transport.produce", {
                "transportId": peer.send_transport, "kind": body.get("kind"),
                "rtpParameters": body.get("rtpParameters")})
            peer.producers[result["producerId"]] = body["kind"]
            self._bump(room)
            log.info("room %s: peer %s produces %s %s", room_name, peer_id, body["kind"], result["producerId"])
            return result

    def consume(self, room_name, peer_id, body):
        """Consumers, created paused, for every producer of the other peers this peer
        does not consume yet (or only those in body.producerIds). The client resumes
        them (POST .../resume) once it is ready to receive, so the first video
        keyframe is not lost."""
        with self.lock:
            room, peer = self._peer(room_name, peer_id)
            wanted = body.get("producerIds")
            consumed = set(peer.consumers.values())
            out = []
            for other in room.peers.values():
                if other is peer:
                    continue
                for producer_id, kind in other.producers.items():
                    if producer_id in consumed or (wanted is not None and producer_id not in wanted):
                        continue
                    c = self.sfu.request("transport.consume", {
                        "transportId": peer.recv_transport, "producerId": producer_id,
                        "rtpCapabilities": body.get("rtpCapabilities"), "mid": str(next(peer.mids)),
                        "paused": True})
                    peer.consumers[c["consumerId"]] = producer_id
                    self.consumer_owner[c["consumerId"]] = (room, peer)
                    out.append({"consumerId": c["consumerId"], "producerId": producer_id, "peerId": other.id,
                                "kind": c["kind"], "rtpParameters": c["rtpParameters"]})
                    log.info("room %s: peer %s consumes %s %s of peer %s as %s", room_name, peer_id, kind,
                             producer_id, other.id, c["consumerId"])
            return {"consumers": out}

    def resume(self, room_name, peer_id, body):
        with self.lock:
            room, peer = self._peer(room_name, peer_id)
            for consumer_id in body.get("consumerIds") or []:
                if consumer_id not in peer.consumers:
                    raise HttpError(404, f"no consumer {consumer_id} for this peer")
                self.sfu.request("consumer.resume", {"consumerId": consumer_id})
            return {}

    def peers(self, room_name, query):
        """The room's peers and their producers. With ?since=VERSION&wait=SECONDS, waits
        (at most 30 s) until the room's version differs from VERSION: a long-poll."""
        since = int(query.get("since", ["-1"])[0])
        deadline = time.monotonic() + min(float(query.get("wait", ["0"])[0]), 30.0)
        with self.lock:
            while True:
                room = self.rooms.get(room_name)
                version = room.version if room else 0
                left = deadline - time.monotonic()
                if version != since or left <= 0:
                    break
                self.changed.wait(left)
            peers = [{"peerId": p.id, "name": p.name,
                      "producers": [{"producerId": i, "kind": k} for i, k in p.producers.items()]}
                     for p in (room.peers.values() if room else [])]
            return {"version": version, "peers": peers}

    def stats(self, room_name, peer_id):
        with self.lock:
            room, peer = self._peer(room_name, peer_id)
            return {"send": self.sfu.request("transport.getStats", {"transportId": peer.send_transport}),
                    "recv": self.sfu.request("transport.getStats", {"transportId": peer.recv_transport})}

    def leave(self, room_name, peer_id):
        """Closes the peer's transports (with them its producers, whose consumers in the
        other peers' transports the sfu closes and announces with consumer.producerClose,
        and its consumers); the last peer out closes the router."""
        with self.lock:
            room, peer = self._peer(room_name, peer_id)
            del room.peers[peer.id]
            for consumer_id in peer.consumers:
                self.consumer_owner.pop(consumer_id, None)
            for transport_id in (peer.send_transport, peer.recv_transport):
                self._close_quietly("router.closeTransport", {"routerId": room.router_id, "transportId": transport_id})
            log.info("room %s: peer %s left", room_name, peer_id)
            if not room.peers:
                self._close_quietly("router.close", {"routerId": room.router_id})
                del self.rooms[room_name]
                log.info("room %s: empty, router %s closed", room_name, room.router_id)
            self._bump(room)
            return {}

    def close(self):
        """Closes every room (the sfu forgets their routers) and the sfu connection."""
        with self.lock:
            for room in list(self.rooms.values()):
                self._close_quietly("router.close", {"routerId": room.router_id})
            self.rooms.clear()
        self.sfu.close()


ROUTES = [  # method, path pattern, handler name
    ("POST", r"/rooms/([^/]+)/join", "join"),
    ("POST", r"/rooms/([^/]+)/peers/([^/]+)/connect", "connect"),
    ("POST", r"/rooms/([^/]+)/peers/([^/]+)/produce", "produce"),
    ("POST", r"/rooms/([^/]+)/peers/([^/]+)/consume", "consume"),
    ("POST", r"/rooms/([^/]+)/peers/([^/]+)/resume", "resume"),
    ("POST", r"/rooms/([^/]+)/peers/([^/]+)/leave", "leave"),
    ("GET", r"/rooms/([^/]+)/peers", "peers"),
    ("GET", r"/rooms/([^/]+)/peers/([^/]+)/stats", "stats"),
]


def make_handler(app):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            log.debug("http: " + fmt, *args)

        def _reply(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method):
            url = urllib.parse.urlsplit(self.path)
            try:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                for route_method, pattern, name in ROUTES:
                    m = re.fullmatch(pattern, url.path)
                    if route_method != method or not m:
                        continue
                    args = [urllib.parse.unquote(g) for g in m.groups()]
                    if method == "POST":
                        try:
                            body = json.loads(raw or b"{}")
                        except ValueError:
                            raise HttpError(400, "the body must be JSON") from None
                        if not isinstance(body, dict):
                            raise HttpError(400, "the body must be a JSON object")
                        if name not in ("leave",):
                            args.append(body)
                    elif name == "peers":
                        args.append(urllib.parse.parse_qs(url.query))
                    return self._reply(200, getattr(app, name)(*args))
                raise HttpError(404, f"no route {method} {url.path}")
            except HttpError as e:
                self._reply(e.status, {"error": e.message})
            except RpcError as e:
                log.warning("sfu refused %s: %s", e.method, e.error)
                self._reply(502, {"error": str(e), "sfuError": e.error})
            except Exception as e:  # noqa: BLE001
                log.exception("request failed")
                self._reply(500, {"error": str(e)})

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sfu", default="ws://127.0.0.1:8090", help="the sfu's control WebSocket URL")
    p.add_argument("--listen", default="127.0.0.1:8000", help="HOST:PORT of the HTTP API (port 0: any)")
    p.add_argument("--verbose", "-v", action="store_true", help="log every JSON-RPC result and HTTP request")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s app_server %(levelname)s %(message)s")
    host, port = args.listen.rsplit(":", 1)
    try:
        app = AppServer(args.sfu)
    except (OSError, WebSocketError, RuntimeError, RpcError) as e:
        log.error("cannot use the sfu at %s: %s", args.sfu, e)
        return 1
    httpd = http.server.ThreadingHTTPServer((host, int(port)), make_handler(app))
    httpd.daemon_threads = True
    print(f"listening on http://{host}:{httpd.server_address[1]}", flush=True)
    stop = threading.Event()
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: stop.set())
    server = threading.Thread(target=httpd.serve_forever, name="http", daemon=True)
    server.start()
    while not stop.is_set() and not app.sfu.closed.is_set():
        stop.wait(0.5)
    lost = app.sfu.closed.is_set()
    log.info("shutting down" + (" (lost the sfu)" if lost else ""))
    httpd.shutdown()
    app.close()
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
