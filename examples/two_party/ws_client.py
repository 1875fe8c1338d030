"""A minimal WebSocket client (RFC 6455), standard library only.

Enough to talk JSON-RPC to the sfu's control endpoint (ws://HOST:PORT): the opening
handshake (section 4.1), masked text frames from the client (5.3), messages split
over several frames (5.4), ping/pong (5.5.2-3) and the closing handshake (5.5.1).
Not supported: wss:// (TLS), extensions such as permessage-deflate (we never offer
them, so a conforming server never uses them).

    ws = WebSocket("ws://127.0.0.1:8090")
    ws.send_text('{"jsonrpc": "2.0", "id": 1, "method": "worker.getInfo"}')
    print(ws.recv())          # blocks; one whole message, None once closed

send_text() may be called from any thread; recv() from one reader thread.
"""
import base64
import hashlib
import os
import socket
import struct
import threading
import urllib.parse

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 64 << 20  # refuse to buffer more than this for one message


class WebSocketError(Exception):
    pass


def _mask(key: bytes, data: bytes) -> bytes:
    """XOR data with the 4-byte key repeated (section 5.3), as one big integer."""
    if not data:
        return data
    n = len(data)
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(keys, "big")).to_bytes(n, "big")


class WebSocket:
    def __init__(self, url, timeout=10.0, headers=None, max_frame=16384):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "ws":
            raise WebSocketError(f"only ws:// URLs are supported, not {url!r}")
        self.max_frame = max_frame  # longer messages are sent in several frames
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        # Opening handshake: an HTTP/1.1 upgrade with a random 16-byte key; the server
        # proves it speaks WebSocket by answering base64(sha1(key + GUID)).
        key = base64.b64encode(os.urandom(16)).decode()
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        lines = [f"GET {path} HTTP/1.1", f"Host: {u.netloc}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._buf = b""
        while b"\r\n\r\n" not in self._buf:
            chunk = self.sock.recv(4096)
            if not chunk or len(self._buf) > 16384:
                raise WebSocketError("no valid handshake answer from " + url)
            self._buf += chunk
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)  # the rest is already frames
        status, *fields = head.decode("latin-1").split("\r\n")
        if status.split(" ")[1:2] != ["101"]:
            raise WebSocketError(f"upgrade refused: {status}")
        answer = dict((k.strip().lower(), v.strip()) for k, v in (f.split(":", 1) for f in fields if ":" in f))
        expected = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        if answer.get("sec-websocket-accept") != expected:
            raise WebSocketError("bad Sec-WebSocket-Accept")
        self.sock.settimeout(None)  # from now on recv() blocks in its reader thread
        self._send_lock = threading.Lock()  # one frame at a time on the socket
        # Keeps one message's frames together when several threads send (a PONG from the
        # reader may still go between them, which RFC 6455 allows for control frames).
        self._message_lock = threading.Lock()
        self.closed = False

    # -- writing ------------------------------------------------------------------------
    def _send_frame(self, opcode, payload=b"", fin=True):
        """One frame: FIN + opcode, MASK bit + 7/16/64-bit length, 4-byte key, masked payload.
        A client must mask every frame it sends (section 5.1)."""
        n = len(payload)
        header = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        key = os.urandom(4)
        with self._send_lock:  # frames of one message must not interleave with others
            self.sock.sendall(header + key + _mask(key, payload))

    def send_text(self, text):
        """Sends one text message, fragmented into max_frame-byte frames (TEXT, then
        CONTINUATION frames, FIN on the last). Thread-safe."""
        data = text.encode("utf-8")
        chunks = [data[i:i + self.max_frame] for i in range(0, len(data), self.max_frame)] or [b""]
        with self._message_lock:
            for i, chunk in enumerate(chunks):
                self._send_frame(OP_TEXT if i == 0 else OP_CONT, chunk, fin=i == len(chunks) - 1)

    # -- reading ------------------------------------------------------------------------
    def _read(self, n):
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WebSocketError("connection closed by the server")
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def _read_frame(self):
        b0, b1 = self._read(2)
        fin, opcode, masked, n = b0 & 0x80, b0 & 0x0F, b1 & 0x80, b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", self._read(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", self._read(8))
        if n > MAX_MESSAGE:
            raise WebSocketError(f"frame of {n} bytes is too large")
        key = self._read(4) if masked else None  # servers do not mask; accept it anyway
        payload = self._read(n)
        return bool(fin), opcode, _mask(key, payload) if key else payload

    def recv(self):
        """The next whole message (str for text, bytes for binary), or None once the
        connection is closed. Answers pings and the server's close on the way."""
        if self.closed:
            return None
        parts, first_opcode = [], None
        try:
            while True:
                fin, opcode, payload = self._read_frame()
                if opcode == OP_PING:  # control frames may arrive between fragments
                    self._send_frame(OP_PONG, payload)
                    continue
                if opcode == OP_PONG:
                    continue
                if opcode == OP_CLOSE:  # echo the status code, then we are done
                    self._close_socket(payload[:2])
                    return None
                if opcode in (OP_TEXT, OP_BINARY):
                    if first_opcode is not None:
                        raise WebSocketError("new message inside a fragmented one")
                    first_opcode = opcode
                elif opcode != OP_CONT or first_opcode is None:
                    raise WebSocketError(f"unexpected opcode {opcode}")
                parts.append(payload)
                if sum(map(len, parts)) > MAX_MESSAGE:
                    raise WebSocketError("message too large")
                if fin:
                    data = b"".join(parts)
                    return data.decode("utf-8") if first_opcode == OP_TEXT else data
        except (OSError, WebSocketError):
            if self.closed:
                return None
            self.closed = True
            raise

    # -- closing ------------------------------------------------------------------------
    def _close_socket(self, status=b""):
        if not self.closed:
            self.closed = True
            try:
                self._send_frame(OP_CLOSE, status)
            except OSError:
                pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def close(self, code=1000):
        """Sends CLOSE with `code` and closes the socket (a reader blocked in recv()
        then returns None)."""
        self._close_socket(struct.pack(">H", code))

