"""Shield Python 3.11 from a PySide6 6.12.0 refcount bug on None, True and False.

PySide6 6.12.0 drops a reference to `True` on every `Signal.emit()` made from Python,
and to `None` whenever a QVariant without a value reaches Python (`index.data(role)`
for a role a model does not answer). On Python ≥ 3.12 these singletons are immortal
and nothing happens; on 3.11 their count reaches zero after a few thousand signals and
the interpreter aborts ("deallocating True or False"). Measured here with 50 emits:
True's count fell by exactly 50; with 3,000 `data()` calls answering None, the process died.

The guard gives the three singletons a huge reference count once, which is what 3.12
does by design: they are never freed while the interpreter runs anyway. The project pins
PySide6 below 6.12 for this reason; the guard acts only on the affected release, in case
an environment installs it regardless (a system PySide6 can shadow the venv's).
"""

from __future__ import annotations

import ctypes
import sys

# 2**40 references: at a million lost references per second that lasts twelve days.
_BOOST = 1 << 40


# PySide6 releases with the bug (checked: 6.12.0 has it, 6.11.3 does not).
AFFECTED = ("6.12.0",)


def install() -> bool:
    """Make None/True/False effectively immortal where needed; True if anything was done."""
    import PySide6

    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if PySide6.__version__ not in AFFECTED:
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object.
        count = ctypes.c_ssize_t.from_address(id(singleton))
        if count.value < _BOOST:
            count.value += _BOOST
    return True
