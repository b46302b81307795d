"""The service's own state: users and their tokens, datasets, access grants and jobs, in one
SQLite file (``<data-dir>/serve.db``, WAL mode). The privacy budget is NOT here: it lives in the
dpkit ledger (``<data-dir>/ledger.db``), which this module never touches.

Tokens are stored as SHA-256 hashes only (a stolen serve.db gives no usable token). Every method
opens its own connection, so the store may be used from any thread and from several processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, token_sha256 TEXT UNIQUE NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, filename TEXT NOT NULL, columns TEXT NOT NULL,
  bytes INTEGER NOT NULL, sample INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS grants (
  dataset TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (dataset, user));
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, dataset TEXT NOT NULL, user TEXT NOT NULL, kind TEXT NOT NULL,
  params TEXT NOT NULL, state TEXT NOT NULL, progress TEXT NOT NULL, result TEXT,
  error TEXT, owner_error TEXT, created REAL NOT NULL, started REAL, finished REAL);
"""

# Job states: queued -> running -> done | failed | refused (the ledger refused the charge) |
# interrupted (the server stopped while it ran: the ledger says whether it was charged).
TERMINAL = ("done", "failed", "refused", "interrupted")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Store:
    def __init__(self, path: str) -> None:
        self.path = path
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextlib.contextmanager
    def _db(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    # ---- users and tokens (created by the operator on the command line, never over HTTP)
    def create_user(self, name: str) -> str:
        """Creates ``name`` with a fresh token (returned once; only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        with self._db() as db:
            db.execute("INSERT INTO users VALUES (?, ?, ?)", (name, token_hash(token), time.time()))
        return token

    def rotate_token(self, name: str) -> str | None:
        token = secrets.token_urlsafe(32)
        with self._db() as db:
            cur = db.execute("UPDATE users SET token_sha256 = ? WHERE name = ?",
                             (token_hash(token), name))
        return token if cur.rowcount else None

    def delete_user(self, name: str) -> bool:
        with self._db() as db:
            cur = db.execute("DELETE FROM users WHERE name = ?", (name,))
            db.execute("DELETE FROM grants WHERE user = ?", (name,))
        return cur.rowcount > 0

    def users(self) -> list[str]:
        with self._db() as db:
            return [r["name"] for r in db.execute("SELECT name FROM users ORDER BY name")]

    def user_for_token(self, token: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT name FROM users WHERE token_sha256 = ?",
                             (token_hash(token),)).fetchone()
        return row["name"] if row else None

    def user_exists(self, name: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is not None

    # ---- datasets and access
    def add_dataset(self, id: str, owner: str, filename: str, columns: list, size: int,
                    sample: bool) -> bool:
        """False if the id is taken (ids are never reused: the ledger's budget stays with it)."""
        try:
            with self._db() as db:
                db.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (id, owner, filename, json.dumps(columns), size, int(sample), time.time()))
        except sqlite3.IntegrityError:
            return False
        return True

    def delete_dataset(self, id: str) -> None:
        """Only for a dataset whose creation failed (ids of real datasets are never reused)."""
        with self._db() as db:
            db.execute("DELETE FROM datasets WHERE id = ?", (id,))

    def set_dataset_data(self, id: str, columns: list, size: int) -> None:
        with self._db() as db:
            db.execute("UPDATE datasets SET columns = ?, bytes = ? WHERE id = ?",
                       (json.dumps(columns), size, id))

    def dataset(self, id: str) -> dict | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM datasets WHERE id = ?", (id,)).fetchone()
        return _dataset(row) if row else None

    def datasets_for(self, user: str) -> list[dict]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM datasets WHERE owner = ? OR id IN "
                "(SELECT dataset FROM grants WHERE user = ?) ORDER BY created", (user, user))
            return [_dataset(r) for r in rows]

    def grant(self, dataset: str, user: str) -> None:
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO grants VALUES (?, ?)", (dataset, user))

    def revoke(self, dataset: str, user: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM grants WHERE dataset = ? AND user = ?", (dataset, user))

    def grantees(self, dataset: str) -> list[str]:
        with self._db() as db:
            return [r["user"] for r in db.execute(
                "SELECT user FROM grants WHERE dataset = ? ORDER BY user", (dataset,))]

    def has_grant(self, dataset: str, user: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM grants WHERE dataset = ? AND user = ?",
                              (dataset, user)).fetchone() is not None

    # ---- jobs
    def add_job(self, dataset: str, user: str, kind: str, params: dict) -> str:
        job_id = secrets.token_hex(8)
        with self._db() as db:
            db.execute("INSERT INTO jobs (id, dataset, user, kind, params, state, progress, created)"
                       " VALUES (?, ?, ?, ?, ?, 'queued', '[]', ?)",
                       (job_id, dataset, user, kind, json.dumps(params), time.time()))
        return job_id

    def job(self, job_id: str) -> dict | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs(self, dataset: str) -> list[dict]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM jobs WHERE dataset = ? ORDER BY created", (dataset,))
            return [_job(r) for r in rows]

    def jobs_in(self, state: str) -> list[str]:
        with self._db() as db:
            return [r["id"] for r in db.execute(
                "SELECT id FROM jobs WHERE state = ? ORDER BY created", (state,))]

    def start_job(self, job_id: str) -> None:
        with self._db() as db:
            db.execute("UPDATE jobs SET state = 'running', started = ? WHERE id = ?",
                       (time.time(), job_id))

    def add_progress(self, job_id: str, line: str) -> None:
        with self._db() as db:
            db.execute("UPDATE jobs SET progress = json_insert(progress, '$[#]', ?) WHERE id = ?",
                       (line, job_id))

    def finish_job(self, job_id: str, state: str, *, result: dict | None = None,
                   error: str | None = None, owner_error: str | None = None) -> None:
        """``error``: what every reader of the dataset may see (a release: public inputs and
        library messages that name columns, never cells); ``owner_error``: details for the
        dataset's owner only."""
        assert state in TERMINAL
        with self._db() as db:
            db.execute("UPDATE jobs SET state = ?, result = ?, error = ?, owner_error = ?, "
                       "finished = ? WHERE id = ?",
                       (state, None if result is None else json.dumps(result), error, owner_error,
                        time.time(), job_id))

    def interrupt_running(self) -> int:
        """At start-up: jobs that were running when the server stopped. Their charge, if any,
        is in the ledger; their outputs are not to be trusted."""
        with self._db() as db:
            cur = db.execute(
                "UPDATE jobs SET state = 'interrupted', finished = ?, error = ? WHERE state = 'running'",
                (time.time(), "the server stopped while this job ran; the ledger shows whether "
                              "it was charged; run it again if needed"))
        return cur.rowcount


def _dataset(row) -> dict:
    d = dict(row)
    d["columns"] = json.loads(d["columns"])
    d["sample"] = bool(d["sample"])
    return d


def _job(row) -> dict:
    d = dict(row)
    d["params"] = json.loads(d["params"])
    d["progress"] = json.loads(d["progress"])
    d["result"] = json.loads(d["result"]) if d["result"] else None
    return d
