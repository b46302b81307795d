"""The dpkit serve test harness: a real server process on a free loopback port with its own data
folder, users created with the operator's command, and a small HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parents[3]


def operator(data_dir, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "dpkit.serve", "token", *args, "--data-dir",
                           str(data_dir)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def dpkit_cli() -> str | None:
    path = os.environ.get("DPKIT_CLI") or str(REPO / "build/release/src/cli/dpkit")
    train = os.path.join(os.path.dirname(path), "dpkit-train")
    return path if os.access(path, os.X_OK) and os.access(train, os.X_OK) else None


class Server:
    """``python -m dpkit.serve`` in a subprocess; its log (stderr) is kept for inspection."""

    def __init__(self, data_dir: pathlib.Path, *args: str) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        cli = dpkit_cli()
        extra = ["--dpkit", cli] if cli else []
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dpkit.serve", "--data-dir", str(data_dir), "--port", "0",
             *extra, *args], stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        while line and "dpkit serve:" not in line:
            line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/(#token=(\S+))?", line)
        assert m, f"server did not start: {line!r} {self.log_path.read_text()}"
        self.port = int(m.group(1))
        self.login_token = m.group(3)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text()


class Client:
    """One user's requests; ``request`` returns (status, headers, body) with JSON decoded."""

    def __init__(self, server: Server, token: str | None) -> None:
        self.server, self.token = server, token

    def request(self, method: str, path: str, body=None, *, content_type=None, headers=None,
                raw=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120)
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if body is not None and not isinstance(body, (bytes, str)):
            body, content_type = json.dumps(body), content_type or "application/json"
        if content_type:
            h["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if not raw and resp.getheader("Content-Type", "").startswith("application/json"):
            data = json.loads(data)
        return resp.status, resp.headers, data

    def ok(self, method: str, path: str, body=None, **kw):
        status, _, data = self.request(method, path, body, **kw)
        assert 200 <= status < 300, (status, data)
        return data

    def upload(self, name: str, content: bytes, filename: str = "data.csv", **kw):
        q = urllib.parse.urlencode({"name": name, "filename": filename})
        return self.request("POST", f"/api/datasets?{q}", content,
                            content_type=kw.pop("content_type", "text/csv"), **kw)

    def wait_job(self, job_id: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.ok("GET", f"/api/jobs/{job_id}")
            if job["state"] not in ("queued", "running"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish in {timeout}s")
