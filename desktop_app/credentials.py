"""The sign-in token's place: the system keyring (Secret Service through `keyring`) or a file.

Signal and Element keep their secrets in the desktop's keyring; so does this app when one is
there. Without one (a server, CI, a desktop with no Secret Service) the token stays in the
profile's 0600 file. Every keyring call runs on a helper thread with a time bound: Secret
Service can block on D-Bus (a locked collection, a daemon that never answers), and the app
must never hang on it. After a failure or a timeout the keyring is not asked again in this
process. `keyring` is imported on first use only: it costs start-up time a new profile does
not need.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from desktop_app import APP_NAME

log = logging.getLogger(__name__)
T = TypeVar("T")

SERVICE = APP_NAME
# One keyring call (import and backend choice included). A Secret Service that answers does
# so in milliseconds; an unlock prompt the user has not answered by then means the file.
KEYRING_TIMEOUT_SECONDS = 3.0
# keyring's own scale: below 1 are backends it calls unsuitable (plaintext files, "fail").
MIN_PRIORITY = 1.0
# Set by a user (or a test) to choose a backend explicitly; then its priority is not judged.
BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
KEYRING = "keyring"
FILE = "file"


class KeyringUnavailable(Exception):
    """No usable keyring, or it failed or did not answer in time."""


_lock = threading.Lock()
_backend: Any = None
_backend_name: str | None = None
_broken: str | None = None  # why the keyring is not used in this process


def _bounded(call: Callable[[], T], what: str) -> T:
    """Run `call` on a daemon thread; give up after KEYRING_TIMEOUT_SECONDS."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"keyring-{what}", daemon=True)
    thread.start()
    thread.join(KEYRING_TIMEOUT_SECONDS)
    if thread.is_alive():
        raise KeyringUnavailable(f"the keyring did not answer within {KEYRING_TIMEOUT_SECONDS:g} s")
    if failure and isinstance(failure[0], KeyringUnavailable):
        raise failure[0]
    if failure:
        raise KeyringUnavailable(f"{type(failure[0]).__name__}: {failure[0]}") from failure[0]
    return result[0]


def _choose() -> tuple[Any, str]:
    import keyring
    from keyring.backends import chainer, fail

    # The environment is read each time (keyring's own choice is made once, at its import).
    backend = keyring.core.load_env() or keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if isinstance(backend, fail.Keyring):
        raise KeyringUnavailable("no keyring backend on this system")
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        raise KeyringUnavailable("no keyring backend on this system")
    if not os.environ.get(BACKEND_ENV) and backend.priority < MIN_PRIORITY:
        raise KeyringUnavailable(f"only an unsuitable keyring backend ({name})")
    return backend, name


def backend() -> Any:
    """The usable keyring backend; KeyringUnavailable (quickly, after the first time) if none."""
    global _backend, _backend_name, _broken
    with _lock:
        if _broken is not None:
            raise KeyringUnavailable(_broken)
        if _backend is None:
            try:
                _backend, _backend_name = _bounded(_choose, "choose")
            except KeyringUnavailable as exc:
                _broken = str(exc)
                log.info("token store: the profile's file (%s)", exc)
                raise
        return _backend


def _call(what: str, call: Callable[[Any], T]) -> T:
    """One keyring operation, bounded; a failure stops keyring use for this process."""
    global _broken
    chosen = backend()
    try:
        return _bounded(lambda: call(chosen), what)
    except KeyringUnavailable as exc:
        with _lock:
            _broken = str(exc)
        log.warning("keyring %s failed, using the profile's file from now on: %s", what, exc)
        raise


def store(account: str, token: str) -> None:
    """Put the token in the keyring (KeyringUnavailable if that cannot be done)."""
    _call("store", lambda b: b.set_password(SERVICE, account, token))


def load(account: str) -> str | None:
    """The token kept in the keyring for `account`, or None."""
    value = _call("load", lambda b: b.get_password(SERVICE, account))
    return value if isinstance(value, str) and value else None


def remove(account: str) -> None:
    """Delete the keyring's entry for `account` if there is one; never raises."""
    from_keyring = None
    try:
        from_keyring = load(account)
        if from_keyring is not None:
            _call("remove", lambda b: b.delete_password(SERVICE, account))
    except KeyringUnavailable as exc:
        if from_keyring is not None:
            log.warning("could not remove the token from the keyring: %s", exc)


def describe(where: str | None) -> str:
    """For Diagnostics: where a profile's token is kept (`where` is KEYRING, FILE or None)."""
    if where == KEYRING:
        return f"system keyring ({_backend_name or 'keyring'})"
    if where == FILE:
        try:
            backend()
        except KeyringUnavailable as exc:
            reason = f"; {exc}"
        else:
            reason = "; a keyring is available now, the next sign-in moves it there"
        return f"the profile's file, readable by you only{reason}"
    return "none (signed out)"


def forget_backend() -> None:
    """Choose the backend again on next use (after the environment changed)."""
    global _backend, _backend_name, _broken
    with _lock:
        _backend = _backend_name = _broken = None
