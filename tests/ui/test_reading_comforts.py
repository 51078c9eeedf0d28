"""Reading comforts (issue 12): links, right-to-left text, the bundled emoji font, Settings, About."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, Qt, QUrl, Slot, qVersion
from PySide6.QtGui import (
    QDesktopServices,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QMouseEvent,
    QRawFont,
    QTextLayout,
)
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop_app.app import AppOptions, DesktopApp
from desktop_app.ui import emoji_font, preferences, theme
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import ThemeChoice
from desktop_app.ui.timeline import links, message_menu
from desktop_app.ui.timeline.message_delegate import MessageDelegate
from desktop_app.ui.timeline.text_layout import link_rects, text_layout
from tests.ui.helpers import bodies
from tests.ui.test_messaging import _pair


class UrlCatcher(QObject):
    """Qt's own hook for opening URLs: QDesktopServices hands them here instead of a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def _row_of(window: MainWindow, body: str) -> int:
    return bodies(window).index(body)


def _geometry(window: MainWindow, row: int) -> tuple[QRect, Any]:
    view = window.chat.view
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    index = view.model().index(row, 0)  # type: ignore[union-attr]
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    return QRect(option.rect), delegate.geometry(option, index)


def _open_pair(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
):  # type: ignore[no-untyped-def]
    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    alice.open_group(team)
    bob.open_group(team)
    return alice, bob, team


def test_a_click_on_a_link_opens_it_and_only_http_https_mailto_are_links(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, team = _open_pair(desktop, server, users, sign_in, arun, wait_for)
    body = "guide: https://example.org/guide?x=1. Not these: javascript:alert(1) file:///etc/passwd"
    alice.bridge.send(team, body)
    wait_for(lambda: body in bodies(bob))
    catcher = UrlCatcher()
    for scheme in ("https", "http", "file", "javascript", "mailto"):
        QDesktopServices.setUrlHandler(scheme, catcher, "handle")
    try:
        view = bob.chat.view
        row = _row_of(bob, body)
        view.scrollToBottom()
        _rect, geo = _geometry(bob, row)
        found = link_rects(body, view.font(), geo.body.width())
        assert [url for _r, url in found] == ["https://example.org/guide?x=1"]
        spot = geo.body.topLeft() + found[0][0].center().toPoint()
        # Hovering shows the hand; a click opens the link (the full stop is not part of it).
        move = QMouseEvent(
            QEvent.Type.MouseMove,
            QPointF(spot),
            QPointF(view.viewport().mapToGlobal(spot)),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(view.viewport(), move)
        wait_for(lambda: view.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor)
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
        wait_for(lambda: catcher.opened == ["https://example.org/guide?x=1"])
        # Plain text is no link; other schemes are never opened, even when asked directly.
        assert view.url_at(geo.body.topLeft() + QPoint(2, 2)) is None
        assert not links.open_link("file:///etc/passwd")
        assert not links.open_link("javascript:alert(1)")
        assert links.find_links("mail mailto:bob@example.org or www.example.com/a)")[1].url == (
            "https://www.example.com/a"
        )
        assert catcher.opened == ["https://example.org/guide?x=1"]
        # Right-click → Copy Link copies the whole address.
        url = view.url_at(spot)
        menu = message_menu.context_menu(view, view.model().index(row, 0), url)  # type: ignore[union-attr]
        copy = next(a for a in menu.actions() if a.text() == "Copy Link")
        copy.trigger()
        assert QGuiApplication.clipboard().text() == "https://example.org/guide?x=1"
    finally:
        for scheme in ("https", "http", "file", "javascript", "mailto"):
            QDesktopServices.unsetUrlHandler(scheme)


def test_a_long_link_is_shortened_in_its_middle_and_keeps_one_line(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, team = _open_pair(desktop, server, users, sign_in, arun, wait_for)
    long_url = "https://example.org/" + "segment/" * 300 + "end.html"
    short = "x"
    alice.bridge.send(team, short)
    alice.bridge.send(team, long_url)
    wait_for(lambda: long_url in bodies(bob))
    view = bob.chat.view
    _rect_short, geo_short = _geometry(bob, _row_of(bob, short))
    rect_long, geo_long = _geometry(bob, _row_of(bob, long_url))
    layout = text_layout(long_url, view.font(), geo_long.body.width())
    assert layout.lineCount() == 1
    assert layout.lineAt(0).naturalTextWidth() <= geo_long.body.width()
    assert "…" in layout.text() and layout.text().endswith("end.html")
    assert layout.text().startswith("https://example.org/")
    # Same height as a one-word message, and no wider than the view.
    assert geo_long.body.height() == geo_short.body.height()
    assert rect_long.width() == view.viewport().width()
    # The click opens the whole address.
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("https", catcher, "handle")
    try:
        view.scrollToBottom()
        _rect, geo_long = _geometry(bob, _row_of(bob, long_url))
        spot = geo_long.body.topLeft() + QPoint(10, geo_long.body.height() // 2)
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
        wait_for(lambda: catcher.opened == [long_url])
    finally:
        QDesktopServices.unsetUrlHandler("https")


def test_right_to_left_messages_and_composer_are_laid_out_from_the_right(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
) -> None:
    alice, bob, team = _open_pair(desktop, server, users, sign_in, arun, wait_for)
    hebrew = "שלום לכולם, the build is green"
    arabic = "مرحبا بالجميع"
    english = "hello שלום"
    for body in (hebrew, arabic, english):
        alice.bridge.send(team, body)
    wait_for(lambda: english in bodies(bob))
    view = bob.chat.view
    for body, rtl in ((hebrew, True), (arabic, True), (english, False)):
        _rect, geo = _geometry(bob, _row_of(bob, body))
        layout: QTextLayout = text_layout(body, view.font(), geo.body.width())
        direction = layout.textOption().textDirection()
        line = layout.lineAt(0).naturalTextRect()
        if rtl:
            assert direction == Qt.LayoutDirection.RightToLeft
            assert abs(line.right() - geo.body.width()) <= 3.0  # flush with the right edge
            assert line.left() > geo.body.width() / 2
        else:
            assert direction == Qt.LayoutDirection.LeftToRight
            assert line.left() == 0
    # The composer follows what is typed.
    edit = bob.chat.composer.edit
    edit.setPlainText("שלום")
    QApplication.processEvents()
    option = edit.document().defaultTextOption()
    assert option.textDirection() == Qt.LayoutDirection.RightToLeft
    block_line = edit.document().firstBlock().layout().lineAt(0).naturalTextRect()
    assert block_line.left() > edit.viewport().width() / 2
    edit.setPlainText("hello")
    QApplication.processEvents()
    assert edit.document().defaultTextOption().textDirection() == Qt.LayoutDirection.LeftToRight
    edit.clear()


def test_the_bundled_emoji_font_is_the_apps_emoji_font_and_has_the_glyphs(
    qapp: Any, _session_loop: Any
) -> None:
    assert emoji_font.family() == emoji_font.FAMILY
    assert QFontDatabase.applicationEmojiFontFamilies()[0] == emoji_font.FAMILY
    samples = (0x1F600, 0x1F44D, 0x1F389, 0x2764, 0x1F1E9, 0x1F680)
    raw = QRawFont(str(emoji_font.font_path()), 20)
    assert raw.isValid() and raw.familyName() == emoji_font.FAMILY
    assert all(raw.supportsCharacter(c) for c in samples)
    metrics = QFontMetrics(QFont(emoji_font.FAMILY, 14))
    assert all(metrics.inFontUcs4(c) for c in samples)
    # Text in the app's font draws its emoji with it (whatever the system has).
    layout = QTextLayout("ok 😀 🇩🇪", QApplication.font())
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    assert emoji_font.FAMILY in [run.rawFont().familyName() for run in layout.glyphRuns()]
    assert emoji_font.licence_path().read_text().count("SIL OPEN FONT LICENSE") >= 1


def test_settings_apply_at_once_and_persist_across_a_restart(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qapp: Any,
) -> None:
    alice, bob, team = _open_pair(desktop, server, users, sign_in, arun, wait_for)
    alice.bridge.send(team, "measure me")
    wait_for(lambda: "measure me" in bodies(bob))
    view = bob.chat.view
    row = _row_of(bob, "measure me")
    before = view.visualRect(view.model().index(row, 0)).height()  # type: ignore[union-attr]
    settings = bob.menus.show_settings()
    assert settings.server.text() == bob.bridge.server_url
    try:
        settings.font_size.setValue(preferences.system_point_size() + 8)
        settings.notifications.setChecked(False)
        settings.theme.setCurrentIndex(2)  # Dark
        assert QApplication.font().pointSize() == preferences.system_point_size() + 8
        wait_for(
            lambda: view.visualRect(view.model().index(row, 0)).height() > before + 8  # type: ignore[union-attr]
        )
        assert not desktop.notifier.enabled
        assert theme.colors().dark
        assert bob.theme_actions[ThemeChoice.DARK].isChecked()
        # A restart of the app on bob's profile starts with the same settings.
        again = DesktopApp(qapp, AppOptions(profile=bob.profile.name))
        try:
            prefs = again.preferences()
            assert prefs.font_size == preferences.system_point_size() + 8
            assert not prefs.notifications and not again.notifier.enabled
            assert prefs.theme is ThemeChoice.DARK
        finally:
            arun(again.shutdown(), timeout=20)
            again.deleteLater()
    finally:
        settings.close()
        preferences.apply_font_size(preferences.SYSTEM_FONT_SIZE)
        desktop.set_theme(ThemeChoice.LIGHT)


def test_about_shows_versions_and_the_licences_of_what_ships(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    wait_for: Any,
) -> None:
    (name,) = users(1)
    window = sign_in(desktop, server.url, name)
    about = window.menus.show_about()
    try:
        assert about.qt_version.text() == qVersion()
        wait_for(
            lambda: "ok" in about.server_version.text() or "degraded" in about.server_version.text()
        )
        assert about.server.text() == window.bridge.server_url
        names = {item.name.lower() for item in about.items}
        for expected in (
            "pyside6_essentials",
            "python-socketio",
            "httpx",
            "qasync",
            "platformdirs",
            "keyring",
        ):
            assert expected in names
        assert about.select("PySide6_Essentials")
        assert "GNU LESSER GENERAL PUBLIC LICENSE" in about.licence.toPlainText()
        assert about.select("httpx")
        assert "Copyright" in about.licence.toPlainText()
        assert about.select("Chat Emoji (Noto Color Emoji)")
        assert "SIL OPEN FONT LICENSE" in about.licence.toPlainText()
    finally:
        about.close()
