"""The question asked before signing out while messages are still waiting to be sent."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_sign_out(
    parent: QWidget, waiting: int, username: str, sign_out: Callable[[], None]
) -> QMessageBox:
    """Open (non-modal) "Sign out?"; `sign_out` runs only if the user confirms. Cancel is the
    default, so Enter never signs out by accident."""
    what = "1 message hasn't" if waiting == 1 else f"{waiting} messages haven't"
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Sign out?",
        f"{what} been sent yet. They stay on this computer and go out the next time you "
        f"sign in as {username} here. Sign out anyway?",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    confirm = box.addButton("Sign Out", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def finished(_result: int) -> None:
        if box.clickedButton() is confirm:
            sign_out()

    box.finished.connect(finished)
    box.open()
    return box
