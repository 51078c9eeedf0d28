"""Registration, login, logout and token checks (with a short per-node cache of live tokens).

The cache is trusted only while this node's control-log follower is current
(`trust_cache_until`); otherwise every check reads the database, so a token revoked on
any node is refused here within the bound in docs/operations.md, Redis or not."""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from chat_server import errors
from chat_server.config import Settings
from chat_server.metrics import Metrics
from chat_server.ratelimit_shared import FailureWindow, LocalFailureWindow
from chat_server.security import Passwords, new_token, token_hash
from chat_server.services.fanout import Caller, Fanout
from chat_server.services.password_policy import check_new_password
from chat_server.storage import tokens, users
from chat_server.storage.db import Database
from chat_server.wire import UserDict, now_utc, user_dict

log = logging.getLogger(__name__)

LOGIN_WINDOW_SECONDS = 60.0
TOKEN_CACHE_MAX = 50_000
# Revoked tokens this node heard of, remembered for longer than a token check takes, so a
# check that read the token as live just before the revocation does not cache it after.
REVOKED_MEMORY_SECONDS = 300.0
LIVE_CHECK_BATCH = 1000


class AuthService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        fanout: Fanout,
        metrics: Metrics,
        *,
        failures_by_name: FailureWindow | None = None,
        failures_by_address: FailureWindow | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.fanout = fanout
        self.metrics = metrics
        self.passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
        limit = settings.login_failures_per_minute
        self._failures_by_name = failures_by_name or LocalFailureWindow(limit, LOGIN_WINDOW_SECONDS)
        self._failures_by_addr = failures_by_address or LocalFailureWindow(
            limit, LOGIN_WINDOW_SECONDS
        )
        self._cache: dict[str, tuple[Caller, float]] = {}
        self._revoked: dict[str, float] = {}
        # Until a control-log follower says otherwise (the `user add` command has none).
        self._cache_trusted_until = math.inf

    async def create_user(self, username: str, password: str, display_name: str | None) -> UserDict:
        """Store a new user; WeakPassword for a guessable password, UsernameTaken if the name
        exists. Every way in (register, `chat-server user add`) comes through here."""
        await check_new_password(password, username, display_name)
        password_hash = await self.passwords.hash(password)
        name = display_name if display_name is not None else username
        try:
            async with self.db.write() as conn:
                user_id = await users.insert_user(conn, username, name, password_hash, now_utc())
        except IntegrityError:
            raise errors.UsernameTaken(f"The username {username!r} is taken.") from None
        log.info("user registered", extra={"user_id": user_id})
        return {"id": user_id, "username": username, "display_name": name}

    async def register(
        self, username: str, password: str, display_name: str | None
    ) -> tuple[UserDict, str]:
        if not self.settings.registration_open:
            raise errors.RegistrationClosed("Registration is closed on this server.")
        user = await self.create_user(username, password, display_name)
        return user, await self._issue_token(user["id"])

    async def login(self, username: str, password: str, address: str) -> tuple[UserDict, str]:
        wait = max(
            await self._failures_by_name.retry_after(username),
            await self._failures_by_addr.retry_after(address),
        )
        if wait > 0:
            self.metrics.rejected_events.labels("login_rate_limited").inc()
            raise errors.RateLimited("Too many failed logins; try again later.", wait)
        async with self.db.read() as conn:
            row = await users.by_username(conn, username)
        ok = await self.passwords.verify(row.password_hash if row else None, password)
        if row is None or not ok:
            await self._failures_by_name.record(username)
            await self._failures_by_addr.record(address)
            log.info("login failed", extra={"address": address})
            raise errors.InvalidCredentials("Wrong username or password.")
        user = user_dict(row)
        return user, await self._issue_token(user["id"])

    async def _issue_token(self, user_id: int) -> str:
        token = new_token()
        now = now_utc()
        expires = now + timedelta(hours=self.settings.token_ttl_hours)
        async with self.db.write() as conn:
            await tokens.insert_token(conn, user_id, token_hash(token), now, expires)
        return token

    async def authenticate(self, token: str | None) -> Caller:
        """The caller a bearer token belongs to; Unauthorized if missing, unknown, expired or revoked."""
        if not token:
            raise errors.Unauthorized()
        digest = token_hash(token)
        cached = self._cache.get(digest)
        now = time.monotonic()
        if cached is not None and cached[1] > now and now < self._cache_trusted_until:
            return cached[0]
        async with self.db.read() as conn:
            row = await tokens.lookup(conn, digest, now_utc())
        if row is None or digest in self._revoked:
            self._cache.pop(digest, None)
            raise errors.Unauthorized("The token is unknown, expired or revoked.")
        caller = Caller(int(row.id), row.username, row.display_name, digest)
        if self.settings.token_cache_seconds > 0:
            if len(self._cache) >= TOKEN_CACHE_MAX:
                self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            remaining = (
                row.expires_at.replace(tzinfo=None) - now_utc().replace(tzinfo=None)
            ).total_seconds()
            self._cache[digest] = (
                caller,
                now + min(self.settings.token_cache_seconds, max(remaining, 0.0)),
            )
        return caller

    async def logout(self, caller: Caller) -> None:
        """Revoke the caller's token and disconnect every socket that used it."""
        async with self.db.write() as conn:
            await tokens.revoke(conn, caller.token_hash, now_utc())
        self.forget_token(caller.token_hash)
        await self.fanout.token_revoked(caller.token_hash)
        log.info("logged out", extra={"user_id": caller.id})

    async def live_tokens(self, digests: set[str]) -> set[str]:
        """Which of these token hashes are still live (for re-checking connected sockets)."""
        live: set[str] = set()
        batch = list(digests)
        for start in range(0, len(batch), LIVE_CHECK_BATCH):
            async with self.db.read() as conn:
                chunk = batch[start : start + LIVE_CHECK_BATCH]
                live |= await tokens.live_hashes(conn, chunk, now_utc())
        return live - self._revoked.keys()

    def forget_token(self, digest: str) -> None:
        """Drop a revoked token from this node's cache, and refuse it from now on."""
        self._cache.pop(digest, None)
        now = time.monotonic()
        if len(self._revoked) >= TOKEN_CACHE_MAX:
            self._revoked = {
                k: t for k, t in self._revoked.items() if now - t < REVOKED_MEMORY_SECONDS
            }
        self._revoked[digest] = now

    def is_revoked(self, digest: str) -> bool:
        """Whether this node heard the token was revoked (a socket connecting meanwhile)."""
        return digest in self._revoked

    def trust_cache_until(self, deadline: float) -> None:
        """The follower read the whole control log at `deadline - CACHE_TRUST_SECONDS`."""
        self._cache_trusted_until = deadline
