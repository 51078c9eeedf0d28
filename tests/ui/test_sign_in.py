"""The sign-in dialog: errors in plain words next to the field; a saved token skips it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp
from desktop_app.settings import Profile
from desktop_app.ui.dialogs.sign_in import SignInDialog
from desktop_app.ui.main_window import MainWindow
from tests.support.server import PASSWORD, free_port, register, unique_name


def _dialog(qtbot: QtBot, profile: Profile, url: str) -> SignInDialog:
    dialog = SignInDialog(profile, server_url=url)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_wrong_password_is_said_next_to_the_password(
    server: Any, app_home: Any, qloop: Any, qtbot: QtBot, wait_for: Callable[..., None]
) -> None:
    name = unique_name("ui")
    register(server.url, name)
    dialog = _dialog(qtbot, Profile.load("signin"), server.url)
    dialog.username.set_text(name)
    dialog.password.set_text("not-the-password")
    dialog.submit()
    wait_for(lambda: dialog.password.error.isVisible())
    assert dialog.password.error.text() == "Wrong username or password."
    assert dialog.isVisible()


def test_unreachable_server_is_said_next_to_the_server_field(
    app_home: Any, qloop: Any, qtbot: QtBot, wait_for: Callable[..., None]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    dialog = _dialog(qtbot, Profile.load("signin"), url)
    dialog.username.set_text("someone")
    dialog.password.set_text("whatever-pass")
    dialog.submit()
    wait_for(lambda: dialog.server.error.isVisible())
    assert f"Can't reach the server at {url}" in dialog.server.error.text()


class _HtmlEverywhere(BaseHTTPRequestHandler):
    """A web site that answers every request with a page (status 200, HTML)."""

    def do_POST(self) -> None:
        body = b"<html><body>Welcome to my homepage</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


class _BadGateway(_HtmlEverywhere):
    """A reverse proxy whose chat server behind it is down."""

    def do_POST(self) -> None:
        self.send_error(502, "Bad Gateway")


class _QuietFiles(SimpleHTTPRequestHandler):
    """`python -m http.server`: POST is "501 Unsupported method"."""

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(params=[_QuietFiles, _HtmlEverywhere, _BadGateway])
def other_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, type]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", request.param
    httpd.shutdown()
    httpd.server_close()


def test_a_server_that_is_not_a_chat_server_is_said_next_to_the_server_field(
    other_server: tuple[str, type],
    app_home: Any,
    qloop: Any,
    qtbot: QtBot,
    wait_for: Callable[..., None],
) -> None:
    url, kind = other_server
    dialog = _dialog(qtbot, Profile.load("signin"), url)
    dialog.username.set_text("someone")
    dialog.password.set_text("whatever-pass")
    dialog.submit()
    wait_for(lambda: dialog.server.error.isVisible())
    said = dialog.server.error.text()
    if kind is _BadGateway:
        assert said.startswith(f"The server at {url} is not answering right now (HTTP 502)")
    else:
        assert said.startswith(f"The server at {url} does not speak this app's protocol")
    assert not dialog.form_error.isVisible()
    assert not dialog.password.error.isVisible()


def test_taken_username_when_creating_an_account(
    server: Any, app_home: Any, qloop: Any, qtbot: QtBot, wait_for: Callable[..., None]
) -> None:
    name = unique_name("ui")
    register(server.url, name)
    dialog = _dialog(qtbot, Profile.load("signin"), server.url)
    dialog.create_account.setChecked(True)
    assert dialog.display_name.isVisible()
    dialog.username.set_text(name)
    dialog.password.set_text("long-enough-password")
    dialog.submit()
    wait_for(lambda: dialog.username.error.isVisible())
    assert "taken" in dialog.username.error.text()
    # Checked before asking the server: a short password.
    dialog.username.set_text(unique_name("ui"))
    dialog.password.set_text("short")
    dialog.submit()
    assert "at least 8 characters" in dialog.password.error.text()


def test_a_common_password_is_refused_in_plain_words_next_to_the_password(
    server: Any, app_home: Any, qloop: Any, qtbot: QtBot, wait_for: Callable[..., None]
) -> None:
    dialog = _dialog(qtbot, Profile.load("signin"), server.url)
    dialog.create_account.setChecked(True)
    dialog.username.set_text(unique_name("ui"))
    dialog.password.set_text("password")
    dialog.submit()
    wait_for(lambda: dialog.password.error.isVisible())
    text = dialog.password.error.text()
    assert text.startswith("This password is too easy to guess."), text
    assert "common password" in text and "weak_password" not in text
    assert dialog.isVisible() and not dialog.form_error.isVisible()


def test_sign_in_remembers_server_and_user_and_a_saved_token_skips_the_dialog(
    server: Any,
    desktop: DesktopApp,
    qtbot: QtBot,
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
) -> None:
    name = unique_name("ui")
    register(server.url, name)
    dialog = desktop.ask_sign_in(Profile.load("remember"))
    dialog.server.set_text(server.url)
    dialog.username.set_text(name)
    dialog.password.set_text(PASSWORD)
    dialog.submit()
    wait_for(lambda: len(desktop.windows) == 1)
    window = desktop.windows[0]
    assert name in window.windowTitle()
    keep_alive = desktop.ask_sign_in(Profile.load("another"))  # the app stays up meanwhile
    window.close()
    wait_for(lambda: not desktop.windows)
    assert not desktop._quitting

    profile = Profile.load("remember")
    assert profile.server_url == server.url
    assert profile.username == name
    # The next start resumes the session without asking.
    again = arun(desktop.open_profile("remember"))
    assert isinstance(again, MainWindow)
    asking = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, SignInDialog) and w.isVisible() and w is not keep_alive
    ]
    assert asking == []
    # A fresh dialog for the profile fills in the last server and user.
    fresh = SignInDialog(profile)
    qtbot.addWidget(fresh)
    assert fresh.server.text() == server.url
    assert fresh.username.text() == name
    keep_alive.close()


def test_a_revoked_saved_token_brings_the_sign_in_dialog_back_and_the_window_continues(
    server: Any,
    desktop: DesktopApp,
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
) -> None:
    from desktop_app.app import sign_in_with_password
    from desktop_app.net.rest import RestClient
    from desktop_app.session.state import ConnState
    from desktop_app.ui.dialogs.sign_in import remember_user

    name = unique_name("ui")
    register(server.url, name)
    signed = arun(sign_in_with_password(server.url, name, PASSWORD))
    profile = Profile.load("revoked")
    remember_user(profile, signed)
    rest = RestClient(server.url, signed.token)
    arun(rest.logout())
    arun(rest.aclose())

    window = arun(desktop.open_profile("revoked"))
    assert isinstance(window, MainWindow)

    def asking() -> list[SignInDialog]:
        return [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, SignInDialog) and w.isVisible()
        ]

    wait_for(lambda: bool(asking()))
    dialog = asking()[0]
    assert "session has ended" in dialog.form_error.text()
    assert dialog.username.text() == name
    assert window.status.state_text() == "● Signed out"
    assert Profile.load("revoked").token is None

    dialog.password.set_text(PASSWORD)
    dialog.submit()
    wait_for(lambda: window.bridge.status.state is ConnState.LIVE)
    assert desktop.windows == [window]
    assert Profile.load("revoked").token not in (None, signed.token)


def test_a_username_typed_with_capitals_signs_in(
    server: Any, app_home: Any, qloop: Any, qtbot: QtBot, wait_for: Callable[..., None]
) -> None:
    name = unique_name("ui")
    register(server.url, name)
    dialog = _dialog(qtbot, Profile.load("signin"), server.url)
    signed: list[Any] = []
    dialog.signed_in.connect(signed.append)
    dialog.username.set_text(" " + name.capitalize())
    dialog.password.set_text(PASSWORD)
    dialog.submit()
    wait_for(lambda: bool(signed) or dialog.password.error.isVisible())
    assert not dialog.password.error.isVisible()
    assert signed[0].user.username == name
