#include "report/neighbors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace dpkit::report::internal {

PointSet MakePointSet(const Encoded& enc, const Part& part, const std::vector<int>& cols,
                      std::span<const size_t> rows) {
  PointSet ps;
  ps.n = rows.size();
  std::vector<int> num_cols, cat_cols;
  for (int c : cols) {
    (enc.cols[c].kind == ColumnKind::kNumeric ? num_cols : cat_cols).push_back(c);
  }
  ps.num_dims = static_cast<int>(num_cols.size());
  ps.cat_dims = static_cast<int>(cat_cols.size());
  ps.num.resize(ps.n * ps.num_dims);
  ps.cat.resize(ps.n * ps.cat_dims);
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int j = 0; j < ps.num_dims; ++j) {
      const EncodedColumn& col = enc.cols[num_cols[j]];
      const double range = col.hi - col.lo;
      const double v = part.num[num_cols[j]][rows[i]];
      ps.num[i * ps.num_dims + j] =
          std::isnan(v) ? std::nanf("") : static_cast<float>(range > 0 ? (v - col.lo) / range : 0);
    }
    for (int j = 0; j < ps.cat_dims; ++j) {
      ps.cat[i * ps.cat_dims + j] = part.code[cat_cols[j]][rows[i]];
    }
  }
  return ps;
}

namespace {

void NearestRange(const PointSet& q, const PointSet& ref, size_t begin, size_t end,
                  std::vector<double>& out) {
  const int nd = q.num_dims, cd = q.cat_dims;
  const double dims = std::max(1, nd + cd);
  for (size_t i = begin; i < end; ++i) {
    const float* qn = q.num.data() + i * nd;
    const int32_t* qc = q.cat.data() + i * cd;
    float best = std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < ref.n && best > 0; ++j) {
      const int32_t* rc = ref.cat.data() + j * cd;
      float d = 0;
      for (int t = 0; t < cd; ++t) d += qc[t] != rc[t] ? 1.0f : 0.0f;
      if (d >= best) continue;
      const float* rn = ref.num.data() + j * nd;
      for (int t = 0; t < nd && d < best; ++t) {
        const float a = qn[t], b = rn[t];
        const bool na = std::isnan(a), nb = std::isnan(b);
        d += (na || nb) ? ((na && nb) ? 0.0f : 1.0f) : std::min(1.0f, std::fabs(a - b));
      }
      if (d < best) best = d;
    }
    out[i] = ref.n == 0 ? 1.0 : best / dims;
  }
}

}  // namespace

std::vector<double> NearestDistances(const PointSet& queries, const PointSet& ref, int threads) {
  std::vector<double> out(queries.n, 1.0);
  threads = std::max(1, std::min<int>(threads, static_cast<int>(queries.n / 64) + 1));
  if (threads == 1) {
    NearestRange(queries, ref, 0, queries.n, out);
    return out;
  }
  std::vector<std::thread> pool;
  const size_t chunk = (queries.n + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const size_t b = t * chunk, e = std::min(queries.n, b + chunk);
    if (b >= e) break;
    pool.emplace_back([&, b, e] { NearestRange(queries, ref, b, e, out); });
  }
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace dpkit::report::internal
