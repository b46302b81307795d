"""Background jobs: a persistent queue (the store's jobs table) worked by a fixed number of
threads, each running one job at a time in a worker process (``dpkit.serve.worker``).

No job is lost: a job is in the store before its id is returned, queued jobs survive a restart
(they are queued again at start-up), and a job that was running when the server stopped is
marked ``interrupted`` (the ledger says whether it was charged). Budgets are enforced by the
ledger inside each worker, atomically, so any number of concurrent jobs cannot over-spend.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading

from dpkit.serve import worker
from dpkit.serve.datasets import DatasetFiles
from dpkit.serve.store import Store

log = logging.getLogger("dpkit.serve")


class JobRunner:
    def __init__(self, store: Store, data_dir: str, ledger: str, dpkit_cli: str | None,
                 workers: int) -> None:
        self.store = store
        self.data_dir = data_dir
        self.ledger = ledger
        self.dpkit_cli = dpkit_cli
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._running: set = set()
        self._stopping = False
        self._threads = [threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
                         for i in range(workers)]

    def start(self) -> None:
        interrupted = self.store.interrupt_running()
        if interrupted:
            log.warning("%d job(s) were running when the server stopped: marked interrupted",
                        interrupted)
        for job_id in self.store.jobs_in("queued"):
            self._queue.put(job_id)
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Stops taking jobs and ends running worker processes: their jobs stay 'running' in
        the store and are marked interrupted at the next start (queued jobs stay queued)."""
        for _ in self._threads:
            self._queue.put(None)
        with self._lock:
            self._stopping = True
            for proc in self._running:
                proc.terminate()

    def submit(self, dataset: str, user: str, kind: str, params: dict) -> str:
        job_id = self.store.add_job(dataset, user, kind, params)
        self._queue.put(job_id)
        return job_id

    def job_dir(self, job_id: str) -> str:
        return os.path.join(self.data_dir, "jobs", job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self._run(job_id)
            except Exception as e:  # never lose a job: record it as failed
                log.error("job %s: runner error %s", job_id, type(e).__name__)
                self.store.finish_job(job_id, "failed", error="internal error while running the job")

    def _spec(self, job: dict, out: str) -> dict:
        files = DatasetFiles(self.data_dir, job["dataset"])
        spec = {"kind": job["kind"], "params": job["params"], "data": files.data,
                "dataset": job["dataset"], "ledger": self.ledger, "out": out, "key": files.key,
                "dpkit": self.dpkit_cli, "data_dir": self.data_dir}
        for which in ("schema", "policy"):
            path = getattr(files, which)
            if os.path.exists(path):
                spec[which] = path
        return spec

    def _run(self, job_id: str) -> None:
        job = self.store.job(job_id)
        out = self.job_dir(job_id)
        os.makedirs(out, mode=0o700, exist_ok=True)
        spec_path = os.path.join(out, "spec.json")
        with open(spec_path, "w", encoding="utf-8") as f:
            json.dump(self._spec(job, out), f)
        self.store.start_job(job_id)
        log.info("job %s (%s on %s) started", job_id, job["kind"], job["dataset"])
        final, code = self._launch(job_id, spec_path, out)
        if code < 0 and self._stopping:  # ended by stop(): marked interrupted at the next start
            return
        if final and "done" in final:
            self.store.finish_job(job_id, "done", result=final["done"])
        elif final:
            f = final["failed"]
            self.store.finish_job(job_id, f["state"], error=f["error"], owner_error=f["owner_error"])
        else:
            self.store.finish_job(job_id, "failed", error="the job's process ended unexpectedly",
                                  owner_error=f"worker exit code {code}")
        log.info("job %s finished: %s", job_id, self.store.job(job_id)["state"])

    def _launch(self, job_id: str, spec_path: str, out: str) -> tuple[dict | None, int]:
        """Runs the worker process; returns its final message and exit code. Its stderr may
        carry library warnings about the data: kept in the job folder (private, like the data),
        never logged or served."""
        with open(os.path.join(out, "worker.stderr"), "w", encoding="utf-8") as err:
            proc = subprocess.Popen([sys.executable, "-m", "dpkit.serve.worker", spec_path],
                                    stdout=subprocess.PIPE, stderr=err, text=True)
            with self._lock:
                self._running.add(proc)
            try:
                final = self._follow(job_id, proc)
            finally:
                with self._lock:
                    self._running.discard(proc)
            return final, proc.wait()

    def _follow(self, job_id: str, proc) -> dict | None:
        """Records the worker's progress lines; returns its final message."""
        final = None
        for line in proc.stdout:
            message = json.loads(line)
            if "progress" in message:
                self.store.add_progress(job_id, message["progress"])
            else:
                final = message
        return final

    def output(self, job: dict, name: str) -> tuple[str, str] | None:
        """(path, audience) of an output file of ``job`` by its public name, or None."""
        entry = worker.OUTPUTS.get(job["kind"], {}).get(name)
        if entry is None or job["state"] != "done":
            return None
        path = os.path.join(self.job_dir(job["id"]), entry[0])
        return (path, entry[1]) if os.path.isfile(path) else None
