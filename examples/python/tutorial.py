"""dpkit from Python: the customer flow, end to end (docs/python.md, "Tutorial").

    python examples/python/tutorial.py --out tutorial-output

1. sample 5,000 generated customers with realistic fake PII (what `dpkit sample customers` writes)
   and the table's public schema;
2. scan them for PII and replace identifiers with keyed pseudonyms (data-owner steps, NOT DP);
3. open a privacy budget of epsilon = 3 per customer in a ledger;
4. fit a DP synthesizer on the de-identified table (charged to the ledger before it runs) and
   sample a synthetic table;
5. evaluate synthetic against real (NOT DP: the report is for the data owner);
6. answer a SQL question with DP and confidence intervals (charged too);
7. show the ledger: every release, one budget.
"""

import argparse
import os

import dpkit
from dpkit import pii, report
from dpkit.synth import Synthesizer

# The columns the synthesizer releases: the privacy unit and the non-identifying attributes.
# The schema derives age and tenure_months from the two dates: they are computed from the
# synthetic dates, not modelled.
MODELLED = ["customer_id", "gender", "state", "date_of_birth", "age", "education", "income",
            "segment", "signup_date", "tenure_months", "purchases_12m", "spend_12m", "churned"]


def released_schema(schema: dict) -> dict:
    """The public schema of the modelled columns; customer_id is a pseudonym (text) now."""
    by_name = {c["name"]: c for c in schema["columns"]}
    columns = [by_name[c] for c in MODELLED[1:]]
    return {"privacy_unit": "customer_id",
            "columns": [{"name": "customer_id", "type": "string"}] + columns}


def main(out: str, rows: int) -> None:
    os.makedirs(out, exist_ok=True)
    customers = pii.generate_customers(rows)          # 1. fake people, reproducible
    schema = pii.customers_schema()                   #    public: types, bounds, categories

    scan = pii.scan(customers)                        # 2. NOT DP: for the data owner
    identifiers = scan.columns.query("`class` == 'identifier'")["name"].tolist()
    print(f"PII scan: identifiers {', '.join(identifiers)}; unit {scan.privacy_unit}")
    clean = pii.replace(customers, key=pii.keygen()).data

    ledger = dpkit.Ledger(os.path.join(out, "ledger.db"))   # 3. the budget
    ledger.init("customers", unit="customer_id", epsilon=3, delta=1e-6)

    synth = Synthesizer("aim", epsilon=1, delta=1e-7, schema=released_schema(schema))
    print(synth.plan(MODELLED, dataset="customers").to_text())   # 4. dry run: public inputs
    synth.fit(clean[MODELLED], ledger=ledger, dataset="customers")
    synthetic = synth.sample()
    synthetic.to_csv(os.path.join(out, "synthetic.csv"), index=False)
    print(f"synthetic table: {synthetic.shape[1]} columns; {synth.privacy}")

    evaluation = report.evaluate(clean[MODELLED[1:]], synthetic, target="churned",
                                 privacy=synth.privacy.guarantee())   # 5. NOT DP
    evaluation.to_html(os.path.join(out, "report.html"))
    for verdict in evaluation.verdicts:
        print(f"  [{verdict['level']}] {verdict['area']}: {verdict['headline']}")

    answer = dpkit.query(                              # 6. DP SQL, charged before it runs
        "SELECT segment, COUNT(*) AS customers, AVG(income) AS avg_income FROM customers "
        "GROUP BY segment WITH EPSILON 0.5, DELTA 1e-7",
        tables={"customers": clean}, schema=released_schema(schema), ledger=ledger,
        dataset="customers")
    print(answer.to_string(index=False))

    print(ledger.history("customers", unit="customer_id")[                  # 7. the ledger
        ["charge_id", "operation", "spent_epsilon"]].to_string(index=False))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tutorial-output", help="output folder (created)")
    ap.add_argument("--rows", type=int, default=5000, help="customers to generate")
    a = ap.parse_args()
    main(a.out, a.rows)
