"""Per-client rate limits, token buckets: the public routes (fangkong/edge.py) and the logins.

In process by default: the middleware runs on the event loop, one request at a time, so the buckets need no
lock and a request costs one dict look-up and a few float operations. With FANGKONG_REDIS_URL set, the
public routes' buckets and the logins' live in Redis (one Lua script per request), so the worker processes
of an office count one client together; if Redis does not answer, each process counts alone until it does again (logged, never
an error to the client). The client is the TCP peer as the server reports it; behind a
reverse proxy, `fangkong serve` lets uvicorn read X-Forwarded-For from the peers listed in
FANGKONG_TRUSTED_PROXIES (and from nobody else: anyone can write that header).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import weakref
from functools import lru_cache

from fangkong.errors import InvalidInput, TooManyRequests

__all__ = ["PREVIEW_RATE", "RedisBucket", "TokenBucket", "check_login", "check_preview", "limiter_for", "parse_rate",
           "proxy_options"]

log = logging.getLogger("fangkong.kit.ratelimit")

_RATE = re.compile(r"^\s*(?:0|(\d+(?:\.\d+)?)\s*/\s*s(?:\s+burst\s+(\d+))?)\s*$")
#: above this many clients, those whose bucket has refilled are forgotten (a full bucket is no state)
_MAX_CLIENTS = 100_000


def parse_rate(text: str) -> tuple[float, int] | None:
    """"50/s burst 100" → (50.0, 100); "50/s" → (50.0, 50); "0" → None (off)."""
    m = _RATE.match(text or "")
    if not m:
        raise InvalidInput(f"rate limit {text!r}: expected e.g. '50/s burst 100', or 0 for off", key="err_bad_rate", params={"value": text})
    if m.group(1) is None or float(m.group(1)) == 0:
        return None
    rate = float(m.group(1))
    return rate, int(m.group(2)) if m.group(2) else max(1, math.ceil(rate))


class TokenBucket:
    """`rate` tokens a second per client, at most `burst` saved up; a request takes one."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self._buckets: dict[str, list[float]] = {}   # client → [tokens, time of the last request]

    def take(self, client: str) -> float:
        """0.0 when the request may go ahead, else the seconds until it may (the bucket is left as it is)."""
        now = self.clock()
        b = self._buckets.get(client)
        if b is None:
            if len(self._buckets) >= _MAX_CLIENTS:
                self._forget_full(now)
            self._buckets[client] = [self.burst - 1.0, now]
            return 0.0
        tokens = b[0] + (now - b[1]) * self.rate
        tokens = min(tokens, self.burst)
        b[1] = now
        if tokens >= 1.0:
            b[0] = tokens - 1.0
            return 0.0
        b[0] = tokens
        return (1.0 - tokens) / self.rate

    async def acquire(self, client: str) -> float:
        """As take(), the interface the edge guard calls (a shared bucket needs a round trip)."""
        return self.take(client)

    def _forget_full(self, now: float) -> None:
        full = (self.burst / self.rate) if self.rate else 0.0
        for client in [c for c, (_, last) in self._buckets.items() if now - last >= full]:
            del self._buckets[client]
        if len(self._buckets) >= _MAX_CLIENTS:   # a flood of distinct clients: start afresh rather than grow
            self._buckets.clear()


#: the token bucket of KEYS[1] in Redis, on Redis's clock (the workers' clocks may differ); returns the wait
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""
#: after Redis failed, this many seconds of counting in process before it is tried again
_RETRY_REDIS_S = 5.0


class RedisBucket:
    """The same bucket kept in Redis under `prefix` + client, shared by every process using that Redis."""

    def __init__(self, url: str, rate: float, burst: int, *, prefix: str = "fangkong:rate:") -> None:
        self.url, self.rate, self.burst, self.prefix = url, rate, burst, prefix
        self.local = TokenBucket(rate, burst)   # while Redis is down
        self._down_until = 0.0
        # a redis.asyncio client belongs to one event loop (tests run one server after another, each its own)
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._sync = None   # a blocking client, for code on a worker thread (the logins)

    def _script(self):
        loop = asyncio.get_running_loop()
        script = self._clients.get(loop)
        if script is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=0.25, socket_timeout=0.25)
            script = self._clients[loop] = client.register_script(_TAKE)
        return script

    async def acquire(self, client: str) -> float:
        if time.monotonic() < self._down_until:
            return self.local.take(client)
        try:
            return float(await self._script()(keys=[self.prefix + client], args=[self.rate, self.burst]))
        except Exception as exc:
            from redis.exceptions import RedisError

            if not isinstance(exc, RedisError | OSError | asyncio.TimeoutError):
                raise
            log.warning("rate limit: Redis at %s failed (%s); counting in this process for %.0f s",
                        self.url, exc, _RETRY_REDIS_S)
            self._down_until = time.monotonic() + _RETRY_REDIS_S
            return self.local.take(client)

    def take(self, client: str) -> float:
        """As acquire(), blocking: for a route that runs on a worker thread (the login routes)."""
        if time.monotonic() < self._down_until:
            return self.local.take(client)
        try:
            if self._sync is None:
                import redis

                self._sync = redis.Redis.from_url(self.url, socket_connect_timeout=0.25,
                                                  socket_timeout=0.25).register_script(_TAKE)
            return float(self._sync(keys=[self.prefix + client], args=[self.rate, self.burst]))
        except Exception as exc:
            from redis.exceptions import RedisError

            if not isinstance(exc, RedisError | OSError):
                raise
            log.warning("login limit: Redis at %s failed (%s); counting in this process for %.0f s",
                        self.url, exc, _RETRY_REDIS_S)
            self._down_until = time.monotonic() + _RETRY_REDIS_S
            return self.local.take(client)


@lru_cache
def limiter_for(rate_limit: str, redis_url: str = "") -> TokenBucket | RedisBucket | None:
    """The process's bucket for a setting (one per distinct setting: tests change it; a server never does)."""
    parsed = parse_rate(rate_limit)
    if not parsed:
        return None
    return RedisBucket(redis_url, *parsed) if redis_url else TokenBucket(*parsed)


def retry_after(wait: float) -> str:
    """Retry-After is whole seconds: never 0 for a request that was refused."""
    return str(max(1, math.ceil(wait)))


def proxy_options(trusted_proxies: str) -> dict:
    """uvicorn options: X-Forwarded-For believed only from the configured proxies (none by default)."""
    trusted = ",".join(h.strip() for h in trusted_proxies.split(",") if h.strip())
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


@lru_cache
def _login_limiter(rate_limit: str, redis_url: str = "") -> TokenBucket | RedisBucket | None:
    parsed = parse_rate(rate_limit)
    if not parsed:
        return None
    return RedisBucket(redis_url, *parsed, prefix="fangkong:login:") if redis_url else TokenBucket(*parsed)


#: the account-wide bucket is this many times the client's: one client can never drain it (it refills
#: faster than a client may try), only a crowd of clients can
ACCOUNT_FACTOR = 10


@lru_cache
def _account_limiter(rate_limit: str, redis_url: str = "") -> TokenBucket | RedisBucket | None:
    parsed = parse_rate(rate_limit)
    if not parsed:
        return None
    rate, burst = parsed[0] * ACCOUNT_FACTOR, parsed[1] * ACCOUNT_FACTOR
    return RedisBucket(redis_url, rate, burst, prefix="fangkong:login:") if redis_url else TokenBucket(rate, burst)


def check_login(rate_limit: str, client: str, username: str, *, proven: bool = False,
                redis_url: str = "") -> None:
    """Password guessing is slowed (FANGKONG_LOGIN_RATE_LIMIT) without handing the attacker a lock-out:

    - per client, over every account: a client that guesses runs out of tokens, for itself only;
    - per account, over every client, ten times larger: only a crowd of clients guessing one account drains
      it, and even then a client that has `proven` an earlier success on this account (the signed device
      cookie the login sets, docs/security.md) is not refused.

    With `redis_url` (FANGKONG_REDIS_URL) both buckets live in Redis, shared by the office's worker processes
    like the public routes' (else a client would get a burst per process). Raises TooManyRequests."""
    limiter = _login_limiter(rate_limit, redis_url)
    if limiter is None:
        return
    wait = limiter.take("client:" + client)
    if not proven:
        wait = max(wait, _account_limiter(rate_limit, redis_url).take("user:" + username.strip().lower()))
    if wait:
        raise TooManyRequests("too many login attempts: wait and try again (see Retry-After)",
                              retry_after=retry_after(wait))


#: a live preview that queries the lake while staff type (the investigation's concealment diff, issue 26): per
#: user; the page asks at most once every 2 s after a typing pause, so only a scripted client ever meets it
PREVIEW_RATE = "0.5/s burst 5"


def check_preview(who: str, *, rate_limit: str = PREVIEW_RATE, redis_url: str = "") -> None:
    """A signed-in user's live preview, per user (in Redis with FANGKONG_REDIS_URL, shared by the worker
    processes). Raises TooManyRequests with the seconds until the next one may run."""
    limiter = limiter_for(rate_limit, redis_url)
    if limiter is None:
        return
    wait = limiter.take("preview:" + who)
    if wait > 0:
        raise TooManyRequests("live previews are asked too often: the next one shows after a pause",
                              retry_after=retry_after(wait))
