"""Rate limits that hold across server nodes: the same limiters kept in Redis when `--redis`
is given, in this process otherwise.

With several nodes behind a load balancer, limits kept per process would let a user send N
times the protocol's 20 messages per 5 s, and try N times as many passwords. So with Redis
the send bucket and the login-failure windows live there, each updated by one Lua script
(atomic, using Redis's own clock so the nodes' clocks do not matter).

If Redis does not answer within REDIS_LIMIT_TIMEOUT, the limiter lets the request through
(and logs it, at most once per LOG_EVERY_SECONDS): a limiter outage must not stop people
from talking, and the delivery path reports the same outage in /healthz anyway. Typing
notices stay per node (an extra notice through another node is harmless).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_server.ratelimit import SlidingWindow, TokenBucket

log = logging.getLogger(__name__)

REDIS_LIMIT_TIMEOUT = 0.5  # seconds; a send waits at most this long for its limiter
LOG_EVERY_SECONDS = 30.0

# KEYS[1] bucket; ARGV: burst, rate per second, 1 = take / -1 = refund.
# Returns the seconds to wait (as a string: Redis truncates Lua numbers to integers).
_BUCKET_LUA = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tonumber(ARGV[3]) < 0 then
  tokens = math.min(burst, tokens + 1)
elseif tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""

# KEYS[1] window (a sorted set of event times); ARGV: limit, window seconds, member to
# record ("" = only ask). Returns the seconds until another event is allowed.
_WINDOW_LUA = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return '0'
end
if redis.call('ZCARD', KEYS[1]) < limit then
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(math.max(0, window - (now - tonumber(oldest[2]))))
"""


class SendLimiter(Protocol):
    """The send token bucket, per user."""

    async def take(self, user_id: int) -> float: ...
    async def refund(self, user_id: int) -> None: ...


class FailureWindow(Protocol):
    """At most `limit` failures per key in a sliding window (login by name, by address)."""

    async def retry_after(self, key: str) -> float: ...
    async def record(self, key: str) -> None: ...


class LocalSendLimiter:
    """The in-process bucket (one node)."""

    def __init__(self, burst: int, window_seconds: float) -> None:
        self._bucket = TokenBucket(burst, window_seconds)

    async def take(self, user_id: int) -> float:
        return self._bucket.take(user_id)

    async def refund(self, user_id: int) -> None:
        self._bucket.refund(user_id)


class LocalFailureWindow:
    """The in-process sliding window (one node)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self._window = SlidingWindow(limit, window_seconds)

    async def retry_after(self, key: str) -> float:
        return self._window.retry_after(key)

    async def record(self, key: str) -> None:
        self._window.record(key)


class _FailOpen:
    """Runs a limiter script; Redis trouble lets the request through, logged at most once
    per LOG_EVERY_SECONDS."""

    _last_logged = 0.0

    async def _call(self, script: Any, key: str, args: list[Any], what: str) -> float:
        try:
            answer = await script(keys=[key], args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            self.report(what, exc)
            return 0.0
        return float(answer)

    def report(self, what: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - _FailOpen._last_logged >= LOG_EVERY_SECONDS:
            _FailOpen._last_logged = now
            log.warning(
                "rate limiter in Redis unavailable (%s: %s); letting requests through",
                what,
                type(exc).__name__,
            )


class RedisSendLimiter(_FailOpen):
    """The send bucket in Redis, shared by every node."""

    def __init__(self, redis: Redis, prefix: str, burst: int, window_seconds: float) -> None:
        self._script = redis.register_script(_BUCKET_LUA)
        self._prefix = prefix
        self._burst = burst
        self._rate = burst / window_seconds

    async def _run(self, user_id: int, cost: int) -> float:
        key = f"{self._prefix}:send:{user_id}"
        return await self._call(self._script, key, [self._burst, self._rate, cost], "send bucket")

    async def take(self, user_id: int) -> float:
        return await self._run(user_id, 1)

    async def refund(self, user_id: int) -> None:
        await self._run(user_id, -1)


class RedisFailureWindow(_FailOpen):
    """A sliding window of failures in Redis, shared by every node."""

    def __init__(self, redis: Redis, prefix: str, limit: int, window_seconds: float) -> None:
        self._script = redis.register_script(_WINDOW_LUA)
        self._prefix = prefix
        self._limit = limit
        self._window = window_seconds

    async def _run(self, key: str, member: str) -> float:
        args = [self._limit, self._window, member]
        return await self._call(self._script, f"{self._prefix}:{key}", args, "login failures")

    async def retry_after(self, key: str) -> float:
        return await self._run(key, "")

    async def record(self, key: str) -> None:
        await self._run(key, uuid.uuid4().hex)


class Limiters:
    """The limiters one server uses, and the Redis connection behind them (if any)."""

    def __init__(
        self,
        send: SendLimiter,
        login_by_name: FailureWindow,
        login_by_address: FailureWindow,
        redis: Redis | None = None,
    ) -> None:
        self.send = send
        self.login_by_name = login_by_name
        self.login_by_address = login_by_address
        self._redis = redis

    @property
    def shared(self) -> bool:
        return self._redis is not None

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def make_limiters(
    *,
    send_burst: int,
    send_window_seconds: float,
    login_failures: int,
    login_window_seconds: float,
    redis_url: str | None,
    namespace: str,
) -> Limiters:
    """Redis-backed limiters when a Redis URL is configured, in-process ones otherwise."""
    if redis_url is None:
        return Limiters(
            LocalSendLimiter(send_burst, send_window_seconds),
            LocalFailureWindow(login_failures, login_window_seconds),
            LocalFailureWindow(login_failures, login_window_seconds),
        )
    options: dict[str, Any] = {
        "socket_timeout": REDIS_LIMIT_TIMEOUT,
        "socket_connect_timeout": REDIS_LIMIT_TIMEOUT,
    }
    redis = Redis.from_url(redis_url, **options)
    prefix = f"{namespace}:ratelimit"
    return Limiters(
        RedisSendLimiter(redis, prefix, send_burst, send_window_seconds),
        RedisFailureWindow(redis, f"{prefix}:login-name", login_failures, login_window_seconds),
        RedisFailureWindow(redis, f"{prefix}:login-addr", login_failures, login_window_seconds),
        redis,
    )
