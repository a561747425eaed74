"""The live-server tests' HTTP client re-sends an idempotent request once when the server dropped its pooled
keep-alive connection ("Connection reset by peer"), and never re-sends a POST."""

from __future__ import annotations

import socket
import struct
import threading

import httpx
import pytest
from liveclient import live_client

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


class DroppingServer:
    """Answers each request on a kept-alive connection, except the `drop`-th request of the run: it reads it and
    resets the connection (SO_LINGER 0) without answering, as a server closing an idle connection does."""

    def __init__(self, drop: int) -> None:
        self.drop, self.seen, self.connections = drop, [], 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(buf) < length:
                    buf += conn.recv(65536)
                buf = buf[length:]
                self.seen.append(head.split(b" ")[0].decode())
                if len(self.seen) == self.drop:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return   # closed with a reset, no answer
                conn.sendall(OK)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dropping():
    server = DroppingServer(drop=2)
    yield server
    server.close()


def test_a_get_on_a_dropped_keepalive_connection_is_sent_again_on_a_new_one(dropping):
    with live_client(dropping.url) as client:
        assert client.get("/a").text == "ok"
        assert client.get("/b").text == "ok"     # the pooled connection was reset under it
    assert dropping.seen == ["GET", "GET", "GET"] and dropping.connections == 2


def test_a_plain_client_fails_there(dropping):
    """What the live-server tests met before (so the test above can fail)."""
    with httpx.Client(base_url=dropping.url) as client:
        assert client.get("/a").text == "ok"
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.get("/b")


def test_a_post_is_never_sent_twice(dropping):
    with live_client(dropping.url) as client:
        assert client.get("/a").text == "ok"
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.post("/b", json={"x": 1})
    assert dropping.seen == ["GET", "POST"]
