#!/usr/bin/env python3
"""Writes neighbouring customer tables D and D' for the privacy tests.

Usage: make_neighbours.py BASE.csv D.csv D2.csv
D is BASE (from `dpkit sample customers`); D2 is D plus one customer whose every field is
extreme or unique: a rare phone country code and card brand, a unique city/state/ZIP/segment,
a non-numeric cell in a numeric column, a huge income, an old date of birth. Any output that
depends on this one customer deterministically is a privacy leak.
"""
import csv
import sys

EXTREME = {
    "customer_id": "999999",
    "first_name": "Zebulon",
    "last_name": "Quixotexyz",
    "gender": "X",
    "email": "zebulon.quixotexyz@example.co.uk",
    "phone": "+44 20 7946 0958",
    "street_address": "1 Zzyzx Causeway",
    "city": "Zzyzx",
    "state": "ZZ",
    "zip": "00001",
    "credit_card": "3530111333300000",
    "date_of_birth": "1901-01-01",
    "age": "125",
    "education": "Postdoctorate",
    "income": "1000000000000",
    "segment": "Platinum-Unique",
    "signup_date": "1999-12-31",
    "tenure_months": "9999",
    "purchases_12m": "abc",
    "spend_12m": "99999999.99",
    "churned": "maybe",
}


def main(base, d, d2):
    with open(base, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    with open(d, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    extra = [EXTREME.get(name, "ZZZ-unique") for name in header]
    with open(d2, "w", newline="") as f:
        csv.writer(f).writerows(rows + [extra])


if __name__ == "__main__":
    main(*sys.argv[1:4])
