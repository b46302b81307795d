"""The REST API through the tutorial: sample data -> PII -> budget -> synthesis -> outputs ->
query -> ledger, against a real server process, the SQLite ledger and the library's pipeline."""

import csv
import io
import json

import pytest

from .harness import dpkit_cli


@pytest.fixture(scope="module")
def budgeted(alice):
    """The sample dataset with PII actions saved and a budget of epsilon 3 per customer."""
    scan = alice.ok("GET", "/api/datasets/customers/pii")
    alice.ok("PUT", "/api/datasets/customers/pii",
             {"privacy_unit": scan["proposed_unit"], "actions": scan["proposed"]})
    alice.ok("POST", "/api/datasets/customers/budget",
             {"unit": "customer_id", "epsilon": 3, "delta": 1e-6})
    return "customers"


def test_openapi_documents_every_route(alice):
    from dpkit.serve.api import ROUTES

    doc = alice.ok("GET", "/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        assert op["summary"] and op["description"]


def test_sample_dataset_listed_with_its_public_schema(alice):
    listed = alice.ok("GET", "/api/datasets")["datasets"]
    (d,) = [d for d in listed if d["id"] == "customers"]
    assert d["role"] == "owner" and d["sample"] and "email" in d["columns"]
    assert d["schema"]["privacy_unit"] == "customer_id"
    assert d["budgets"] == [] or d["budgets"][0]["unit"] == "customer_id"


def test_pii_scan_proposes_actions_per_column(alice):
    scan = alice.ok("GET", "/api/datasets/customers/pii")
    assert scan["dp"] is False and "NOT differentially private" in scan["note"]
    assert scan["proposed_unit"] == "customer_id"
    proposed = scan["proposed"]
    assert proposed["email"] == "fake" and proposed["credit_card"] == "fake"
    assert proposed["zip"] == "zip3" and proposed["income"] == "model"
    assert set(scan["actions"]) == {"model", "fake", "zip3", "drop"}


def test_pii_actions_become_schema_roles_and_policy(alice, budgeted):
    alice.ok("PUT", "/api/datasets/customers/pii",
             {"privacy_unit": "customer_id",
              "actions": {"email": "fake", "city": "drop", "zip": "zip3", "income": "model"}})
    d = alice.ok("GET", "/api/datasets/customers")
    roles = {c["name"]: c.get("pii") for c in d["schema"]["columns"]}
    assert roles["email"] == "email" and roles["city"] == "free_text"
    assert roles["zip"] == "zip_code" and roles["income"] == "none"
    assert d["policy"]["columns"]["email"] == "pseudonym" and d["policy"]["columns"]["city"] == "drop"
    status, _, body = alice.request("PUT", "/api/datasets/customers/pii",
                                    {"actions": {"email": "publish"}})
    assert status == 400 and "unknown action 'publish'" in body["error"]
    alice.ok("PUT", "/api/datasets/customers/pii", {"privacy_unit": "customer_id",
                                                    "actions": {"city": "model"}})
    # The sample's age is derived from date_of_birth while both are modelled; once the date is
    # dropped, age has no date to be computed from and loses its rule (modelled from the data).
    schema = alice.ok("GET", "/api/datasets/customers")["schema"]
    rules = {c["name"]: c.get("derived") for c in schema["columns"]}
    assert rules["age"]["from"] == "date_of_birth" and rules["tenure_months"]["whole"] == "months"
    alice.ok("PUT", "/api/datasets/customers/pii", {"privacy_unit": "customer_id",
                                                    "actions": {"date_of_birth": "drop"}})
    dropped = alice.ok("GET", "/api/datasets/customers")["schema"]
    rules = {c["name"]: c.get("derived") for c in dropped["columns"]}
    assert rules["age"] is None and rules["tenure_months"] is not None
    alice.ok("PUT", "/api/datasets/customers/pii", {"privacy_unit": "customer_id",
                                                    "actions": {"date_of_birth": "model"}})
    alice.ok("PUT", "/api/datasets/customers/schema", schema)  # the rules back, for the next tests


def test_budget_opened_once_never_extended(alice, budgeted):
    status, _, body = alice.request("POST", "/api/datasets/customers/budget",
                                    {"unit": "customer_id", "epsilon": 100})
    assert status == 409 and "never extended" in body["error"]
    ledger = alice.ok("GET", "/api/datasets/customers/ledger")
    assert ledger["budgets"][0]["epsilon"] == 3


def test_synthesis_job_runs_the_pipeline_with_outputs_labelled(alice, budgeted):
    job = alice.ok("POST", "/api/datasets/customers/jobs",
                   {"kind": "synthesize", "method": "mst", "epsilon": 0.5, "delta": 1e-7,
                    "target": "churned"})
    assert job["state"] in ("queued", "running")
    job = alice.wait_job(job["id"])
    assert job["state"] == "done", job
    assert any("charging epsilon=0.5" in line for line in job["progress"])
    assert str(alice.server.data_dir) not in json.dumps(job)  # no server paths
    assert job["result"]["epsilon_charged"] == pytest.approx(0.5)
    files = {f["name"]: f["dp"] for f in job["files"]}
    assert files["synthetic.csv"] and files["privacy.json"] and not files["report.html"]
    status, headers, body = alice.request("GET", f"/api/jobs/{job['id']}/files/synthetic.csv",
                                          raw=True)
    assert status == 200 and headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert rows and "email" in rows[0] and rows[0]["customer_id"].startswith("SYN")
    privacy = alice.ok("GET", f"/api/jobs/{job['id']}/files/privacy.json")
    assert privacy["epsilon"] == pytest.approx(0.5)
    for name in ("privacy.json", "summary.json", "report.json", "report.html"):
        body = alice.request("GET", f"/api/jobs/{job['id']}/files/{name}", raw=True)[2]
        assert body and str(alice.server.data_dir).encode() not in body, name
    link = alice.ok("POST", f"/api/jobs/{job['id']}/files/report.html/link")
    status, headers, body = alice.request("GET", link["url"], raw=True)
    assert status == 200 and b"NOT" in body and "sandbox" in headers["Content-Security-Policy"]
    status, _, _ = alice.request("GET", link["url"])
    assert status == 404  # one-time link


def test_query_charged_with_error_bars(alice, budgeted):
    before = alice.ok("GET", "/api/datasets/customers/ledger")["budgets"][0]["spent_epsilon"]
    plan = alice.ok("POST", "/api/datasets/customers/query",
                    {"sql": "EXPLAIN SELECT segment, COUNT(*) FROM customers GROUP BY segment "
                            "WITH EPSILON 0.3"})
    assert "explain" in plan
    answer = alice.ok("POST", "/api/datasets/customers/query",
                      {"sql": "SELECT segment, COUNT(*) AS n, AVG(income) AS avg_income FROM "
                              "customers GROUP BY segment WITH EPSILON 0.3, DELTA 1e-8"})
    assert answer["keys"] == ["segment"] and answer["aggregates"] == ["n", "avg_income"]
    for row in answer["rows"]:
        v = row["values"]["n"]
        assert v["ci_lower"] <= v["value"] <= v["ci_upper"] and v["noise_scale"] > 0
    after = alice.ok("GET", "/api/datasets/customers/ledger")
    assert after["budgets"][0]["spent_epsilon"] == pytest.approx(before + 0.3)
    assert after["history"][-1]["charge_id"] in answer["charge_ids"]


def test_over_budget_job_refused_by_the_ledger(alice, budgeted):
    remaining = alice.ok("GET", "/api/datasets/customers/ledger")["budgets"][0]["remaining_epsilon"]
    job = alice.ok("POST", "/api/datasets/customers/jobs",
                   {"kind": "synthesize", "method": "mst", "epsilon": remaining + 0.5})
    job = alice.wait_job(job["id"])
    assert job["state"] == "refused" and "budget" in job["error"].lower()
    assert job["files"] == [] and job["result"] is None
    ledger = alice.ok("GET", "/api/datasets/customers/ledger")
    assert ledger["budgets"][0]["remaining_epsilon"] == pytest.approx(remaining)
    assert ledger["history"][-1]["status"] == "refused"


@pytest.mark.skipif(dpkit_cli() is None, reason="DP-SGD needs the dpkit CLI and dpkit-train "
                                                "(make build, or set DPKIT_CLI)")
def test_dp_sgd_training_job(alice, budgeted):
    job = alice.ok("POST", "/api/datasets/customers/jobs",
                   {"kind": "train", "target": "churned", "rows": 5000, "model": "mlp:8",
                    "epochs": 1, "epsilon": 0.5, "delta": 1e-6,
                    "features": ["age", "income", "segment", "tenure_months"]})
    job = alice.wait_job(job["id"])
    assert job["state"] == "done", job
    assert job["result"]["privacy"]["epsilon_spent"] <= 0.5
    assert {f["name"] for f in job["files"]} == {"model.pt", "model.report.json"}
    assert all(f["dp"] for f in job["files"])
    assert any("epoch 1/1" in line for line in job["progress"])
    bad = alice.wait_job(alice.ok("POST", "/api/datasets/customers/jobs",
                                  {"kind": "train", "target": "churned", "rows": 5000,
                                   "epsilon": 0.5, "features": ["first_name"]})["id"])
    assert bad["state"] == "failed" and "first_name" in bad["error"]  # dpkit train's own message


def test_upload_flow(bob):
    data = b"user_id,age,plan\n" + b"".join(b"u%d,%d,%s\n" % (i, 20 + i % 50, [b"a", b"b"][i % 2])
                                           for i in range(300))
    status, _, d = bob.upload("plans", data, "plans.csv")
    assert status == 201, d
    assert d["columns"] == ["user_id", "age", "plan"] and d["owner"] == "bob"
    assert d["bytes"] == len(data) and d["schema"] is None
    status, _, body = bob.upload("plans", data, "plans.csv")
    assert status == 409  # ids are never reused
    schema = {"privacy_unit": "user_id", "columns": [
        {"name": "user_id", "type": "string"}, {"name": "age", "type": "int64", "lower": 18,
                                                "upper": 90},
        {"name": "plan", "type": "string", "categories": ["a", "b"]}]}
    assert bob.ok("PUT", "/api/datasets/plans/schema", schema)["schema"] == schema
    status, _, body = bob.request("PUT", "/api/datasets/plans/schema",
                                  {"privacy_unit": "nobody", "columns": []})
    assert status == 400 and "nobody" in body["error"]
    status, _, body = bob.request("POST", "/api/datasets/plans/jobs",
                                  {"kind": "synthesize", "epsilon": 1})
    assert status == 409 and "no privacy budget" in body["error"]
    bob.ok("POST", "/api/datasets/plans/budget", {"unit": "user_id", "epsilon": 1, "delta": 1e-6})
    job = bob.wait_job(bob.ok("POST", "/api/datasets/plans/jobs",
                              {"kind": "synthesize", "method": "aim", "epsilon": 0.5})["id"])
    assert job["state"] == "done", job


def test_static_ui_served_without_data(anonymous):
    status, headers, body = anonymous.request("GET", "/", raw=True)
    assert status == 200 and b"<title>dpkit" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for path in ("/static/app.js", "/static/app.css"):
        assert anonymous.request("GET", path, raw=True)[0] == 200
    assert anonymous.request("GET", "/static/../serve.db", raw=True)[0] == 404
