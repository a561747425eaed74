"""A hostile client over real HTTP: huge bodies, a flood that fills the public pool, the demo secret."""

from __future__ import annotations

import socket

import pytest
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.settings import get_settings


def _raw(base_url: str, head: str, body_parts: list[bytes]) -> bytes:
    """Send a request's head and some of its body on a raw socket; read the answer without sending the rest
    (a server that waited for the whole body would never answer: the socket time-out fails the test)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        for part in body_parts:
            sock.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", ["/api/two-code-checks", "/api/scans", "/api/cases", "/api/auth/token"])
def test_a_200_mb_body_is_refused_from_its_length_at_once(server, path):  # noqa: F811
    # 200 MB announced, 20 bytes sent: the answer comes without the server waiting for the rest
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n")
    answer = _raw(str(server.base_url), head, [b'{"person_id": "P0001'])
    assert _status(answer) == 413, answer[:300]
    assert b"too large" in answer


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)
def test_a_chunked_body_is_counted_and_cut_off(server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FANGKONG_MAX_BODY", "100000")
    get_settings.cache_clear()
    # no Content-Length: 150 kB in chunks, and the closing chunk never sent
    chunk = b"x" * 10_000
    parts = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(15)]
    head = "POST /api/two-code-checks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           "Transfer-Encoding: chunked\r\n\r\n"
    answer = _raw(str(server.base_url), head, parts)
    assert _status(answer) == 413, answer[:300]
    # under the limit, the same route reads its body as before
    anon = server.anonymous()
    assert anon.post("/api/two-code-checks", json={"person_id": "nobody"}).status_code in (404, 422)
