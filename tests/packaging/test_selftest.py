"""`desktop-app --self-test` passes against the real embedded server and reports each step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The self-test bounds itself at 60 s; this only guards against a hang before it starts.
SELF_TEST_TIMEOUT_S = 120


def test_self_test_signs_in_two_users_and_exchanges_a_message_each_way(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    # The self-test must pick the offscreen platform itself and keep the user's profiles untouched.
    env["HOME"] = str(tmp_path)
    env.pop("DESKTOP_APP_HOME", None)
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SELF_TEST_TIMEOUT_S,
        check=False,
    )
    report = result.stdout
    assert result.returncode == 0, report + result.stderr
    for step in (
        "alice signs in and goes live",
        "bob signs in and goes live",
        "alice → bob: shown pending at once",
        "alice → bob: delivered, echo becomes sent",
        "bob → alice: delivered, echo becomes sent",
        "no duplicates after settling",
    ):
        assert f"ok   {step}" in report
    assert "self-test passed" in report
    assert "FAIL" not in report
    # Nothing was written into the (temporary) home: profiles went to the self-test's temp dir.
    assert not any(tmp_path.iterdir()), sorted(p.name for p in tmp_path.rglob("*"))
