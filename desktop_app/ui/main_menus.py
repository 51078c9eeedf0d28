"""The main window's menu bar: File, Go, View and Help, with icons drawn in the theme's colours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from desktop_app.ui import theme
from desktop_app.ui.icons import menu_icon
from desktop_app.ui.theme import ThemeChoice

if TYPE_CHECKING:
    from desktop_app.ui.dialogs.about_window import AboutWindow
    from desktop_app.ui.dialogs.settings_window import SettingsWindow
    from desktop_app.ui.main_window import MainWindow, WindowHost


class MainMenus:
    """Builds one main window's menus; keeps the actions the window enables and ticks."""

    def __init__(self, window: MainWindow, host: WindowHost) -> None:
        self._window = window
        self._host = host
        self._menu_icons: list[tuple[QAction, str]] = []
        self.theme_actions: dict[ThemeChoice, QAction] = {}
        self.settings_window: SettingsWindow | None = None
        self.about_window: AboutWindow | None = None
        self._build()
        self.apply_icons()
        manager = theme.manager()
        if manager is not None:
            manager.changed.connect(self.apply_icons)

    def _build(self) -> None:
        w, host = self._window, self._host
        bar = w.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_window_action = self._action(
            file_menu,
            "New &Window",
            "new-window",
            QKeySequence.StandardKey.New,
            lambda: host.new_window(w),
        )
        self._action(
            file_menu,
            "New Window as &Another User…",
            "new-window",
            None,
            lambda: host.new_window_other_user(w),
        )
        file_menu.addSeparator()
        self._action(file_menu, "New &Group…", "new-group", "Ctrl+Shift+N", w.new_group)
        self.add_member_action = self._action(
            file_menu, "&Add Member…", "add-member", None, w.add_member
        )
        self.leave_group_action = self._action(
            file_menu, "&Leave Group…", "leave-group", None, w.leave_group
        )
        file_menu.addSeparator()
        self._action(file_menu, "Sign &Out", None, None, w.confirm_sign_out)
        self._action(file_menu, "&Close Window", None, QKeySequence.StandardKey.Close, w.close)
        self._action(file_menu, "&Quit", "quit", QKeySequence.StandardKey.Quit, host.quit)
        go = bar.addMenu("&Go")
        self._action(go, "Quick &Switcher…", "search", "Ctrl+K", w.show_switcher)
        self._action(go, "&Previous Group", None, "Alt+Up", lambda: w.step_group(-1))
        self._action(go, "&Next Group", None, "Alt+Down", lambda: w.step_group(1))
        self._action(go, "Previous &Unread Group", None, "Alt+Shift+Up", lambda: w.step_unread(-1))
        self._action(go, "Next Unread &Group", None, "Alt+Shift+Down", lambda: w.step_unread(1))
        self._action(
            go,
            "Jump to &Newest Message",
            "arrow-down",
            None,
            lambda: w.chat.view.scroll_to_newest(),
        )
        self._action(go, "&Filter Groups", "search", "Ctrl+Alt+F", lambda: w.groups.focus_filter())
        self._action(go, "Search in &Group…", "search", "Ctrl+F", lambda: w.show_search(False))
        self._action(
            go, "Search &All Groups…", "search", "Ctrl+Shift+F", lambda: w.show_search(True)
        )
        view = bar.addMenu("&View")
        theme_menu = view.addMenu("&Theme")
        self._menu_icons.append((theme_menu.menuAction(), "sun"))
        self._theme_group = QActionGroup(w)
        current = host.theme_choice()
        for choice, label in (
            (ThemeChoice.SYSTEM, "Follow the &System"),
            (ThemeChoice.LIGHT, "&Light"),
            (ThemeChoice.DARK, "&Dark"),
        ):
            # No icon: with one, styles show "checked" as a faint frame around it instead of
            # a radio mark, and the current theme is hard to see.
            action = theme_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(choice is current)
            action.triggered.connect(lambda _c=False, ch=choice: host.set_theme(ch))
            self._theme_group.addAction(action)
            self.theme_actions[choice] = action
        self._action(view, "&Diagnostics…", "diagnostics", "Ctrl+Shift+D", w.show_diagnostics)
        view.addSeparator()
        self.settings_action = self._action(
            view, "&Settings…", "settings", QKeySequence.StandardKey.Preferences, self.show_settings
        )
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        help_menu = bar.addMenu("&Help")
        self.about_action = self._action(
            help_menu, "&About desktop-app", None, None, self.show_about
        )

    def show_settings(self) -> SettingsWindow:
        """View → Settings: one window per main window, raised when open."""
        from desktop_app.ui.dialogs.settings_window import SettingsWindow

        w = self._window
        if self.settings_window is None:
            self.settings_window = SettingsWindow(
                self._host, w.bridge.server_url, w.confirm_sign_out, w
            )
        _raise(self.settings_window)
        return self.settings_window

    def show_about(self) -> AboutWindow:
        """Help → About: versions (the server's asked again) and licences."""
        from desktop_app.ui.dialogs.about_window import AboutWindow

        if self.about_window is None:
            self.about_window = AboutWindow(self._window.bridge.server_url, self._window)
        self.about_window.ask_server()
        _raise(self.about_window)
        return self.about_window

    def apply_icons(self, *_args: object) -> None:
        # Drawn in the theme's colours, and again when the theme changes.
        for action, name in self._menu_icons:
            action.setIcon(menu_icon(name))

    def show_theme_choice(self, choice: ThemeChoice) -> None:
        """Tick the theme in this window's menu (the choice may come from another window)."""
        action = self.theme_actions.get(choice)
        if action is not None:
            action.setChecked(True)

    def _action(
        self,
        menu: Any,
        text: str,
        icon_name: str | None,
        shortcut: QKeySequence.StandardKey | str | None,
        slot: Any,
    ) -> QAction:
        action = QAction(text, self._window)
        if icon_name:
            self._menu_icons.append((action, icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action


def _raise(window: QWidget) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
