"""The HTTP server: the web UI (static files shipped in the package), the REST API under /api/
and one-time download links, on Python's standard ``http.server`` (one thread per request).

Security (docs/ui.md, "Security"):
- every /api/ request carries ``Authorization: Bearer <token>``; the server reads no cookies,
  so a page on another site cannot act with a user's rights (no CSRF), and no CORS header is
  ever sent;
- request bodies have size limits checked before they are read (uploads: ``max_upload``, sent
  as text/csv with a Content-Length; JSON: 1 MiB);
- the access log holds the user, method, path (no query string, download tickets masked),
  status and time — never a body, a cell, or an exception's text; unexpected errors answer
  "internal error (incident N)" and the log gets N, the exception's type and where it arose;
- responses carry no-store, nosniff and a Content-Security-Policy: the UI runs only its own
  script; the evaluation report (owner only) is shown in a sandboxed frame.
"""

from __future__ import annotations

import http.server
import itertools
import json
import logging
import os
import time
import traceback
import urllib.parse

from dpkit import errors
from dpkit.serve import api
from dpkit.serve.datasets import hide_paths

log = logging.getLogger("dpkit.serve")
STATIC = os.path.join(os.path.dirname(__file__), "static")
STATIC_FILES = {"/": ("index.html", "text/html; charset=utf-8"),
                "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
                "/static/app.css": ("app.css", "text/css; charset=utf-8")}
MAX_JSON = 1 << 20
CSP_UI = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
          "frame-ancestors 'none'")
CSP_API = "default-src 'none'; frame-ancestors 'none'; sandbox"
CSP_REPORT = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
              "style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json",
                 ".html": "text/html; charset=utf-8", ".pt": "application/octet-stream"}
STATUS_OF = [(errors.InvalidArgument, 400), (errors.BudgetExhausted, 409),
             (errors.AlreadyExists, 409), (errors.NotFound, 409),
             (errors.FailedPrecondition, 409), (errors.DataError, 422)]
_incidents = itertools.count(1)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, address, service: api.Service, max_upload: int) -> None:
        super().__init__(address, Handler)
        self.service = service
        self.max_upload = max_upload


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "dpkit-serve"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # http.server's own log lines quote the raw request line (query strings, tickets): replaced
    # by _access_log.
    def log_request(self, code="-", size="-") -> None:
        pass

    def log_message(self, format, *args) -> None:
        log.warning("malformed request from %s", self.client_address[0])

    def _handle(self, method: str) -> None:
        start, self._user, self._status = time.monotonic(), None, 0
        url = urllib.parse.urlsplit(self.path)
        try:
            if url.path.startswith("/api/"):
                self._api(method, url)
            elif url.path.startswith("/download/") and method == "GET":
                self._download(url.path[len("/download/"):])
            elif url.path in STATIC_FILES and method == "GET":
                name, ctype = STATIC_FILES[url.path]
                with open(os.path.join(STATIC, name), "rb") as f:
                    self._send(200, f.read(), ctype, csp=CSP_UI)
            else:
                raise api.HttpError(404, "not found")
        except api.HttpError as e:
            self._error(e.status, e.message)
        except errors.DpkitError as e:
            status = next((s for cls, s in STATUS_OF if isinstance(e, cls)), 500)
            # The library's messages name columns and parameters, never cells.
            self._error(status, hide_paths(str(e.message), self.server.service.data_dir))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:
            incident = next(_incidents)
            where = traceback.extract_tb(e.__traceback__)[-1]
            log.error("incident %d: %s at %s:%d", incident, type(e).__name__,
                      os.path.basename(where.filename), where.lineno)
            self._error(500, f"internal error (incident {incident}; the server log has details)")
        self._access_log(method, url.path, start)

    def _access_log(self, method: str, path: str, start: float) -> None:
        if path.startswith("/download/"):
            path = "/download/<ticket>"
        log.info("%s %s %s %d %.0fms", self._user or "-", method, path, self._status,
                 1000 * (time.monotonic() - start))

    # ---- the API
    def _route(self, method: str, path: str):
        allowed = False
        for route in api.ROUTES:
            m = route.regex.match(path)
            if m:
                allowed = True
                if route.method == method:
                    return route, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
        raise api.HttpError(405 if allowed else 404, "method not allowed" if allowed else "not found")

    def _authenticate(self) -> str:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = self.server.service.store.user_for_token(token.strip()) \
            if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            raise api.HttpError(401, "a valid token is required (Authorization: Bearer <token>; "
                                     "the operator creates tokens)")
        return user

    def _api(self, method: str, url) -> None:
        route, params = self._route(method, url.path)
        self._user = self._authenticate()
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        req = api.Request(user=self._user, params=params, query=query)
        service = self.server.service
        service.authorize(route, req)
        if route.body == "json":
            req.body = self._json_body()
        elif route.body == "csv":
            service.check_upload(req)
            req.body = self._csv_body(service.data_dir)
        try:
            result = getattr(service, route.handler)(req)
        finally:
            if route.body == "csv" and os.path.exists(req.body):
                os.unlink(req.body)
        if isinstance(result, api.FileResponse):
            self._send_file(result.path, result.name)
        else:
            self._send(route.status, json.dumps(result, default=str).encode(), "application/json")

    def _length(self, limit: int, what: str) -> int:
        if self.headers.get("Transfer-Encoding"):
            raise api.HttpError(411, "send the body with a Content-Length (no chunked encoding)")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise api.HttpError(411, "a Content-Length header is required") from None
        if length < 0 or length > limit:
            self.close_connection = True
            raise api.HttpError(413, f"{what} is larger than the limit of {limit} bytes")
        return length

    def _content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def _json_body(self):
        if self._content_type() != "application/json":
            raise api.HttpError(415, "send a JSON body (Content-Type: application/json)")
        data = self.rfile.read(self._length(MAX_JSON, "the JSON body"))
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise api.HttpError(400, "the body is not valid JSON") from None

    def _csv_body(self, data_dir: str) -> str:
        if self._content_type() not in ("text/csv", "application/csv"):
            raise api.HttpError(415, "upload a CSV file as the body (Content-Type: text/csv)")
        remaining = self._length(self.server.max_upload, "the upload")
        path = api.new_upload_path(data_dir)
        with open(path, "wb") as f:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                f.write(chunk)
                remaining -= len(chunk)
        if remaining:
            os.unlink(path)
            raise api.HttpError(400, "the upload ended before Content-Length bytes arrived")
        return path

    # ---- responses
    def _download(self, ticket: str) -> None:
        found = self.server.service.tickets.redeem(ticket)
        if found is None:
            raise api.HttpError(404, "this link has expired or was used; ask for a new one")
        self._send_file(*found)

    def _send_file(self, path: str, name: str) -> None:
        ext = os.path.splitext(name)[1]
        with open(path, "rb") as f:
            body = f.read()
        if ext == ".html":
            self._send(200, body, CONTENT_TYPES[ext], csp=CSP_REPORT, frame="SAMEORIGIN")
        else:
            self._send(200, body, CONTENT_TYPES.get(ext, "application/octet-stream"),
                       disposition=f'attachment; filename="{name}"')

    def _error(self, status: int, message: str) -> None:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        self._send(status, json.dumps({"error": message}).encode(), "application/json", **headers)

    def _send(self, status: int, body: bytes, ctype: str, *, csp: str = CSP_API,
              frame: str = "DENY", disposition: str | None = None, **extra) -> None:
        self._status = status
        self.send_response(status)
        headers = {"Content-Type": ctype, "Content-Length": str(len(body)),
                   "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer", "X-Frame-Options": frame,
                   "Content-Security-Policy": csp, "Cross-Origin-Opener-Policy": "same-origin",
                   "Cross-Origin-Resource-Policy": "same-origin", **extra}
        if disposition:
            headers["Content-Disposition"] = disposition
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
