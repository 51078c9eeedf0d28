"""The main window: group list and chat side by side, menus, shortcuts, status bar, title."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QHideEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QSplitter

from desktop_app.session.state import ConnectionStatus, ConnState
from desktop_app.settings import Profile
from desktop_app.ui.icons import icon
from desktop_app.ui.main_menus import MainMenus
from desktop_app.ui.preferences import Preferences
from desktop_app.ui.status import ConnectionStatusBar
from desktop_app.ui.theme import ThemeChoice
from desktop_app.ui.window_place import fit_to_screen
from desktop_app.ui.window_skeleton import WindowSkeleton

# The panes, dialogs and models below need the session stack (pydantic, the models): a
# signed-in profile's first window paints its skeleton without them, and `attach` loads
# them after that first paint (see `_load_parts` and app.run_app).
if TYPE_CHECKING:
    from chat_protocol.models import Group, Message
    from desktop_app.models.bridge import MUTE_INTENT, SessionBridge
    from desktop_app.models.group_list_model import GroupRoles
    from desktop_app.session.attachments import PendingFile
    from desktop_app.session.session import Undeliverable
    from desktop_app.ui.chat_pane import ChatPane
    from desktop_app.ui.composer.composer import join_draft
    from desktop_app.ui.composer.mention_completer import Candidate, candidates
    from desktop_app.ui.dialogs.diagnostics import DiagnosticsWindow
    from desktop_app.ui.dialogs.sign_out_prompt import ask_sign_out
    from desktop_app.ui.dialogs.undeliverable import UndeliverableDialog
    from desktop_app.ui.files.actions import FileActions
    from desktop_app.ui.groups.group_dialogs import (
        AddMemberDialog,
        LeaveGroupDialog,
        NewGroupDialog,
    )
    from desktop_app.ui.groups.group_list import GroupListPanel
    from desktop_app.ui.groups.group_steps import next_group, next_unread
    from desktop_app.ui.groups.quick_switcher import QuickSwitcher
    from desktop_app.ui.message_actions import MessageActions
    from desktop_app.ui.search.search_window import SearchWindow


def _load_parts() -> None:
    """Import the window's panes and dialogs into this module (once; cheap after that)."""
    global GroupRoles, ChatPane, join_draft, DiagnosticsWindow, ask_sign_out
    global UndeliverableDialog, AddMemberDialog, LeaveGroupDialog, NewGroupDialog
    global GroupListPanel, next_group, next_unread, QuickSwitcher, MessageActions, SearchWindow
    global FileActions, candidates, MUTE_INTENT
    from desktop_app.models.bridge import MUTE_INTENT
    from desktop_app.models.group_list_model import GroupRoles
    from desktop_app.ui.chat_pane import ChatPane
    from desktop_app.ui.composer.composer import join_draft
    from desktop_app.ui.composer.mention_completer import candidates
    from desktop_app.ui.dialogs.diagnostics import DiagnosticsWindow
    from desktop_app.ui.dialogs.sign_out_prompt import ask_sign_out
    from desktop_app.ui.dialogs.undeliverable import UndeliverableDialog
    from desktop_app.ui.files.actions import FileActions
    from desktop_app.ui.groups.group_dialogs import (
        AddMemberDialog,
        LeaveGroupDialog,
        NewGroupDialog,
    )
    from desktop_app.ui.groups.group_list import GroupListPanel
    from desktop_app.ui.groups.group_steps import next_group, next_unread
    from desktop_app.ui.groups.quick_switcher import QuickSwitcher
    from desktop_app.ui.message_actions import MessageActions
    from desktop_app.ui.search.search_window import SearchWindow


APP_TITLE = "desktop-app"
DEFAULT_SIZE = (1000, 680)
# Below this the chat shows only a line or two between its header and the composer.
MIN_SIZE = (560, 420)
SPLITTER_DEFAULT = [290, 710]
# Drafts and layout are written to the profile at most this often.
SAVE_DELAY_MS = 800
REFRESH_DELAY_MS = 50
NO_MESSAGES_HINT = "No messages here yet. Say hello below."
CLOSED_CHAT_TEXT = "Pick a group on the left (Ctrl+K finds one by name)."


class WindowHost(Protocol):
    """What a main window asks of the application (app.py implements it)."""

    def new_window(self, window: MainWindow) -> None: ...
    def new_window_other_user(self, window: MainWindow) -> None: ...
    def sign_out(self, window: MainWindow) -> None: ...
    def quit(self) -> None: ...
    def set_theme(self, choice: ThemeChoice) -> None: ...
    def theme_choice(self) -> ThemeChoice: ...
    def notify_message(self, window: MainWindow, group_id: int, message: Message) -> None: ...
    def window_closed(self, window: MainWindow) -> None: ...
    def preferences(self) -> Preferences: ...
    def set_preferences(self, preferences: Preferences) -> None: ...
    def has_tray(self) -> bool: ...


def window_title(group: str | None, user: str, unread: int) -> str:
    """ "(3) Team — Alice (alice) — desktop-app": the unread total, group on screen, signed-in user."""
    parts = [group] if group else []
    parts += [user, APP_TITLE]
    title = " — ".join(parts)
    return f"({unread}) {title}" if unread else title


class MainWindow(QMainWindow):
    """One window on one session; several windows may share a session."""

    group_changed = Signal(object)  # int | None

    def __init__(
        self,
        bridge: SessionBridge | None,
        profile: Profile,
        host: WindowHost,
        *,
        identity: tuple[str, str, str] = ("", "", ""),
    ) -> None:
        """A window on `bridge`; with None, its first frame only (menus, status bar, the
        panes' outline, the saved geometry), painted before the session stack loads, with
        `identity` (server url, display name, username) in its title and status bar;
        `attach` then builds the rest."""
        super().__init__()
        self.attached = False
        self.profile = profile
        self._host = host
        self._group_id: int | None = None
        self._left_group = False  # "You left that group." stays until another group opens
        self._diagnostics: DiagnosticsWindow | None = None
        self._switcher: QuickSwitcher | None = None
        self.search_window: SearchWindow | None = None
        self._leave_dialog: LeaveGroupDialog | None = None
        self.undeliverable_dialog: UndeliverableDialog | None = None
        self.sign_out_box: QMessageBox | None = None
        self._pick_pending = False
        self._successor: int | None = None  # opens when the group on screen goes away
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.profile.save)
        # Header and title follow the group list at most once per frame, not per message.
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self._refresh_now)
        self.setWindowIcon(icon("app"))
        self.status = ConnectionStatusBar(self)
        self.setStatusBar(self.status)
        self.status.set_status(ConnectionStatus(ConnState.OFFLINE))
        self.menus = MainMenus(self, self._host)
        self.new_window_action = self.menus.new_window_action
        self.add_member_action = self.menus.add_member_action
        self.leave_group_action = self.menus.leave_group_action
        self.theme_actions = self.menus.theme_actions
        self._setup_shortcuts()
        self.setMinimumSize(*MIN_SIZE)
        self.resize(*DEFAULT_SIZE)
        self._restore_geometry()
        if bridge is not None:
            self.attach(bridge)
            return
        # The first frame: the panes' outline until `attach`.
        saved = self.profile.ui.get("window")
        splitter = saved.get("splitter") if isinstance(saved, dict) else None
        skeleton = WindowSkeleton(self, splitter if isinstance(splitter, str) else None)
        if not isinstance(splitter, str):
            skeleton.setSizes(SPLITTER_DEFAULT)
        self.setCentralWidget(skeleton)
        server_url, display_name, username = identity
        self.status.set_identity(server_url, f"{display_name} (@{username})")
        self.setWindowTitle(window_title(None, f"{display_name} ({username})", 0))
        for action in (self.add_member_action, self.leave_group_action):
            action.setEnabled(False)

    def attach(self, bridge: SessionBridge) -> None:
        """Build the panes on `bridge`, in place of the first frame's outline."""
        _load_parts()
        self.bridge = bridge
        self._setup_ui()
        self._connect_bridge()
        self._restore_splitter()
        self._update_title()
        self._pick_initial_group()
        self._sync_group_actions()
        self.attached = True
        self._update_reading()

    # --- building ------------------------------------------------------------------------------

    def _setup_ui(self) -> None:
        self.groups = GroupListPanel(self)
        self.groups.set_model(self.bridge.groups)
        self.chat = ChatPane(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.groups)
        self.splitter.addWidget(self.chat)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.splitter.setSizes(SPLITTER_DEFAULT)
        self.splitter.splitterMoved.connect(lambda *_: self._schedule_layout_save())
        self.setCentralWidget(self.splitter)
        user = self.bridge.user
        self.status.set_identity(self.bridge.server_url, f"{user.display_name} (@{user.username})")
        self.status.set_status(self.bridge.status)
        self.status.diagnostics_requested.connect(self.show_diagnostics)
        self.groups.group_selected.connect(self.open_group)
        self.groups.new_group_requested.connect(self.new_group)
        self.groups.add_member_requested.connect(self.add_member)
        self.groups.leave_requested.connect(self.leave_group)
        self.groups.mute_requested.connect(lambda gid, muted: self.bridge.request_mute(gid, muted))
        composer = self.chat.composer
        composer.send_requested.connect(self._on_send)
        composer.files_send_requested.connect(self._on_send_files)
        composer.typing.connect(self._on_typing)
        composer.draft_changed.connect(self._on_draft_changed)
        composer.mentions.set_source(self._mention_candidates)
        self.chat.view.retry_requested.connect(self.bridge.retry)
        self.chat.view.discard_requested.connect(self._on_discard)
        self.chat.view.seen.connect(self._on_seen)
        self.message_actions = MessageActions(
            self, self.bridge, self.chat, lambda: self._group_id, self._refresh_header
        )
        self.file_actions = FileActions(self, self.bridge, self.chat.view)

    def show_theme_choice(self, choice: ThemeChoice) -> None:
        """Tick the theme in this window's menu (the choice may come from another window)."""
        self.menus.show_theme_choice(choice)

    def _setup_shortcuts(self) -> None:
        esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        esc.setContext(Qt.ShortcutContext.WindowShortcut)
        esc.activated.connect(self.on_escape)

    def on_escape(self) -> None:
        """Esc undoes one thing at a time, as in Telegram: an edit or a reply being written, a group filter, a selection of
        messages, a scrolled-up chat (back to the newest); then it closes the open chat."""
        view = self.chat.view
        if self.chat.composer.cancel_mode():
            pass  # editing or replying ends first
        elif self.groups.filter_edit.text():
            self.groups.filter_edit.clear()
        elif view.selectionModel() is not None and view.selectionModel().hasSelection():
            view.clearSelection()
        elif not view.is_pinned:
            view.scroll_to_newest()
        elif self._group_id is not None:
            self.close_group()

    def close_group(self) -> None:
        """Show no group: nothing is on screen, so nothing more is read."""
        self._store_draft()
        self._group_id = None
        self.chat.view.show_model(None)
        self.chat.composer.set_group(None)
        self.chat.show_empty(CLOSED_CHAT_TEXT)
        self.groups.select_group(None)
        self.bridge.set_active_group(None)
        self._sync_group_actions()
        self._update_reading()
        self._update_title()
        self.group_changed.emit(None)

    def _bridge_connections(self) -> list[tuple[Any, Any]]:
        b = self.bridge
        return [
            (b.status_changed, self._on_status),
            (b.typing, self._on_typing_notice),
            (b.message_received, self._on_message_received),
            (b.group_added, self._on_group_added),
            (b.group_removed, self._on_group_removed),
            (b.undeliverable, self._on_undeliverable),
            (b.intent_failed, self._on_intent_failed),
            (b.groups.rowsAboutToBeRemoved, self._on_groups_about_to_be_removed),
            (b.groups.total_unread_changed, self._on_groups_data_changed),
            (b.groups.dataChanged, self._on_groups_data_changed),
            (b.groups.rowsInserted, self._pick_initial_group),
            (b.groups.modelReset, self._pick_initial_group),
        ]

    def _connect_bridge(self) -> None:
        for signal, slot in self._bridge_connections():
            signal.connect(slot)
        for notice in self.bridge.take_undelivered():
            self._on_undeliverable(notice)

    def _disconnect_bridge(self) -> None:
        # A shared session outlives this window: nothing of it may call into a closed window.
        for signal, slot in self._bridge_connections():
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

    # --- layout memory -----------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        saved = self.profile.ui.get("window")
        geometry = saved.get("geometry") if isinstance(saved, dict) else None
        if not isinstance(geometry, str) or not self.restoreGeometry(
            QByteArray.fromBase64(geometry.encode())
        ):
            fit_to_screen(self, DEFAULT_SIZE)

    def _restore_splitter(self) -> None:
        saved = self.profile.ui.get("window")
        splitter = saved.get("splitter") if isinstance(saved, dict) else None
        if isinstance(splitter, str):
            self.splitter.restoreState(QByteArray.fromBase64(splitter.encode()))

    def _store_layout(self) -> None:
        self.profile.ui["window"] = {
            "geometry": bytes(self.saveGeometry().toBase64().data()).decode(),
            "splitter": bytes(self.splitter.saveState().toBase64().data()).decode(),
        }

    def _schedule_layout_save(self) -> None:
        self._store_layout()
        self._save_timer.start()

    # --- groups -----------------------------------------------------------------------------

    @property
    def current_group(self) -> int | None:
        return self._group_id

    def _group_index(self, group_id: int) -> QModelIndex | None:
        row = self.bridge.groups.row_of(group_id)
        return None if row is None else self.bridge.groups.index(row, 0)

    def _pick_initial_group(self, *_args: object) -> None:
        # Groups arrive one row at a time (cache, then server list): pick once the batch is
        # in, so the group open at the last quit wins over whichever came first.
        if self._group_id is not None:
            return
        if self.bridge.groups.rowCount() == 0:
            self._pick_initial_now()  # nothing to pick: say why at once
        elif not self._pick_pending:
            self._pick_pending = True
            QTimer.singleShot(0, self._pick_initial_now)

    def _pick_initial_now(self) -> None:
        self._pick_pending = False
        if self._group_id is not None:
            return
        last = self.profile.ui.get("last_group")
        if isinstance(last, int) and self.bridge.groups.row_of(last) is not None:
            self.open_group(last)
            return
        first = self.bridge.groups.group_id_at(0)
        if first is not None:
            self.open_group(first)
        else:
            self.chat.show_empty(self._no_group_text())

    def _no_group_text(self) -> str:
        # Groups are listed once the session reached the server: until then an empty list
        # means "not loaded yet", not "you have none".
        if self.bridge.status.state is ConnState.LIVE:
            return "No groups yet. Create one with New group (Ctrl+Shift+N)."
        return (
            f"Waiting for the server at {self.bridge.server_url}: your groups appear here "
            "once connected (see the status bar)."
        )

    def open_group(self, group_id: int) -> None:
        """Show a group: its model (kept for the session), its draft, its header."""
        index = self._group_index(group_id)
        if index is None:
            return
        if self._group_id == group_id:
            self.chat.composer.edit.setFocus()
            return
        self._store_draft()
        self._group_id = group_id
        self._left_group = False
        self.profile.ui["last_group"] = group_id
        self._save_timer.start()
        self.chat.view.show_model(
            self.bridge.message_model(group_id),
            self.bridge.last_read_seq(group_id),
            self.bridge.groups.unread(group_id),
        )
        name = str(index.data(GroupRoles.NAME) or "")
        self.chat.composer.set_group(group_id, self._draft(group_id), name)
        self.message_actions.open_group(group_id, name)
        self._refresh_header()
        self.groups.select_group(group_id)
        # With a shared session the focused window decides which group counts as read;
        # with no window focused (start-up, tests) the one acting on it does.
        if self.isActiveWindow() or QApplication.activeWindow() is None:
            self.bridge.set_active_group(group_id)
        self._update_title()
        self._update_reading()
        self.chat.composer.edit.setFocus()
        self._sync_group_actions()
        self.group_changed.emit(group_id)

    def _sync_group_actions(self) -> None:
        # "Add member" acts on the group on screen: with none open it would do nothing.
        has_group = self._group_id is not None
        self.groups.add_button.setEnabled(has_group)
        self.add_member_action.setEnabled(has_group)
        self.leave_group_action.setEnabled(has_group)

    def _refresh_header(self) -> None:
        if self._group_id is None:
            return
        index = self._group_index(self._group_id)
        if index is None:
            return
        name = str(index.data(GroupRoles.NAME) or "")
        # The members panel's live list when loaded, else the group list's count.
        live = self.message_actions.member_count(self._group_id)
        members = live if live is not None else int(index.data(GroupRoles.MEMBER_COUNT) or 0)
        noun = "member" if members == 1 else "members"
        self.chat.show_chat(self._group_id, name, f"{members} {noun}")
        # Only a group whose list row has no last message is really empty; any other empty
        # chat is still loading its history.
        empty = not index.data(GroupRoles.PREVIEW)
        self.chat.view.set_empty_hint(NO_MESSAGES_HINT if empty else "")

    def current_group_name(self) -> str | None:
        if self._group_id is None:
            return None
        index = self._group_index(self._group_id)
        return None if index is None else str(index.data(GroupRoles.NAME) or "")

    def _on_groups_data_changed(self, *args: object) -> None:
        # At once: what the chat may count as read depends on the marker as it is now.
        self._sync_unread()
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh_now(self) -> None:
        self._refresh_header()
        self._update_title()
        self._sync_unread()

    def _sync_unread(self) -> None:
        """The chat's ↓ button and "New messages" line follow the group's unread count."""
        gid = self._group_id
        if gid is None:
            return
        self.chat.view.set_unread(
            self.bridge.groups.unread(gid),
            self.bridge.last_read_seq(gid),
            self.bridge.first_unread(gid),
        )

    # --- reading ------------------------------------------------------------------------------

    def is_reading(self) -> bool:
        """Whether the user can see this window's chat: shown, active and not minimised."""
        return (
            self._group_id is not None
            and self.isVisible()
            and self.isActiveWindow()
            and not self.isMinimized()
        )

    def _update_reading(self) -> None:
        if not self.attached:
            return  # the first frame: no chat yet
        self.chat.view.set_reading(self.is_reading())

    def _on_seen(self, group_id: int, seq: int) -> None:
        # A message is read once its row was in view of a user who could see it.
        if group_id == self._group_id and self.is_reading():
            self.bridge.mark_seen(group_id, seq)

    def _on_group_added(self, _group_id: int) -> None:
        self._pick_initial_group()  # nothing open yet: the remembered group, else the first

    def _on_groups_about_to_be_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        # The group that takes the place of the one on screen: the next one down the list as
        # shown, else the one above (known only while the row is still there).
        model = self.bridge.groups
        leaving = {model.group_id_at(row) for row in range(first, last + 1)}
        if self._group_id not in leaving:
            return
        ids = self.groups.visible_group_ids()
        if self._group_id not in ids:
            ids = [
                g for g in (model.group_id_at(r) for r in range(model.rowCount())) if g is not None
            ]
        position = ids.index(self._group_id) if self._group_id in ids else 0
        after = [g for g in ids[position + 1 :] if g not in leaving]
        before = [g for g in reversed(ids[:position]) if g not in leaving]
        self._successor = next(iter(after + before), None)

    def _on_group_removed(self, group_id: int) -> None:
        if self._group_id == group_id:
            successor, self._successor = self._successor, None
            self._group_id = None
            self.chat.view.show_model(None)
            self.chat.composer.set_group(None)
            if successor is not None:
                self.open_group(successor)
            else:
                self._pick_initial_now()
            if self._group_id is None:
                self._left_group = True
                self.chat.show_empty("You left that group.")
            self._sync_group_actions()
            self._update_reading()
        self._update_title()

    def confirm_sign_out(self) -> None:
        """Sign out, after asking when messages are still waiting to be sent."""
        waiting = self.bridge.outbox_length
        if not waiting:
            self._host.sign_out(self)
            return
        self.sign_out_box = ask_sign_out(
            self, waiting, self.bridge.user.username, lambda: self._host.sign_out(self)
        )

    def _on_undeliverable(self, notice: Undeliverable) -> None:
        # Every window of the session hears it; the first one still open shows it, once.
        if notice.shown:
            return
        notice.shown = True
        if notice in self.bridge.undelivered:
            self.bridge.undelivered.remove(notice)
        self.undeliverable_dialog = UndeliverableDialog(notice, self)
        self.undeliverable_dialog.show()

    def step_group(self, step: int) -> None:
        target = next_group(self.groups.visible_group_ids(), self._group_id, step)
        if target is not None:
            self.open_group(target)

    def step_unread(self, step: int) -> None:
        ids = self.groups.visible_group_ids()
        target = next_unread(ids, self._group_id, step, self.groups.unread_of)
        if target is not None:
            self.open_group(target)

    # --- composing ------------------------------------------------------------------------------

    def _drafts(self) -> dict[str, str]:
        drafts = self.profile.ui.get("drafts")
        if not isinstance(drafts, dict):
            drafts = {}
            self.profile.ui["drafts"] = drafts
        return drafts

    def _draft(self, group_id: int) -> str:
        return str(self._drafts().get(str(group_id), ""))

    def _store_draft(self) -> None:
        if self._group_id is not None:
            self._on_draft_changed(self._group_id, self.chat.composer.draft())

    def _on_draft_changed(self, group_id: int, text: str) -> None:
        drafts = self._drafts()
        if text:
            drafts[str(group_id)] = text
        else:
            drafts.pop(str(group_id), None)
        self._save_timer.start()

    def _on_send(self, body: str) -> None:
        if self._group_id is None:
            return
        self.bridge.send(self._group_id, body)
        self.chat.view.scroll_to_newest()

    def _on_send_files(self, body: str, files: list[PendingFile], reply_to: int | None) -> None:
        if self._group_id is None:
            return
        try:
            self.bridge.send(self._group_id, body, reply_to, files)
        except OSError as exc:  # a file could not be copied into the profile: nothing queued
            self.chat.composer.files.refused(files, body, str(exc))
            return
        self.chat.view.scroll_to_newest()

    def _on_discard(self, client_msg_id: str) -> None:
        # Nothing the user typed is lost: the text goes back where it can be edited and resent.
        item = self.bridge.discard(client_msg_id)
        if item is None:
            return
        if item.group_id == self._group_id:
            self.chat.composer.give_back(item.body)
            return
        self._on_draft_changed(item.group_id, join_draft(self._draft(item.group_id), item.body))

    def _on_typing(self) -> None:
        if self._group_id is not None:
            self.bridge.notify_typing(self._group_id)

    def _on_typing_notice(self, group_id: int, name: str) -> None:
        self.chat.typing.note(group_id, name)
        self.chat.refresh_typing()

    # --- status, notifications, title ------------------------------------------------------------

    def _on_status(self, status: ConnectionStatus) -> None:
        self.status.set_status(status)
        if self._group_id is None and not self._left_group:
            self._pick_initial_group()  # the empty state says why the list is empty

    def _on_message_received(self, group_id: int, message: Message) -> None:
        # A message from someone ends their "typing…".
        self.chat.typing.clear(group_id, message.sender.display_name)
        self.chat.typing.clear(group_id, message.sender.username)
        self.chat.refresh_typing()
        self._host.notify_message(self, group_id, message)

    def _update_title(self) -> None:
        user = self.bridge.user
        who = f"{user.display_name} ({user.username})"
        self.setWindowTitle(
            window_title(self.current_group_name(), who, self.bridge.groups.total_unread())
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        kind = event.type()
        if not self.attached:
            return
        if kind == QEvent.Type.ActivationChange and self.isActiveWindow():
            # With a shared session, the focused window decides which group is on screen.
            self.bridge.set_active_group(self._group_id)
        if kind in (QEvent.Type.ActivationChange, QEvent.Type.WindowStateChange):
            self._update_reading()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_reading()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._update_reading()

    def is_showing(self, group_id: int) -> bool:
        """Whether a person looking at this window sees `group_id` right now."""
        return self._group_id == group_id and self.is_reading()

    # --- dialogs -----------------------------------------------------------------------------------

    def show_diagnostics(self) -> None:
        if self._diagnostics is None:
            self._diagnostics = DiagnosticsWindow(self.bridge)
        self._diagnostics.show()
        self._diagnostics.raise_()
        self._diagnostics.activateWindow()

    def show_switcher(self) -> None:
        self._switcher = QuickSwitcher(self.bridge.groups, self)
        self._switcher.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._switcher.chosen.connect(self._on_switcher_chosen)
        geo = self.geometry()
        self._switcher.move(geo.center().x() - self._switcher.width() // 2, geo.top() + 80)
        self._switcher.show()
        self._switcher.input.setFocus()

    def show_search(self, all_groups: bool) -> None:
        """Ctrl+F searches the open group (all groups when none is open), Ctrl+Shift+F all."""
        group_id = None if all_groups else self._group_id
        if self.search_window is not None:  # one search window at a time
            self.search_window.close()
            self.search_window.deleteLater()
        window = SearchWindow(
            self.bridge.search_messages,
            group_id,
            self.current_group_name() if group_id else None,
            self,
        )
        window.chosen.connect(self._on_search_chosen)
        self.search_window = window
        window.show()
        window.input.setFocus()

    def _on_search_chosen(self, group_id: int, message_id: int) -> None:
        self.open_group(group_id)
        if self._group_id == group_id:
            self.chat.view.jumper.jump_to(message_id)

    def _on_switcher_chosen(self, group_id: int) -> None:
        # Focus returns to this window (a closed popup does not always hand it back).
        self.activateWindow()
        self.open_group(group_id)
        self.chat.composer.edit.setFocus()

    def new_group(self) -> None:
        dialog = NewGroupDialog(self.bridge, self)
        dialog.created.connect(lambda group: self._after_group_created(group))
        dialog.open()

    def _after_group_created(self, group: Group) -> None:
        # The model learns of the group via the bridge; open it once it is listed.
        if self.bridge.groups.row_of(group.id) is not None:
            self.open_group(group.id)
        else:
            QTimer.singleShot(300, lambda: self.open_group(group.id))

    def add_member(self) -> None:
        if self._group_id is None:
            return
        dialog = AddMemberDialog(self.bridge, self._group_id, self.current_group_name() or "", self)
        dialog.open()

    def _on_intent_failed(self, group_id: int, kind: str, reason: str) -> None:
        """A mute the server refused (offline, say) is told where it was asked for; other
        kinds show on their message row."""
        if kind != MUTE_INTENT or not self.isActiveWindow():
            return
        name = self.bridge.session.sync.group_name(group_id)
        box = QMessageBox(QMessageBox.Icon.Warning, "Mute", f"{name}: {reason}", parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _mention_candidates(self) -> list[Candidate]:
        """Who the composer's `@` offers: the open group's members but oneself."""
        if self._group_id is None:
            return []
        members = self.bridge.session.members(self._group_id).ordered()
        return candidates(members, self.bridge.user.id)

    def leave_group(self, group_id: int | None = None) -> None:
        """Ask before leaving a group (the one on screen unless another is named)."""
        target = group_id if group_id is not None else self._group_id
        if target is None:
            return
        index = self._group_index(target)
        if index is None:
            return
        name = str(index.data(GroupRoles.NAME) or "")
        self._leave_dialog = LeaveGroupDialog(self.bridge, target, name, self)
        self._leave_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._leave_dialog.open()

    # --- closing ----------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.attached:
            self._store_draft()
            self._store_layout()
            self.profile.save()
            if self._diagnostics is not None:
                self._diagnostics.stop()
                self._diagnostics.close()
            if self.search_window is not None:  # its hits belong to this window's session
                self.search_window.close()
                self.search_window.deleteLater()
                self.search_window = None
            self._disconnect_bridge()
        super().closeEvent(event)
        if self.attached:
            self._host.window_closed(self)
