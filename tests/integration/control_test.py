#!/usr/bin/python3
"""End-to-end tests of the control channel against the real sfu binary, on loopback:
worker.getInfo over stdio and over WebSocket (no token, good token, wrong token, none),
malformed and oversized messages, and clean exits on SIGTERM, stdin EOF and worker.close.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/control_test.py [-k NAME]
Needs Debian's python3-websockets (scripts/bootstrap.sh installs it)."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import unittest

import websockets
from websockets.exceptions import InvalidStatusCode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfu_process import SFU, SfuProcess  # noqa: E402

TOKEN = "integration-test-token-0123456789"


def run(coro, timeout=10.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def ws_call(ws, method, params=None, id_=1):
    request = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        request["params"] = params
    await ws.send(json.dumps(request))
    while True:
        m = json.loads(await ws.recv())
        if "id" in m:
            return m


class SfuTestCase(unittest.TestCase):
    def start(self, *args, **kw):
        p = SfuProcess(*args, **kw)
        self.addCleanup(p.kill)
        return p

    def check_info(self, info, workers):
        self.assertEqual(info["workers"], workers)
        self.assertIsInstance(info["pid"], int)
        self.assertRegex(info["version"], r"^\d+\.\d+\.\d+")
        self.assertGreaterEqual(info["uptimeMs"], 0)
        self.assertGreater(info["memory"]["rssBytes"], 0)
        self.assertGreaterEqual(info["cpu"]["userSeconds"], 0)


class StdioTest(SfuTestCase):
    def test_get_info_dump_and_errors(self):
        p = self.start("--workers", "2", "--control-listen", "none", "--control-max-message", "4096")
        running = p.wait_running()
        self.assertEqual(running["workers"], 2)
        self.assertIsNone(running["controlListen"])
        r = p.call("worker.getInfo")
        self.check_info(r["result"], 2)
        self.assertEqual(r["result"]["pid"], p.proc.pid)

        dump = p.call("worker.dump")["result"]
        self.assertEqual([w["id"] for w in dump["workers"]], [0, 1])
        self.assertIn("worker.getInfo", dump["control"]["methods"])
        self.assertEqual(dump["settings"]["workers"], "2")

        # Garbage, bad requests and unknown methods get their codes; the channel survives.
        p.send_raw(b"{not json")
        self.assertEqual(p.read_response()["error"]["code"], -32700)
        p.send({"jsonrpc": "2.0", "id": 7})
        self.assertEqual(p.read_response()["error"]["code"], -32600)
        self.assertEqual(p.call("worker.nope")["error"]["code"], -32601)
        r = p.call("worker.getInfo", {"verbose": True})
        self.assertEqual(r["error"]["code"], -32602)
        self.assertEqual(r["error"]["data"]["field"], "params.verbose")

        # Oversized frame: an error, then the stream is still in sync.
        p.send_raw(b"[" + b"1," * 5000 + b"1]")
        r = p.read_response()
        self.assertEqual(r["error"]["code"], -32600)
        self.assertEqual(r["error"]["data"]["type"], "MessageTooLarge")
        self.assertIsNone(r["id"])
        self.check_info(p.call("worker.getInfo")["result"], 2)

        # A batch.
        p.send([{"jsonrpc": "2.0", "id": "a", "method": "worker.getInfo"},
                {"jsonrpc": "2.0", "method": "worker.getInfo"}])
        batch = p.read_message()
        self.assertEqual(len(batch), 1)
        self.assertEqual(batch[0]["id"], "a")

        p.signal(signal.SIGTERM)
        self.assertEqual(p.wait(), 0, p.stderr)

    def test_stdin_eof_shuts_down_cleanly(self):
        p = self.start("--workers", "1", "--control-listen", "none")
        p.wait_running()
        p.proc.stdin.close()
        self.assertEqual(p.wait(), 0, p.stderr)

    def test_worker_close_replies_then_exits(self):
        p = self.start("--workers", "2", "--control-listen", "none")
        p.wait_running()
        r = p.call("worker.close")
        self.assertEqual(r["result"], {})
        self.assertEqual(p.wait(), 0, p.stderr)


class WebSocketTest(SfuTestCase):
    def start_ws(self, *args, env=None):
        p = self.start("--workers", "1", "--control-listen", "127.0.0.1:0", *args, env=env)
        running = p.wait_running()
        return p, "ws://" + running["controlListen"]

    def test_get_info_without_token_on_loopback(self):
        p, url = self.start_ws()

        async def scenario():
            async with websockets.connect(url, max_size=None) as ws:
                first = json.loads(await ws.recv())
                self.assertEqual(first["method"], "worker.running")
                r = await ws_call(ws, "worker.getInfo")
                self.check_info(r["result"], 1)
                # Oversized message: an error, and the connection stays usable.
                await ws.send("x" * (2 << 20))
                r = json.loads(await ws.recv())
                self.assertEqual(r["error"]["data"]["type"], "MessageTooLarge")
                await ws.send("][")
                self.assertEqual(json.loads(await ws.recv())["error"]["code"], -32700)
                r = await ws_call(ws, "worker.getInfo", id_=2)
                self.assertEqual(r["id"], 2)
        run(scenario())
        p.signal(signal.SIGTERM)
        self.assertEqual(p.wait(), 0, p.stderr)

    def test_token_required_when_set(self):
        p, url = self.start_ws(env={"SFU_CONTROL_TOKEN": TOKEN})

        async def refused(headers):
            with self.assertRaises(InvalidStatusCode) as cm:
                async with websockets.connect(url, extra_headers=headers):
                    pass
            self.assertEqual(cm.exception.status_code, 401)

        async def scenario():
            await refused({})
            await refused({"Authorization": "Bearer wrong-token-wrong-token-wrong"})
            await refused({"Authorization": "Basic " + TOKEN})
            async with websockets.connect(
                    url, extra_headers={"Authorization": "Bearer " + TOKEN}) as ws:
                r = await ws_call(ws, "worker.getInfo")
                self.check_info(r["result"], 1)
        run(scenario())
        # Stdio still works alongside.
        self.check_info(p.call("worker.getInfo")["result"], 1)
        p.signal(signal.SIGINT)
        self.assertEqual(p.wait(), 0, p.stderr)

    def test_browser_origin_refused_without_token(self):
        p, url = self.start_ws()

        async def scenario():
            with self.assertRaises(InvalidStatusCode) as cm:
                async with websockets.connect(url, origin="http://evil.example"):
                    pass
            self.assertEqual(cm.exception.status_code, 403)
        run(scenario())
        dump = p.call("worker.dump")["result"]
        self.assertEqual(dump["control"]["webSocket"]["refusedConnections"], 1)

    def test_sigterm_with_clients_connected_exits_within_two_seconds(self):
        p, url = self.start_ws()

        async def scenario():
            conns = [await websockets.connect(url) for _ in range(3)]
            for i, ws in enumerate(conns):
                await ws_call(ws, "worker.getInfo", id_=i)
            started = time.monotonic()
            p.signal(signal.SIGTERM)
            for ws in conns:
                await ws.wait_closed()
            return started
        started = run(scenario())
        self.assertEqual(p.wait(), 0, p.stderr)
        self.assertLess(time.monotonic() - started, 2.0)


class SettingsTest(unittest.TestCase):
    def test_invalid_value_exits_2_with_one_line(self):
        r = subprocess.run([SFU, "--workers", "many"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        lines = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--workers", lines[0])

    def test_public_listen_without_token_is_refused(self):
        r = subprocess.run([SFU, "--control-listen", "0.0.0.0:0"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("token", r.stderr.decode())

    def test_port_in_use_is_a_clear_error(self):
        p = SfuProcess("--workers", "1", "--control-listen", "127.0.0.1:0")
        try:
            port = p.wait_running()["controlListen"]
            r = subprocess.run([SFU, "--control-listen", port], capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen on", r.stderr.decode())
        finally:
            p.kill()

    def test_media_port_in_use_is_a_clear_error(self):
        # Worker 0's TCP port is taken: the process exits 1 naming it, without crashing.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        try:
            r = subprocess.run([SFU, "--workers", "1", "--rtc-port", str(port), "--control-listen", "none",
                                "--http-listen", "none"], capture_output=True, timeout=10)
        finally:
            s.close()
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        self.assertIn("cannot listen on TCP", r.stderr.decode())

    def test_help_documents_every_setting(self):
        r = subprocess.run([SFU, "--help"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        for flag in ("--workers", "--control", "--control-listen", "--control-token",
                     "--log-level", "--log-format", "--log-tags", "--config", "--rtc-listen",
                     "--rtc-port", "--announced-address", "--consent-timeout", "--dtls-cert",
                     "--dtls-key", "--http-listen", "--whip-token"):
            self.assertIn(flag + " ", r.stdout.decode())


if __name__ == "__main__":
    if not SFU or not os.access(SFU, os.X_OK):
        sys.exit("set SFU_BINARY to the sfu binary")
    unittest.main()
