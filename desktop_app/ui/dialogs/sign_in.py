"""The sign-in dialog: server, username, password, "create account"; errors next to the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from chat_protocol import limits
from desktop_app.net.errors import (
    ApiError,
    AuthError,
    Conflict,
    NotFoundError,
    RateLimited,
    ServerUnreachable,
    ValidationFailed,
)
from desktop_app.settings import Profile
from desktop_app.tasks import spawn
from desktop_app.ui.icons import icon
from desktop_app.ui.widgets.field import Field

if TYPE_CHECKING:
    from chat_protocol.models import AuthResponse, User

DEFAULT_SERVER_URL = "http://127.0.0.1:8000"
DIALOG_MIN_WIDTH = 480
# Error codes RestClient gives answers that are not the protocol's `{"error": …}` shape:
# whatever answered is not this app's server (a web server, an old build, a proxy page).
NOT_PROTOCOL_CODES = ("http_error", "bad_response")
# A proxy in front of a stopped server answers these itself.
GATEWAY_STATUSES = (502, 503, 504)


@dataclass(frozen=True)
class SignedIn:
    """What a successful sign-in hands to the app."""

    server_url: str
    token: str
    user: User
    instance_id: str | None = None  # the server's instance, when its answer names one


def normalise_url(text: str) -> str:
    """Trim, add http:// when no scheme was typed, drop a trailing slash."""
    url = text.strip().rstrip("/")
    if url and "://" not in url:
        url = "http://" + url
    return url


def remember_user(profile: Profile, signed: SignedIn) -> None:
    """Store server, user and token in the profile (the token file is the settings' business)."""
    profile.server_url = signed.server_url
    profile.username = signed.user.username
    profile.token = signed.token
    profile.instance_id = signed.instance_id
    profile.ui["last_user"] = signed.user.model_dump(mode="json")
    profile.save()


def remembered_name(profile: Profile) -> tuple[str, str] | None:
    """(display name, username) of the user last signed in with this profile, read without
    pydantic (for the first frame of their window); `cached_user` checks the whole record."""
    raw = profile.ui.get("last_user")
    if not isinstance(raw, dict):
        return None
    username, display_name = raw.get("username"), raw.get("display_name")
    if not isinstance(username, str) or not isinstance(display_name, str):
        return None
    return display_name, username


def cached_user(profile: Profile) -> User | None:
    """The user last signed in with this profile (to open offline with a saved token)."""
    raw = profile.ui.get("last_user")
    if not isinstance(raw, dict):
        return None
    from chat_protocol.models import User  # pydantic: not before the first window

    try:
        return User.model_validate(raw)
    except ValueError:
        return None


class SignInDialog(QDialog):
    """Emits `signed_in(SignedIn)` once the server accepted the credentials."""

    signed_in = Signal(object)

    def __init__(
        self, profile: Profile, parent: QWidget | None = None, server_url: str | None = None
    ) -> None:
        super().__init__(parent)
        self._profile = profile
        self._busy = False
        self.setWindowIcon(icon("app"))
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self._setup_ui()
        self.server.set_text(server_url or profile.server_url or DEFAULT_SERVER_URL)
        self.username.set_text(profile.username or "")
        (self.password.edit if profile.username else self.username.edit).setFocus()

    def _setup_ui(self) -> None:
        self.heading = heading = QLabel(self)
        heading.setObjectName("chatTitle")
        self.server = Field("http://host:port", self)
        self.username = Field("your username", self)
        self.password = Field("password", self)
        self.password.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.display_name = Field("how others see you (optional)", self)
        self.create_account = QCheckBox("Create a new account", self)
        self.create_account.toggled.connect(self._on_mode)
        self.form_error = QLabel(self)
        self.form_error.setObjectName("formError")
        self.form_error.setWordWrap(True)
        self.form_error.setTextFormat(Qt.TextFormat.PlainText)
        self.form_error.hide()
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Server:", self.server)
        form.addRow("Username:", self.username)
        form.addRow("Password:", self.password)
        self._display_label = QLabel("Display name:", self)
        form.addRow(self._display_label, self.display_name)
        form.addRow("", self.create_account)
        self._form = form
        self.buttons = QDialogButtonBox(self)
        self.submit_button = QPushButton("Sign in", self)
        self.submit_button.setDefault(True)
        self.buttons.addButton(self.submit_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        self._on_mode(False)

    def _on_mode(self, creating: bool) -> None:
        self.display_name.setVisible(creating)
        self._display_label.setVisible(creating)
        # Title, heading and button all say what the dialog is doing now.
        self.setWindowTitle(("Create account" if creating else "Sign in") + " — desktop-app")
        self.heading.setText(
            "Create an account on your chat server" if creating else "Sign in to your chat server"
        )
        self.submit_button.setText("Create account" if creating else "Sign in")
        self._clear_errors()
        # Rows and errors come and go: the dialog shrinks back rather than keep blank space.
        self._fit()

    def _clear_errors(self) -> None:
        for field in (self.server, self.username, self.password, self.display_name):
            field.set_error(None)
        self.form_error.hide()

    def _set_form_error(self, text: str) -> None:
        self.form_error.setText(text)
        self.form_error.show()

    # --- checks before asking the server ------------------------------------------------------

    def _local_problems(self) -> bool:
        ok = True
        url = normalise_url(self.server.text())
        if not re.match(r"^https?://[^/\s]+", url):
            self.server.set_error("Enter the server's address, like http://127.0.0.1:8000.")
            ok = False
        username = self.username.text().strip()
        creating = self.create_account.isChecked()
        if not username:
            self.username.set_error("Enter your username.")
            ok = False
        elif creating and not re.match(limits.USERNAME_PATTERN, username):
            self.username.set_error(
                f"Use {limits.USERNAME_MIN}–{limits.USERNAME_MAX} lowercase letters, digits, '_', '.' or '-'."
            )
            ok = False
        password = self.password.text()
        if not password:
            self.password.set_error("Enter your password.")
            ok = False
        elif creating and len(password) < limits.PASSWORD_MIN:
            self.password.set_error(f"A password needs at least {limits.PASSWORD_MIN} characters.")
            ok = False
        return ok

    # --- talking to the server -------------------------------------------------------------------

    def _fit(self) -> None:
        # A wrapped error label needs the dialog to grow, or its second line is clipped.
        QTimer.singleShot(0, self.adjustSize)

    def submit(self) -> None:
        if self._busy:
            return
        self._clear_errors()
        if not self._local_problems():
            self._fit()
            return
        self._set_busy(True)
        spawn(self._attempt(), name="sign-in")

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.submit_button.setEnabled(not busy)
        if busy:
            self.submit_button.setText(
                "Signing in…" if not self.create_account.isChecked() else "Creating…"
            )
        else:
            self._on_mode_text()

    def _on_mode_text(self) -> None:
        self.submit_button.setText(
            "Create account" if self.create_account.isChecked() else "Sign in"
        )

    async def _attempt(self) -> None:
        url = normalise_url(self.server.text())
        username = self.username.text().strip()
        if not self.create_account.isChecked():
            # Usernames are lowercase by protocol: "Alice" can only mean alice.
            username = username.lower()
        password = self.password.text()
        # The HTTP stack loads when it is first needed, not before the dialog is on screen.
        from desktop_app.net.rest import RestClient

        rest = RestClient(url)
        try:
            if self.create_account.isChecked():
                display = self.display_name.text().strip() or None
                response: AuthResponse = await rest.register(username, password, display)
            else:
                response = await rest.login(username, password)
        except ApiError as exc:
            self._show_error(url, exc)
            self._fit()
            return
        except Exception as exc:  # a bug or an odd server: say so rather than hang
            self._set_form_error(f"Signing in failed: {exc}")
            self._fit()
            return
        finally:
            self._set_busy(False)
            await rest.aclose()
        signed = SignedIn(url, response.token, response.user, response.instance_id)
        remember_user(self._profile, signed)
        self.signed_in.emit(signed)
        self.accept()

    def _show_error(self, url: str, exc: ApiError) -> None:
        code = exc.code
        if isinstance(exc, ServerUnreachable):
            self.server.set_error(
                f"Can't reach the server at {url}. Is it running, and is the address right?"
            )
        elif isinstance(exc, RateLimited):
            wait = max(1, round(exc.retry_after))
            self._set_form_error(f"Too many tries. Wait {wait} s and try again.")
        elif code in NOT_PROTOCOL_CODES and exc.status in GATEWAY_STATUSES:
            self.server.set_error(
                f"The server at {url} is not answering right now (HTTP {exc.status}); "
                "try again in a moment."
            )
        elif code in NOT_PROTOCOL_CODES:
            # Checked before the status codes: a web server's 401 or 409 says nothing about
            # this user's password or name.
            self.server.set_error(
                f"The server at {url} does not speak this app's protocol (v1): it is too old or not a chat server."
            )
        elif code == "invalid_credentials" or isinstance(exc, AuthError):
            self.password.set_error("Wrong username or password.")
        elif code == "username_taken" or isinstance(exc, Conflict):
            self.username.set_error("That username is taken; pick another or sign in instead.")
        elif code == "weak_password":
            # The server's sentence says why (common, a pattern, your own name) and what helps.
            self.password.set_error(exc.message)
        elif code == "registration_closed":
            self._set_form_error("This server does not accept new accounts. Ask its operator.")
        elif isinstance(exc, NotFoundError) or exc.status in (404, 405):
            self.server.set_error(
                f"The server at {url} does not speak this app's protocol (v1): it is too old or not a chat server."
            )
        elif isinstance(exc, ValidationFailed):
            self._set_form_error(exc.message)
        else:
            self._set_form_error(exc.message or f"The server answered {exc.status}.")
