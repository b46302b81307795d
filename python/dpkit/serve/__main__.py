"""``python -m dpkit.serve``: start the service, or manage its users' tokens.

    python -m dpkit.serve --data-dir DIR [--port 8765] [--host 127.0.0.1] [--login USER] [--sample]
    python -m dpkit.serve token create|rotate|revoke USER --data-dir DIR
    python -m dpkit.serve token list --data-dir DIR

Tokens are created by the operator only (there is no sign-up and no anonymous access); a token
is printed once and stored as a hash. ``--login USER`` creates USER (or gives them a new token)
and prints the URL to open, with the token in the URL's fragment (never sent to the server).
``--sample`` adds the generated customer table as dataset ``customers`` owned by that user.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import shutil
import signal
import sys

from dpkit.serve import api
from dpkit.serve.datasets import write_sample
from dpkit.serve.jobs import JobRunner
from dpkit.serve.server import Server
from dpkit.serve.store import Store
from dpkit.serve.tickets import Tickets

log = logging.getLogger("dpkit.serve")


def _store(data_dir: str) -> Store:
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    return Store(os.path.join(data_dir, "serve.db"))


def token_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m dpkit.serve token",
                                 description="Create, rotate, revoke or list users' tokens.")
    ap.add_argument("action", choices=["create", "rotate", "revoke", "list"])
    ap.add_argument("user", nargs="?")
    ap.add_argument("--data-dir", required=True)
    a = ap.parse_args(argv)
    store = _store(a.data_dir)
    if a.action == "list":
        print("\n".join(store.users()))
        return 0
    if not a.user or not api.USER_PATTERN.match(a.user):
        ap.error("give a user name: letters, digits, '_', '-', '.' (1-64)")
    if a.action == "revoke":
        return 0 if store.delete_user(a.user) else _fail(f"no user '{a.user}'")
    if a.action == "create" and store.user_exists(a.user):
        return _fail(f"user '{a.user}' exists; use 'token rotate {a.user}' for a new token")
    token = store.create_user(a.user) if a.action == "create" else store.rotate_token(a.user)
    if token is None:
        return _fail(f"no user '{a.user}'")
    print(token)
    return 0


def _fail(message: str) -> int:
    print(f"dpkit serve: {message}", file=sys.stderr)
    return 2


def _dpkit_cli(given: str | None) -> str | None:
    path = given or os.environ.get("DPKIT_CLI") or shutil.which("dpkit")
    return path if path and os.access(path, os.X_OK) else None


def _login(store: Store, user: str) -> str:
    return store.rotate_token(user) if store.user_exists(user) else store.create_user(user)


def serve_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m dpkit.serve", description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True, help="folder for uploads, outputs, the ledger")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback default)")
    ap.add_argument("--workers", type=int, default=2, help="jobs run at once (default 2)")
    ap.add_argument("--max-upload-mb", type=float, default=100, help="upload size limit")
    ap.add_argument("--dpkit", help="the dpkit CLI for DP-SGD training (default: $DPKIT_CLI, PATH)")
    ap.add_argument("--login", metavar="USER", help="create USER or give them a new token; "
                                                    "prints the URL to open")
    ap.add_argument("--sample", action="store_true", help="add the sample dataset 'customers'")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if a.login and not api.USER_PATTERN.match(a.login):
        ap.error("--login: letters, digits, '_', '-', '.' (1-64)")
    if a.sample and not a.login:
        ap.error("--sample needs --login USER (the sample's owner)")
    data_dir = os.path.abspath(a.data_dir)
    store = _store(data_dir)
    token = _login(store, a.login) if a.login else None
    dpkit_cli = _dpkit_cli(a.dpkit)
    runner = JobRunner(store, data_dir, os.path.join(data_dir, "ledger.db"), dpkit_cli, a.workers)
    service = api.Service(data_dir, store, runner, os.path.join(data_dir, "ledger.db"), Tickets(),
                          dpkit_cli, int(a.max_upload_mb * 1e6))
    if a.sample and store.dataset("customers") is None:
        service.add_dataset("customers", a.login, "customers.csv",
                            lambda files: write_sample(files, 5000), True)
        print("added the sample dataset 'customers' (5,000 generated customers, fake PII); its "
              "owner opens its budget in the UI (step 3)", flush=True)
    server = Server((a.host, a.port), service, int(a.max_upload_mb * 1e6))
    runner.start()
    _announce(a.host, server.server_address[1], a.login, token, dpkit_cli)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        server.server_close()
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _announce(host: str, port: int, user: str | None, token: str | None, cli: str | None) -> None:
    shown = f"[{host}]" if ":" in host else host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        log.warning("listening on %s, not loopback: tokens and data travel unencrypted; put a "
                    "TLS proxy in front", host)
    if cli is None:
        log.warning("no dpkit CLI found (--dpkit, $DPKIT_CLI, PATH): DP-SGD training is off")
    url = f"http://{shown}:{port}/"
    if token:
        print(f"dpkit serve: open {url}#token={token}  (user '{user}'; the token is shown once)",
              flush=True)
    else:
        print(f"dpkit serve: listening on {url} (create a token: python -m dpkit.serve token "
              f"create USER --data-dir ...)", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["token"]:
        return token_main(argv[1:])
    return serve_main(argv)


if __name__ == "__main__":
    sys.exit(main())
