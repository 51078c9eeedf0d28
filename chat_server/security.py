"""Password hashing (argon2id, off the event loop), opaque bearer tokens stored as hashes, and
the one reader of a presented token (RFC 6750) for every route and the socket."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_BYTES = 32  # 256 bits of randomness
ADMIN_KEY_BYTES = 32
ARGON2_PARALLELISM = 4  # argon2-cffi's default lanes
# argon2 needs at least 8 KiB of memory per lane; less fails at the first hash.
ARGON2_MIN_MEMORY_KIB = 8 * ARGON2_PARALLELISM


class Passwords:
    """argon2id hashing run in a worker thread, so a login never stalls other clients."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=ARGON2_PARALLELISM,
            type=Type.ID,
        )
        # Verifying against this keeps "unknown user" as slow as "wrong password".
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(
            self._verify, password_hash or self._dummy_hash, password, password_hash is not None
        )

    def _verify(self, password_hash: str, password: str, real: bool) -> bool:
        try:
            self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return real


# RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token, the scheme case-insensitive
# (RFC 9110 section 11.1); b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)")
# Optional whitespace around a header value (RFC 9110 section 5.5); servers usually trim it.
_OWS = " \t"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value; None if absent or malformed."""
    if authorization is None:
        return None
    match = _BEARER.fullmatch(authorization.strip(_OWS))
    return match.group(1) if match else None


def presented_token(value: object) -> str | None:
    """A token given on its own (the socket's `auth.token`), if it has a token's syntax."""
    if isinstance(value, str) and _B64TOKEN.fullmatch(value):
        return value
    return None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its sha256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_admin_key() -> str:
    return secrets.token_urlsafe(ADMIN_KEY_BYTES)


def same_secret(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())
