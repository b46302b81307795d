#include "dpkit/synth/encoded_data.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "synth/factor.h"

namespace dpkit::synth {

absl::Status EncodedData::Validate() const {
  if (names.size() != domain.size() || columns.size() != domain.size()) {
    return absl::InvalidArgumentError(absl::StrCat("encoded data: ", names.size(), " names, ",
                                                   domain.size(), " domain sizes and ",
                                                   columns.size(), " columns must agree"));
  }
  for (size_t a = 0; a < columns.size(); ++a) {
    if (domain[a] < 1) {
      return absl::InvalidArgumentError(absl::StrCat("column '", names[a],
                                                     "': domain size must be >= 1, got ",
                                                     domain[a]));
    }
    if (columns[a].size() != columns[0].size()) {
      return absl::InvalidArgumentError(absl::StrCat("column '", names[a], "' has ",
                                                     columns[a].size(), " rows, expected ",
                                                     columns[0].size()));
    }
    for (size_t r = 0; r < columns[a].size(); ++r) {
      const int32_t v = columns[a][r];
      if (v < 0 || v >= domain[a]) {
        return absl::DataLossError(absl::StrCat("column '", names[a], "', row ", r + 1,
                                                ": value ", v, " outside the domain 0..",
                                                domain[a] - 1,
                                                "; fix the data or the domain file"));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<double> ComputeMarginal(const EncodedData& data, const Clique& clique,
                                    int threads) {
  const int64_t size = internal::TableSize(data.domain, clique);
  const int64_t n = data.num_rows();
  std::vector<int64_t> stride(clique.size());
  {
    int64_t s = 1;
    for (int j = static_cast<int>(clique.size()) - 1; j >= 0; --j) {
      stride[j] = s;
      s *= data.domain[clique[j]];
    }
  }
  auto count = [&](int64_t lo, int64_t hi, std::vector<double>* out) {
    out->assign(size, 0.0);
    std::vector<int64_t> idx(std::min<int64_t>(hi - lo, 4096));
    for (int64_t b = lo; b < hi; b += 4096) {
      const int64_t e = std::min(hi, b + 4096);
      std::fill(idx.begin(), idx.begin() + (e - b), 0);
      for (size_t j = 0; j < clique.size(); ++j) {
        const int32_t* col = data.columns[clique[j]].data();
        const int64_t st = stride[j];
        for (int64_t r = b; r < e; ++r) idx[r - b] += col[r] * st;
      }
      for (int64_t r = 0; r < e - b; ++r) (*out)[idx[r]] += 1.0;
    }
  };
  const int t = (n >= 200000 && threads > 1) ? threads : 1;
  if (t == 1) {
    std::vector<double> out;
    count(0, n, &out);
    return out;
  }
  std::vector<std::vector<double>> parts(t);
  std::vector<std::thread> pool;
  for (int w = 0; w < t; ++w) {
    pool.emplace_back([&, w] { count(n * w / t, n * (w + 1) / t, &parts[w]); });
  }
  for (auto& th : pool) th.join();
  for (int w = 1; w < t; ++w) {
    for (int64_t c = 0; c < size; ++c) parts[0][c] += parts[w][c];
  }
  return std::move(parts[0]);
}

std::vector<Clique> AllKWay(int num_attrs, int k) {
  std::vector<Clique> out;
  if (k < 1 || k > num_attrs) return out;
  Clique c(k);
  for (int i = 0; i < k; ++i) c[i] = i;
  while (true) {
    out.push_back(c);
    int i = k - 1;
    while (i >= 0 && c[i] == num_attrs - k + i) --i;
    if (i < 0) break;
    ++c[i];
    for (int j = i + 1; j < k; ++j) c[j] = c[j - 1] + 1;
  }
  return out;
}

absl::StatusOr<double> WorkloadError(const EncodedData& real, const EncodedData& synthetic,
                                     const std::vector<Clique>& workload, int threads) {
  if (real.domain != synthetic.domain) {
    return absl::InvalidArgumentError("workload error: real and synthetic domains differ");
  }
  if (workload.empty()) return absl::InvalidArgumentError("workload error: empty workload");
  const double nr = std::max<int64_t>(1, real.num_rows());
  const double ns = std::max<int64_t>(1, synthetic.num_rows());
  double total = 0;
  for (const Clique& c : workload) {
    for (int a : c) {
      if (a < 0 || a >= real.num_attrs()) {
        return absl::InvalidArgumentError(absl::StrCat("workload attribute ", a, " out of range"));
      }
    }
    const auto x = ComputeMarginal(real, c, threads);
    const auto y = ComputeMarginal(synthetic, c, threads);
    double e = 0;
    for (size_t i = 0; i < x.size(); ++i) e += std::abs(x[i] / nr - y[i] / ns);
    total += e;
  }
  return total / workload.size();
}

}  // namespace dpkit::synth
