"""Starting the real studio server for tests: ``python -m audiomancer studio --port 0``."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 60.0
_URL = re.compile(r"audiomancer studio at (http://127\.0\.0\.1:(\d+)/)")


@dataclass
class Studio:
    """A running studio: its URL, port, data folder and process."""

    url: str
    port: int
    home: Path
    process: subprocess.Popen[str]
    log: list[str]
    """Everything the server printed so far (read by a thread, so the pipe never fills)."""

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        """One HTTP request with exactly these headers (Host defaults to the server's)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        all_headers["Content-Length"] = str(len(data or b""))
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(data)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, payload, {k.lower(): v for k, v in response.getheaders()}

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, payload, _ = self.request(method, path, body, **kw)
        return status, json.loads(payload)

    def wait_job(self, job: dict[str, Any], timeout: float = 240.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while job["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"job {job} did not finish"
            time.sleep(0.2)
            job = self.json("GET", f"/api/jobs/{job['id']}")[1]
        return job


@contextmanager
def running_studio(home: Path) -> Iterator[Studio]:
    """Start the studio on a free port with ``home`` as AUDIOMANCER_HOME; stop it after."""
    env = {**os.environ, "AUDIOMANCER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "audiomancer", "studio", "--port", "0", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    seen = []
    found = None
    while found is None:
        line = process.stdout.readline()
        if not line:
            process.wait(5)
            raise AssertionError(f"the studio exited before serving: {''.join(seen)}")
        seen.append(line)
        found = _URL.search(line)
        assert time.monotonic() < deadline, f"the studio did not start: {''.join(seen)}"
    studio = Studio(found.group(1), int(found.group(2)), home, process, seen)
    threading.Thread(target=lambda: seen.extend(process.stdout), daemon=True).start()  # type: ignore[arg-type]
    _wait_until_serving(studio)
    try:
        yield studio
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        process.stdout.close()


def _wait_until_serving(studio: Studio) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if studio.request("GET", "/api/options")[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the studio does not answer"
        time.sleep(0.1)
