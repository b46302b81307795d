#!/usr/bin/env python3
"""Usage: check_schema_structure.py SCHEMA.json SYNTHETIC.csv

Checks that every row of a synthetic table follows its schema's public structure (io/schema.h):
- each hierarchy's columns hold a listed combination, a coarser level of one when the hierarchy
  says "unlisted": "coarser" ("other" in the finer levels), or are all empty (null);
- each derived column equals the whole years/months/days from its "from" to its "to" date
  (counted as ages and tenures are), clamped to the column's bounds, and is empty when one of
  its dates is.
Exits 1 and prints the first offending rows when one does not; exits 1 on an empty table.
"""
import csv
import datetime
import json
import sys


def whole_units(unit, start, end):
    if end < start:
        return -whole_units(unit, end, start)
    if unit == "days":
        return (end - start).days
    if unit == "months":
        return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def operand(row, value):
    """A date operand: a column's value (None when empty) or a fixed YYYY-MM-DD date."""
    if value in row:
        return datetime.date.fromisoformat(row[value]) if row[value] else None
    return datetime.date.fromisoformat(value)


def allowed_combinations(h):
    allowed = set()
    for v in h["values"]:
        levels = len(v) + 1 if h.get("unlisted", "coarser") == "coarser" else 1
        for k in range(levels):
            allowed.add(tuple(["other"] * k + v[k:]))
    return allowed


def row_problems(schema, hierarchies, row):
    for h, allowed in hierarchies:
        geo = tuple(row[c] for c in h["columns"])
        if geo not in allowed and any(geo):
            yield f"{'/'.join(h['columns'])} = {geo} is not listed"
    for c in schema["columns"]:
        rule = c.get("derived")
        if rule is None or c["name"] not in row:
            continue
        start, end = operand(row, rule["from"]), operand(row, rule["to"])
        if start is None or end is None:
            expected = ""
        else:
            value = whole_units(rule["whole"], start, end)
            value = max(value, c.get("lower", value))
            expected = str(min(value, c.get("upper", value)))
        if row[c["name"]] != expected:
            yield f"{c['name']} = {row[c['name']]!r}, its rule gives {expected!r}"


def main(schema_path, table_path):
    schema = json.load(open(schema_path))
    hierarchies = [(h, allowed_combinations(h)) for h in schema.get("hierarchies", [])]
    rows = list(csv.DictReader(open(table_path)))
    problems = [p for r in rows for p in row_problems(schema, hierarchies, r)]
    for p in problems[:5]:
        print(f"{table_path}: {p}", file=sys.stderr)
    return 1 if problems or not rows else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
