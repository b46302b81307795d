#!/usr/bin/env python3
"""Writes a dpkit schema (docs/io.md) from a NIST data dictionary (SDNist / CRC
`data_dictionary.json`, usnistgov/SDNist `BenchmarkData/ACSDataExcerpts/`).

Contract: every type, category list, bound and nullability comes from the dictionary alone; the
data is never read, so the schema is public and costs no privacy budget. Per feature:

  * "values" with "min"/"max": a numeric column with those inclusive bounds, int64 when both are
    integers (double otherwise, or when --double names it). Extra integer codes next to the range (NOC "0", POVPIP "501",
    WGTP "0") widen the bounds to include them; a non-numeric extra code is an error.
  * "values" without "min"/"max": a text column whose categories are the listed codes, in the
    dictionary's order (declared categories are complete: no "other" code).
  * "N" among the codes: the column is nullable and "N" is its null token; without "N" the
    column is declared "nullable": false (a null in the data is then a data error).
  * no "values" (INDP: codes only behind a link): a text column without categories; dpkit then
    finds its values with DP partition selection, and this tool says so on stderr.

Usage:
  nist_schema.py data_dictionary.json [--feature-set demographic-focused | --features A,B]
                 [--double PINCP] [--out schema.json]
Without --out the schema goes to stdout. Exit 2 on a bad argument or an unusable dictionary.
"""
import argparse
import json
import sys

NULL_TOKEN = "N"

# The NIST CRC's recommended feature sets (usnistgov/SDNist sdnist/gui/constants.py; the
# Excerpts README lists the same sets). Order follows that file.
FEATURE_SETS = {
    "all-features": ["PUMA", "AGEP", "SEX", "MSP", "HISP", "RAC1P", "NOC", "NPF",
                     "HOUSING_TYPE", "OWN_RENT", "DENSITY", "INDP", "INDP_CAT", "EDU", "PINCP",
                     "PINCP_DECILE", "POVPIP", "DVET", "DREM", "DPHY", "DEYE", "DEAR", "WGTP",
                     "PWGTP"],
    "simple-features": ["PUMA", "AGEP", "SEX", "MSP", "HISP", "RAC1P", "NOC", "NPF",
                        "HOUSING_TYPE", "OWN_RENT", "DENSITY", "INDP_CAT", "EDU", "PINCP",
                        "PINCP_DECILE", "POVPIP", "DVET", "DREM", "DPHY", "DEYE", "DEAR"],
    "demographic-focused": ["AGEP", "SEX", "MSP", "RAC1P", "HOUSING_TYPE", "OWN_RENT", "EDU",
                            "PINCP_DECILE", "DVET", "DEYE"],
    "family-focused": ["PUMA", "AGEP", "SEX", "MSP", "HISP", "RAC1P", "NOC", "NPF", "OWN_RENT",
                       "PINCP_DECILE", "POVPIP"],
    "industry-focused": ["PUMA", "SEX", "MSP", "HISP", "RAC1P", "OWN_RENT", "INDP_CAT", "EDU",
                         "PINCP_DECILE"],
    "detailed-industry-focused": ["PUMA", "SEX", "MSP", "HISP", "RAC1P", "OWN_RENT", "INDP",
                                  "EDU", "PINCP_DECILE"],
    "small-categorical": ["SEX", "RAC1P", "OWN_RENT", "PINCP_DECILE", "PUMA"],
    "tiny-categorical": ["RAC1P", "PUMA"],
}


class DictionaryError(ValueError):
    pass


def _number(name, key, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise DictionaryError(f"{name}: '{key}' must be a number, got {v!r}")
    return v


def _integer_code(name, code):
    try:
        return int(code)
    except ValueError:
        raise DictionaryError(
            f"{name}: code {code!r} next to a min/max range is not an integer; a numeric column "
            "cannot hold it") from None


def numeric_column(name, values, as_double=False):
    """A column for a dictionary entry with "min" and "max" (see the module contract)."""
    if "min" not in values or "max" not in values:
        raise DictionaryError(f"{name}: has one of 'min'/'max' but not both")
    lo = _number(name, "min", values["min"])
    hi = _number(name, "max", values["max"])
    codes = [_integer_code(name, k) for k in values if k not in ("min", "max", NULL_TOKEN)]
    lo, hi = min([lo] + codes), max([hi] + codes)
    integral = all(float(x).is_integer() for x in (lo, hi)) and not as_double
    col = {"name": name, "type": "int64" if integral else "double"}
    col["lower"], col["upper"] = (int(lo), int(hi)) if integral else (lo, hi)
    return col


def column_schema(name, entry, warn, as_double=False):
    """The dpkit schema column for one data-dictionary entry."""
    values = entry.get("values")
    if values is None:
        warn(f"{name}: the dictionary lists no values; declared as text without categories "
             "(dpkit will select its values with DP partition selection)")
        return {"name": name, "type": "string"}
    if not isinstance(values, dict) or not values:
        raise DictionaryError(f"{name}: 'values' must be a non-empty object")
    if "min" in values or "max" in values:
        col = numeric_column(name, values, as_double)
    else:
        col = {"name": name, "type": "string",
               "categories": [k for k in values if k != NULL_TOKEN]}
        if not col["categories"]:
            raise DictionaryError(f"{name}: no categories besides the null code")
    if NULL_TOKEN not in values:
        col["nullable"] = False
    return col


def schema_from_dictionary(dictionary, features=None, warn=lambda msg: None, doubles=()):
    """A dpkit schema (a dict ready for json.dump) for `features` (default: all, in the
    dictionary's order); numeric features named in `doubles` are declared double."""
    names = list(dictionary) if features is None else list(features)
    unknown = [f for f in list(names) + list(doubles) if f not in dictionary]
    if unknown:
        raise DictionaryError(f"not in the dictionary: {', '.join(unknown)} "
                              f"(it has: {', '.join(dictionary)})")
    return {"null_tokens": [NULL_TOKEN],
            "columns": [column_schema(f, dictionary[f], warn, f in doubles) for f in names]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dictionary", help="data_dictionary.json")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--feature-set", choices=sorted(FEATURE_SETS),
                       help="a NIST CRC feature set")
    group.add_argument("--features", help="comma-separated feature names")
    ap.add_argument("--double", default="",
                    help="comma-separated numeric features to declare double although their "
                         "bounds are integers (the ACS excerpts write PINCP as 0.0)")
    ap.add_argument("--out", help="schema file to write (default: stdout)")
    args = ap.parse_args(argv)
    features = (FEATURE_SETS[args.feature_set] if args.feature_set else
                args.features.split(",") if args.features else None)
    try:
        with open(args.dictionary, encoding="utf-8") as f:
            dictionary = json.load(f)
        schema = schema_from_dictionary(
            dictionary, features, warn=lambda m: print(f"nist_schema: {m}", file=sys.stderr),
            doubles=[d for d in args.double.split(",") if d])
    except (OSError, json.JSONDecodeError, DictionaryError) as e:
        print(f"nist_schema: {args.dictionary}: {e}", file=sys.stderr)
        return 2
    text = json.dumps(schema, indent=2) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
