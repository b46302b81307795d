#!/usr/bin/env python3
"""One run of the dpkit serve release workflow for serve_test.sh, in the current folder.

Usage: serve_client.py DATA.csv SCHEMA.json   (with a Python that has the dpkit package)

Starts ``python -m dpkit.serve`` with its data folder in ./state (its log: ./state.log), then
through the REST API: the owner alice uploads DATA.csv as dataset 'customers', sets the public
SCHEMA.json and fixed PII actions, opens a budget and grants bob access; bob (a reader) runs an
MST synthesis job, downloads its DP files, asks a DP SQL query and an over-budget job, and reads
the dataset, its jobs and its ledger. What a reader receives is written to ./reader/ and printed
(status lines); what only the owner receives (NOT DP: the upload's description, the evaluation
report, clean.csv) to ./owner/. The HTTP status of every reader request is printed, so a
refusal or an error page that depends on the data is a difference in stdout.
"""
import json
import os
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python/tests/serve"))
from harness import Client, Server, operator  # noqa: E402

# Fixed public choices (the owner's, made without looking at the data).
ACTIONS = {"first_name": "fake", "last_name": "fake", "email": "fake", "phone": "fake",
           "street_address": "fake", "credit_card": "fake", "zip": "zip3", "city": "drop"}
QUERY = {"sql": "SELECT segment, COUNT(*) AS n, AVG(income) AS mean_income FROM customers "
                "GROUP BY segment", "epsilon": 0.5, "delta": 1e-7}


def save(folder: str, name: str, data) -> None:
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(folder, name), mode) as f:
        f.write(data if isinstance(data, (bytes, str)) else json.dumps(data, indent=1, default=str))


def reader_call(client: Client, method: str, path: str, body=None, save_as: str | None = None,
                raw: bool = False):
    """A reader's request; prints its status (job ids left out: they are random)."""
    status, _, data = client.request(method, path, body, raw=raw)
    shown = "/".join("JOB" if re.fullmatch("[0-9a-f]{16}", part) else part for part in path.split("/"))
    print(f"{method} {shown} -> {status}")
    if save_as:
        save("reader", save_as, data)
    return status, data


def owner_steps(alice: Client, data: bytes, schema: dict) -> None:
    status, _, view = alice.upload("customers", data, "customers.csv")
    assert status == 201, (status, view)
    save("owner", "upload.json", view)
    alice.ok("PUT", "/api/datasets/customers/schema", schema)
    save("owner", "pii.json", alice.ok("PUT", "/api/datasets/customers/pii",
                                        {"privacy_unit": "customer_id", "actions": ACTIONS}))
    alice.ok("POST", "/api/datasets/customers/budget",
             {"unit": "customer_id", "epsilon": 3, "delta": 1e-6})
    alice.ok("POST", "/api/datasets/customers/access", {"user": "bob"})


def reader_steps(bob: Client) -> str:
    status, job = reader_call(bob, "POST", "/api/datasets/customers/jobs",
                              {"kind": "synthesize", "method": "mst", "epsilon": 1,
                               "delta": 1e-7})
    assert status == 202, job
    save("reader", "job.json", bob.wait_job(job["id"]))
    for name in ("synthetic.csv", "privacy.json", "summary.json"):
        reader_call(bob, "GET", f"/api/jobs/{job['id']}/files/{name}", save_as=name, raw=True)
    for name in ("report.html", "clean.csv"):  # data-owner outputs: refused to a reader
        reader_call(bob, "GET", f"/api/jobs/{job['id']}/files/{name}")
    reader_call(bob, "POST", "/api/datasets/customers/query", QUERY, "query.json")
    status, big = reader_call(bob, "POST", "/api/datasets/customers/jobs",
                              {"kind": "synthesize", "method": "mst", "epsilon": 5})
    if status == 202:
        refused = bob.wait_job(big["id"])
        print(f"over-budget job: {refused['state']}: {refused['error']}")
    reader_call(bob, "GET", "/api/datasets/customers", save_as="dataset.json")
    reader_call(bob, "GET", "/api/datasets/customers/jobs", save_as="jobs.json")
    reader_call(bob, "GET", "/api/datasets/customers/ledger", save_as="ledger.json")
    return job["id"]


def main(data_path: str, schema_path: str) -> int:
    server = Server(pathlib.Path("state").resolve(), "--login", "alice")
    try:
        bob = Client(server, operator(server.data_dir, "create", "bob"))
        alice = Client(server, server.login_token)
        with open(schema_path) as f:
            schema = json.load(f)
        owner_steps(alice, pathlib.Path(data_path).read_bytes(), schema)
        job_id = reader_steps(bob)
        for name in ("report.json", "clean.csv"):
            save("owner", name, alice.ok("GET", f"/api/jobs/{job_id}/files/{name}", raw=True))
        save("owner", "dataset.json", alice.ok("GET", "/api/datasets/customers"))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
