"""Schema fuzzing: schemathesis against the real server's /openapi.json with a valid token.

Every check schemathesis has (`--checks all`: no 5xx, only documented status codes, answers
matching their schemas and content types, schema-valid requests accepted, invalid ones
refused, auth enforced, …) over a few thousand generated requests, in its coverage, fuzzing
and stateful phases. The hooks (tests/proof/fuzz_hooks.py) tally the answers and name the
few rules a schema cannot state. Figures: docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.server import PASSWORD, ServerProcess, register

pytestmark = pytest.mark.proof

# Per operation and phase; with 15 operations this is about 1,850 requests in about a minute.
MAX_EXAMPLES = 100
FUZZ_SEED = 20261205  # a fixed seed: the same run each time; change it to explore
RUN_TIMEOUT_SECONDS = 240
ST = Path(sys.executable).with_name("st")
SERVER_ENV = {
    # The send limit would turn most sends into 429s; it has tests of its own.
    "CHAT_SEND_BURST": "1000000",
}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    server = ServerProcess(tmp_path_factory.mktemp("fuzz"), env=SERVER_ENV)
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 60)
def test_schemathesis_finds_nothing(fuzz_server: ServerProcess, tmp_path: Path) -> None:
    _user, token = register(fuzz_server.url)
    tally_path = tmp_path / "tally.json"
    report_path = tmp_path / "report.json"
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.proof.fuzz_hooks",
        "FUZZ_URL": fuzz_server.url,
        "FUZZ_TOKEN": token,
        "FUZZ_PASSWORD": PASSWORD,
        "FUZZ_TALLY": str(tally_path),
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    command = [
        str(ST),
        "run",
        f"{fuzz_server.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(FUZZ_SEED),
        "--workers",
        "1",
        "--continue-on-failure",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report_path),
    ]
    started = time.monotonic()
    run = subprocess.run(
        command,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    seconds = time.monotonic() - started
    tally = json.loads(tally_path.read_text())
    report = json.loads(report_path.read_text())
    print(
        f"schema fuzz: {tally['requests']} requests, {tally.get('5xx', 0)} × 5xx, "
        f"{report['test_cases']['generated']} cases, {seconds:.0f} s; statuses "
        + ", ".join(f"{k}: {v}" for k, v in sorted(tally.items()) if k.isdigit())
    )
    output = run.stdout[-6000:] + run.stderr[-2000:]
    assert tally.get("5xx", 0) == 0, output
    assert report["failures"] == [] and report["errors"] == [], output
    assert run.returncode == 0, output
    assert tally["requests"] >= 1500, tally  # the run did fuzz, not stop early
    assert tally.get("2xx", 0) >= 200, tally  # and reached past authentication
