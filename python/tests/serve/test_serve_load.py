"""Bounded load on loopback: 20 synthesis jobs submitted at once on one budget while 200 API
reads run concurrently. No job is lost (each ends done or refused, none failed), the ledger is
never over-spent, and it agrees with the jobs: as many charges as jobs done, one refusal per
refused job. Bounded in count and time; only 127.0.0.1 is contacted."""

import concurrent.futures
import statistics
import time


import dpkit

JOBS, READS, EPSILON, BUDGET = 20, 200, 0.5, 3.0


def test_concurrent_jobs_and_reads(serve, alice):
    alice.ok("POST", "/api/datasets/sample", {"name": "load", "rows": 1000})
    alice.ok("POST", "/api/datasets/load/budget",
             {"unit": "customer_id", "epsilon": BUDGET, "delta": 1e-6})
    reads = ["/api/datasets", "/api/datasets/load", "/api/datasets/load/ledger",
             "/api/datasets/load/jobs"]

    def submit(_):
        return alice.request("POST", "/api/datasets/load/jobs",
                             {"kind": "synthesize", "method": "mst", "epsilon": EPSILON})

    def read(i):
        start = time.monotonic()
        status = alice.request("GET", reads[i % len(reads)])[0]
        return status, time.monotonic() - start

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        submitted = pool.map(submit, range(JOBS))
        read_results = list(pool.map(read, range(READS)))
        submitted = list(submitted)
    assert [s for s, _, _ in submitted] == [202] * JOBS
    assert [s for s, _ in read_results] == [200] * READS
    ids = {job["id"] for _, _, job in submitted}
    assert len(ids) == JOBS

    jobs = [alice.wait_job(job_id, timeout=300) for job_id in ids]
    elapsed = time.monotonic() - start
    states = [j["state"] for j in jobs]
    assert set(states) <= {"done", "refused"}, [(j["state"], j["error"]) for j in jobs]
    done = states.count("done")
    assert done == int(BUDGET / EPSILON + 1e-9)  # every job that fits runs, no more

    ledger = alice.ok("GET", "/api/datasets/load/ledger")
    budget = ledger["budgets"][0]
    assert budget["spent_epsilon"] <= BUDGET + 1e-9
    # Each job is charged its plan's maps at the budget's delta (1e-6); a zCDP map converted
    # there costs at most the epsilon the job asked for at its own delta (1e-7), so the total is
    # at most done * EPSILON (equal when the maps are (epsilon, delta) ones).
    assert done * EPSILON * 0.9 <= budget["spent_epsilon"] <= done * EPSILON + 1e-9
    assert budget["charges"] == done and budget["refused"] == states.count("refused")
    dpkit.Ledger(str(serve.data_dir / "ledger.db")).check()  # hash chain and totals intact

    latencies = sorted(t for _, t in read_results)
    print(f"\nload: {JOBS} jobs ({done} done, {JOBS - done} refused) and {READS} reads in "
          f"{elapsed:.1f} s; read latency median {1000 * statistics.median(latencies):.0f} ms, "
          f"p99 {1000 * latencies[int(0.99 * len(latencies))]:.0f} ms")
