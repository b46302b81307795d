#!/usr/bin/env bash
# Neighbouring-dataset tests of `dpkit query` (one table, several tables, a join).
#
# D is a generated customer table with its orders; D' adds one customer (make_neighbours.py)
# whose values are extreme and unique: a segment and an order category no one else has, a huge
# income and order amount, a non-numeric cell in numeric columns (purchases_12m, amount).
# For each workflow, no output channel (stdout, stderr, exit code, files) may differ
# deterministically between D and D', and the ledger must record the release's true
# neighbouring relation: the charge lands on the budget of every table the query reads, with
# that table's privacy unit. Leaks this guards against (each fails on the CLI before the
# release protocol): file size and read time printed before the charge; column types read off
# the cells (one "abc" turned a numeric column into text, or failed the read quoting the cell);
# a query on a unit-less table charged to the first --data table's per-customer budget; a JOIN
# ignoring the joined table's own privacy unit; a query run without any ledger.
source "$(dirname "$0")/lib.sh"
DPKIT=$(cd "$(dirname "$DPKIT")" && pwd)/$(basename "$DPKIT")
cd "$WORK" || exit 1

"$DPKIT" sample customers --rows 1000 --out base.csv >/dev/null 2>&1 || fail "dpkit sample"
mkdir -p D D2
python3 "$PRIVACY_DIR/make_neighbours.py" base.csv D/customers.csv D2/customers.csv
python3 - <<'PY'
import csv, random
for side in ("D", "D2"):
    customers = list(csv.DictReader(open(f"{side}/customers.csv")))
    with open(f"{side}/orders.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "customer_id", "category", "amount"])
        n = 0
        for c in customers:
            cid = c["customer_id"]
            if cid == "999999":  # the extreme customer: unique category, huge and non-numeric amounts
                orders = [("Platinum-Unique", "1000000000000"), ("Platinum-Unique", "abc")]
            else:
                r = random.Random(int(cid))
                orders = [(r.choice(["books", "games", "garden"]), f"{r.uniform(5, 300):.2f}")
                          for _ in range(1 + int(cid) % 3)]
            for category, amount in orders:
                n += 1
                w.writerow([n, cid, category, amount])
PY
cat > customers.json <<'JSON'
{"privacy_unit": "customer_id", "columns": [
  {"name": "customer_id", "type": "int64"},
  {"name": "income", "type": "double", "lower": 0, "upper": 250000},
  {"name": "segment", "type": "string"}]}
JSON
cat > orders.json <<'JSON'
{"columns": [
  {"name": "order_id", "type": "int64"},
  {"name": "customer_id", "type": "int64"},
  {"name": "category", "type": "string"},
  {"name": "amount", "type": "double", "lower": 0, "upper": 500}]}
JSON
sed 's/{"columns"/{"privacy_unit": "order_id", "columns"/' orders.json > orders_by_order.json

# prepare <run side> <index> <data side> [budget epsilon]: the run folder with its inputs
# (symlinks under in/, excluded from the comparison as the data owner's files) and a ledger
# L.db holding a per-customer budget for customers and a per-row budget for orders.
prepare() {
  local dir="$WORK/runs/$1/$2"
  mkdir -p "$dir/in"
  ln -sf "$WORK/$3/customers.csv" "$dir/in/customers.csv"
  ln -sf "$WORK/$3/orders.csv" "$dir/in/orders.csv"
  (cd "$dir" &&
    "$DPKIT" budget init --ledger L.db --dataset customers --unit customer_id --epsilon "${4:-10}" --delta 1e-5 &&
    "$DPKIT" budget init --ledger L.db --dataset orders --epsilon "${4:-10}" --delta 1e-5) >/dev/null ||
    fail "budget init in $dir"
}
TABLES=(--data customers=in/customers.csv --schema "$WORK/customers.json"
        --data orders=in/orders.csv --schema "$WORK/orders.json")

# scenario <name> <budget epsilon> <query>: RUNS_PER_SIDE runs on each side, then the comparison.
scenario() {
  local name=$1 epsilon=$2 sql=$3
  for i in $(seq "$RUNS_PER_SIDE"); do
    for side in D D2; do
      prepare "${name}_$side" "$i" "$side" "$epsilon"
      privacy_run "${name}_$side" "$i" "$DPKIT" query "${TABLES[@]}" --ledger L.db "$sql"
    done
  done
  privacy_compare "${name}_D" "${name}_D2" --owner 'in/*'
  for d in $(run_dirs "${name}_D2"); do
    if grep -q -e "Platinum-Unique" -e "abc" -e "1000000000000" "$d/.channels/stdout" "$d/.channels/stderr"; then
      fail "$name: the extreme customer's values appear in the output of $d"
    fi
  done
}

# charges <run folder> <expected "dataset/unit=charges ..." of every budget>
charges() {
  local got
  got=$("$DPKIT" budget show --ledger "$1/L.db" --json |
        python3 -c 'import json,sys; print(" ".join(sorted("%s/%s=%d" % (b["dataset"], b["unit"], b["num_charges"]) for b in json.load(sys.stdin))))')
  [ "$got" = "$2" ] || fail "ledger of $1: got '$got', want '$2'"
}

# 1. One table: private groups (a unique segment), a huge income (clamped), a numeric column
#    the schema does not declare (read as a number because the query uses it as one: 'abc' is
#    NULL, never a reason to make the column text).
scenario one 10 "SELECT segment, COUNT(*) AS n, SUM(income) AS income, AVG(purchases_12m BETWEEN 0 AND 50) AS purchases FROM customers GROUP BY segment WITH EPSILON 3, DELTA 1e-6"
for d in $(run_dirs one_D) $(run_dirs one_D2); do
  charges "$d" "customers/customer_id=1 orders/(row)=0"
  [ "$(cat "$d/.channels/exit")" = 0 ] || fail "one: exit $(cat "$d/.channels/exit") in $d: $(cat "$d/.channels/stderr")"
done

# 2. Several tables: the query reads orders only, so only orders' per-row budget is charged
#    (not the first --data table's per-customer budget).
scenario several 10 "SELECT category, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY category WITH EPSILON 3, DELTA 1e-6"
for d in $(run_dirs several_D) $(run_dirs several_D2); do
  charges "$d" "customers/customer_id=0 orders/(row)=1"
done

# 3. A join reads both tables: both budgets are charged, each with its own unit.
scenario join 10 "SELECT c.segment, COUNT(*) AS n, SUM(o.amount) AS total FROM customers c JOIN orders o ON c.customer_id = o.customer_id GROUP BY c.segment WITH EPSILON 3, DELTA 1e-6, MAX_ROWS 3"
for d in $(run_dirs join_D) $(run_dirs join_D2); do
  charges "$d" "customers/customer_id=1 orders/(row)=1"
done

# 4. A refused query (the budget cannot cover it) releases nothing: same output on D and D'.
scenario refused 0.5 "SELECT segment, COUNT(*) AS n FROM customers GROUP BY segment WITH EPSILON 3, DELTA 1e-6"
for d in $(run_dirs refused_D2); do
  [ "$(cat "$d/.channels/exit")" = 3 ] || fail "refused: exit $(cat "$d/.channels/exit") in $d"
  [ -s "$d/.channels/stdout" ] && fail "refused: a refused query printed: $(cat "$d/.channels/stdout")"
  charges "$d" "customers/customer_id=0 orders/(row)=0"
done

# 5. Budgets and units must agree; a JOIN table's own privacy unit counts; no ledger, no query.
prepare checks 1 D
cd "$WORK/runs/checks/1" || exit 1
# orders read per row cannot be charged to a per-customer budget of orders.
"$DPKIT" budget init --ledger U.db --dataset orders --unit customer_id --epsilon 10 --delta 1e-5 >/dev/null
"$DPKIT" query "${TABLES[@]}" --ledger U.db "SELECT COUNT(*) FROM orders WITH EPSILON 1" >out 2>err
[ $? = 4 ] || fail "a per-row release was charged to a per-customer budget: $(cat out err)"
grep -q 'Declare "privacy_unit": "customer_id" in the schema of' err || fail "unit mismatch message: $(cat err)"
[ "$("$DPKIT" budget show --ledger U.db --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["num_charges"])')" = 0 ] ||
  fail "the refused per-row release was charged"
# A JOIN table whose privacy unit (order_id) is not its join key is refused, nothing charged.
"$DPKIT" query --data customers=in/customers.csv --schema "$WORK/customers.json" \
  --data orders=in/orders.csv --schema "$WORK/orders_by_order.json" --ledger L.db \
  "SELECT COUNT(*) FROM customers c JOIN orders o ON c.customer_id = o.customer_id WITH EPSILON 1" >out 2>err
[ $? = 2 ] || fail "a join ignoring the joined table's privacy unit ran: $(cat out err)"
grep -q "has privacy unit 'order_id' but is joined on 'customer_id'" err || fail "join unit message: $(cat err)"
charges . "customers/customer_id=0 orders/(row)=0"
# Every release is charged: without --ledger the query is refused before reading the data.
"$DPKIT" query "${TABLES[@]}" "SELECT COUNT(*) FROM customers WITH EPSILON 1" >out 2>err
[ $? = 2 ] || fail "a query without a ledger ran: $(cat out err)"
[ -s out ] && fail "a query without a ledger printed: $(cat out)"
# EXPLAIN needs no ledger and reads nothing private.
"$DPKIT" query "${TABLES[@]}" --explain "SELECT COUNT(*) FROM customers WITH EPSILON 1" >out 2>err
[ $? = 0 ] && grep -q "EXPLAIN spends no budget" out || fail "explain without a ledger: $(cat out err)"
finish
