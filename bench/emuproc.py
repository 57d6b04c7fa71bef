"""The emulator in its own process, driven through its control API.

Benchmarks run Jira out of process, as it is in life: in-process, the emulator's threads
would compete with the code under test for one interpreter lock and distort the ratios.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

from jirasync_cli.doubles.mongo import free_port


class RemoteEmulator:
    def __init__(
        self, mode: str = "cloud", pairs: tuple[tuple[str, str], ...] = (("USER", "DEV"),), persist: str | None = None
    ) -> None:
        """``persist``: a state file to start from (and keep saving to); its projects exist already."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jirasync_cli",
                "emulator",
                "--mode",
                mode,
                "--port",
                str(self.port),
                "--no-seed-demo",
                *(["--persist", persist] if persist else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(self.stop)  # a benchmark that fails half-way leaves no emulator behind
        deadline = time.monotonic() + 20
        while True:
            try:
                self.call("GET", "/state")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for user, dev in () if persist else pairs:
            self.call("POST", "/projects", {"key": user, "workflow": "user"})
            self.call("POST", "/projects", {"key": dev, "workflow": "dev"})

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_emulator{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def create_issue(self, project: str, summary: str, **fields: Any) -> str:
        return self.call("POST", "/issues", {"project": project, "summary": summary, **fields})["key"]

    def transition(self, key: str, status: str, as_account: str = "dan") -> None:
        self.call("POST", f"/issues/{key}/transition", {"status": status, "as": as_account})

    def comment(self, key: str, body: str, as_account: str = "bob") -> None:
        self.call("POST", f"/issues/{key}/comment", {"body": body, "as": as_account})

    def issues(self, project: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/issues?project={project}")

    def faults(self, **values: Any) -> None:
        self.call("PUT", "/faults", values)

    def requests(self) -> list[dict[str, Any]]:
        return self.call("GET", "/requests")["entries"]

    def clear_requests(self) -> None:
        self.call("DELETE", "/requests")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def seed_escalations(emu: RemoteEmulator, n: int) -> None:
    """``n`` user issues already at Will Do: each one the escalation rule turns into a dev issue."""
    for i in range(n):
        emu.create_issue(
            "USER",
            f"Customer issue {i}",
            description="Steps to reproduce",
            priority="High",
            labels=["bench"],
            status="Will Do",
        )
