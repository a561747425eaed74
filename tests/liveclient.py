"""The HTTP client of the tests that talk to a live server (uvicorn on a loopback port).

A pooled keep-alive connection can be closed by the server just as the client sends on it; the client then sees
"Connection reset by peer" (httpx.ReadError) or "Server disconnected without sending a response"
(httpx.RemoteProtocolError). That failed tests/auth/test_matrix.py once on a loaded machine (issue 24). Two
defences: the client forgets an idle connection sooner than the server closes one (KEEPALIVE_EXPIRY below the
server's SERVER_KEEP_ALIVE), and an idempotent request that met a dropped connection is sent once more, on a new
connection. A POST or PATCH is never re-sent: the server may have acted on it.
"""

from __future__ import annotations

import httpx

__all__ = ["IDEMPOTENT", "KEEPALIVE_EXPIRY", "SERVER_KEEP_ALIVE", "RetryDroppedConnection", "live_client"]

#: methods that may be sent twice with the effect of once (RFC 9110 §9.2.2)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
#: seconds the test servers keep an idle connection open (uvicorn's timeout_keep_alive; its default is 5)
SERVER_KEEP_ALIVE = 30
#: seconds the client keeps an idle pooled connection: well below the server's, so the server never closes first
KEEPALIVE_EXPIRY = 5.0
#: what a connection dropped under a request looks like to httpx
DROPPED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


class RetryDroppedConnection(httpx.HTTPTransport):
    """An HTTP transport that sends an idempotent request once more when its connection was dropped under it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except DROPPED:
            if request.method not in IDEMPOTENT:
                raise
            return super().handle_request(request)


def live_client(base_url: str, *, timeout: float = 30, local_address: str | None = None, **kw) -> httpx.Client:
    """An httpx.Client of a live test server, robust to a keep-alive connection the server dropped."""
    transport = RetryDroppedConnection(local_address=local_address,
                                       limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY))
    return httpx.Client(base_url=base_url, timeout=timeout, transport=transport, **kw)
