"""Security of dpkit serve: authentication on every route, per-dataset access, owner vs reader
outputs, upload limits and bad uploads, path traversal, CSRF/CORS, explicit budgets, and no
private data in logs, error messages or reader responses."""

import http.client
import json
import os
import re

import pytest

import dpkit.pii
from dpkit.serve.api import ROUTES

GOOD = b"user_id,age,plan\n" + b"".join(b"u%d,%d,%s\n" % (i, 20 + i % 50, [b"a", b"b"][i % 2])
                                       for i in range(200))


@pytest.fixture(scope="module")
def shared(alice, bob):
    """customers (alice's) with a budget, bob granted, and one finished synthesis job by alice."""
    alice.ok("POST", "/api/datasets/customers/budget",
             {"unit": "customer_id", "epsilon": 5, "delta": 1e-6})
    alice.ok("POST", "/api/datasets/customers/access", {"user": "bob"})
    job = alice.ok("POST", "/api/datasets/customers/jobs",
                   {"kind": "synthesize", "method": "mst", "epsilon": 0.5})
    return alice.wait_job(job["id"])


def concrete(path: str, job_id: str) -> str:
    return (path.replace("{dataset}", "customers").replace("{job}", job_id)
            .replace("{name}", "synthetic.csv").replace("{user}", "bob"))


def test_every_route_needs_a_token(serve, anonymous, shared):
    stranger = type(anonymous)(serve, "not-a-token")
    for route in ROUTES:
        path = concrete(route.path, shared["id"])
        for client, headers in ((anonymous, {}), (stranger, {}),
                                (anonymous, {"Authorization": f"Basic {serve.tokens['alice']}"}),
                                (anonymous, {"Cookie": f"token={serve.tokens['alice']}"})):
            status, h, body = client.request(route.method, path, headers=headers)
            assert status == 401, (route.path, status, body)
            assert h["WWW-Authenticate"] == "Bearer"


def test_no_cors_and_no_form_posts(alice):
    status, headers, _ = alice.request("GET", "/api/datasets",
                                       headers={"Origin": "http://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
    # What a cross-site HTML form can send (text/plain, form-encoded) is refused.
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        status, _, body = alice.request("POST", "/api/datasets/sample", b'{"name":"x1"}',
                                        content_type=ctype)
        assert status == 415, body
    assert alice.request("OPTIONS", "/api/datasets")[0] in (404, 405, 501)


def test_strangers_see_nothing(carol, shared):
    assert carol.ok("GET", "/api/datasets")["datasets"] == []
    for method, path, body in [
            ("GET", "/api/datasets/customers", None), ("GET", "/api/datasets/customers/ledger", None),
            ("GET", "/api/datasets/customers/jobs", None),
            ("POST", "/api/datasets/customers/query", {"sql": "SELECT COUNT(*) FROM customers"}),
            ("POST", "/api/datasets/customers/jobs", {"kind": "synthesize", "epsilon": 1}),
            ("GET", f"/api/jobs/{shared['id']}", None),
            ("GET", f"/api/jobs/{shared['id']}/files/synthetic.csv", None)]:
        status, _, answer = carol.request(method, path, body)
        assert status == 404, (path, answer)


def test_readers_get_releases_only(bob, shared):
    d = bob.ok("GET", "/api/datasets/customers")
    assert d["role"] == "reader" and d["columns"] and d["budgets"]
    assert not {"bytes", "filename", "readers", "policy"} & set(d)  # about the data itself
    for method, path, body in [("GET", "/api/datasets/customers/pii", None),
                               ("PUT", "/api/datasets/customers/schema", {"columns": []}),
                               ("PUT", "/api/datasets/customers/pii", {"actions": {}}),
                               ("POST", "/api/datasets/customers/budget", {"epsilon": 9}),
                               ("POST", "/api/datasets/customers/access", {"user": "carol"})]:
        assert bob.request(method, path, body)[0] == 403, path
    job = bob.ok("GET", f"/api/jobs/{shared['id']}")
    assert "owner_error" not in job and {f["name"] for f in job["files"]} == {
        "synthetic.csv", "privacy.json", "summary.json"}
    for name in ("report.html", "report.json", "clean.csv", "pii.json"):
        assert bob.request("GET", f"/api/jobs/{shared['id']}/files/{name}")[0] == 403
        assert bob.request("POST", f"/api/jobs/{shared['id']}/files/{name}/link")[0] == 403
    assert bob.request("GET", f"/api/jobs/{shared['id']}/files/synthetic.csv", raw=True)[0] == 200


def test_reader_responses_hold_no_cell_before_a_charge(serve, alice, bob, shared):
    """No value of the private table reaches a reader through the public views."""
    import csv

    with open(serve.data_dir / "datasets/customers/data.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cells = {r[c] for r in rows[:200] for c in ("email", "phone", "last_name", "street_address")}
    # A surname that is also a public category of the schema (the city "Jackson") is no leak.
    public = {v for col in dpkit.pii.customers_schema()["columns"] for v in col.get("categories", [])}
    seen = json.dumps([bob.ok("GET", p) for p in (
        "/api/datasets", "/api/datasets/customers", "/api/datasets/customers/ledger",
        "/api/datasets/customers/jobs", f"/api/jobs/{shared['id']}")])
    # Whole words only: the surname "Hart" inside the city "Hartford" is no leak either.
    assert not [c for c in cells - public if re.search(rf"(?<!\w){re.escape(c)}(?!\w)", seen)]
    assert str(len(rows)) not in seen.replace(".", " ").split()  # not even the row count


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"a,b\n", "no rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "binary"),
    (b"name,city\nJos\xe9,M\xfcnchen\n", "UTF-8"),
    (b"a,b,c\n1,2,3\n4,5\n", "expected 3 fields"),
    (b'a,b\n1,"never closed\n', "quote"),
    (b"a,a\n1,2\n", "unique"),
])
def test_bad_uploads_get_clear_errors(serve, bob, content, expected):
    status, _, body = bob.upload("bad_upload", content, "bad.csv")
    assert status == 422 and expected in body["error"], body
    assert "bad.csv" in body["error"] and str(serve.data_dir) not in body["error"]
    assert not (serve.data_dir / "datasets/bad_upload").exists()
    assert os.listdir(serve.data_dir / "uploads") == []


def test_upload_limits(serve, bob):
    big = GOOD + b"u9,30,a\n" * 300_000  # > 2 MB (the test server's --max-upload-mb 2)
    try:
        status, _, body = bob.upload("too_big", big, "big.csv")
    except (BrokenPipeError, ConnectionResetError):
        status, body = 413, {"error": "larger than the limit"}  # refused while sending
    assert status == 413 and "larger than the limit" in body["error"]
    for ctype, filename in (("application/json", "ok.csv"), ("text/csv", "run.exe")):
        status, _, body = bob.upload("wrong_type", GOOD, filename, content_type=ctype)
        assert status == 415, body
    for name in ("../etc", "UPPER", "a/b", "x" * 60, "1abc", ""):
        status, _, body = bob.upload(name, GOOD)
        assert status == 400, (name, body)
    conn = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=30)
    conn.putrequest("POST", "/api/datasets?name=chunked")
    conn.putheader("Authorization", f"Bearer {serve.tokens['bob']}")
    conn.putheader("Content-Type", "text/csv")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"0\r\n\r\n")
    assert conn.getresponse().status == 411
    assert os.listdir(serve.data_dir / "uploads") == []


def test_no_path_traversal(serve, alice, shared):
    job = shared["id"]
    for path in (f"/api/jobs/{job}/files/..%2F..%2Fserve.db", f"/api/jobs/{job}/files/spec.json",
                 f"/api/jobs/{job}/files/worker.stderr", f"/api/jobs/{job}/files/pii.key",
                 "/api/datasets/..%2F..%2Fserve.db", "/api/jobs/..%2Fdatasets/files/data.csv",
                 "/static/../serve.db", "/download/..%2F..%2Fserve.db", "/serve.db",
                 "/static/%2e%2e/serve.db"):
        status, _, body = alice.request("GET", path, raw=True)
        assert status in (403, 404), (path, status)
        assert b"SQLite" not in body and b"customer_id" not in body


def test_budgets_are_explicit(bob):
    status, _, d = bob.upload("nobudget", GOOD, "n.csv")
    assert status == 201
    status, _, body = bob.request("POST", "/api/datasets/nobudget/jobs",
                                  {"kind": "synthesize", "epsilon": 1})
    assert status == 409 and "budget" in body["error"]
    status, _, body = bob.request("POST", "/api/datasets/nobudget/query",
                                  {"sql": "SELECT COUNT(*) FROM nobudget WITH EPSILON 1"})
    assert status == 409 and "budget init" in body["error"], body
    assert bob.ok("GET", "/api/datasets/nobudget/ledger") == {"budgets": [], "history": []}


def test_download_links_are_single_use_and_per_file(alice, anonymous, shared):
    link = alice.ok("POST", f"/api/jobs/{shared['id']}/files/clean.csv/link")["url"]
    status, headers, body = anonymous.request("GET", link, raw=True)
    assert status == 200 and headers["Content-Disposition"] == 'attachment; filename="clean.csv"'
    assert anonymous.request("GET", link)[0] == 404
    assert anonymous.request("GET", "/download/" + "A" * 43)[0] == 404


def test_logs_hold_no_private_data(serve, alice, shared):
    import csv

    alice.ok("POST", "/api/datasets/customers/query",
             {"sql": "SELECT COUNT(*) AS secret_marker FROM customers WITH EPSILON 0.1"})
    link = alice.ok("POST", f"/api/jobs/{shared['id']}/files/synthetic.csv/link")["url"]
    alice.request("GET", link + "?q=secret_query_value", raw=True)
    log = serve.log_text()
    with open(serve.data_dir / "datasets/customers/data.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cells = {r[c] for r in rows for c in ("email", "phone", "credit_card", "street_address")}
    assert not [c for c in cells if c in log]
    assert not [t for t in serve.tokens.values() if t in log]
    assert link.split("/")[-1] not in log and "secret" not in log
    assert "alice POST /api/datasets/customers/query 200" in log
