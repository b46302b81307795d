// Discrete (encoded) data as synth's mechanisms see it, and workload error.
//
// Every attribute i takes values (codes) 0..domain[i]-1. Data arrive here either already
// discretised (Private-PGM `*-domain.json` data sets) or from synth's DP preprocessing of a
// typed table (dpkit/synth/synthesizer.h).
//
// Thread safety: EncodedData is a plain value; the functions are thread-safe.
#ifndef DPKIT_SYNTH_ENCODED_DATA_H_
#define DPKIT_SYNTH_ENCODED_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/synth/graphical_model.h"

namespace dpkit::synth {

struct EncodedData {
  std::vector<std::string> names;
  std::vector<int> domain;
  std::vector<std::vector<int32_t>> columns;  // columns[attr][row]

  int64_t num_rows() const { return columns.empty() ? 0 : int64_t(columns[0].size()); }
  int num_attrs() const { return static_cast<int>(domain.size()); }
  // Sizes agree, every code in range (DataLoss naming the column and row otherwise).
  absl::Status Validate() const;
};

// Counts of the data over a sorted attribute set (row-major, last attribute fastest), computed
// with up to `threads` threads.
std::vector<double> ComputeMarginal(const EncodedData& data, const Clique& clique,
                                    int threads = 2);

// All k-way attribute subsets (sorted) of d attributes, in lexicographic order.
std::vector<Clique> AllKWay(int num_attrs, int k);

// Workload error as in the AIM paper (McKenna et al. 2022, Sec. 6): the mean over the workload
// of || M_r(D)/|D| - M_r(S)/|S| ||_1, i.e. the L1 distance between the normalised marginals of
// the real data D and the synthetic data S (range [0, 2]; total variation is half of it).
// Both must have the same domain.
absl::StatusOr<double> WorkloadError(const EncodedData& real, const EncodedData& synthetic,
                                     const std::vector<Clique>& workload, int threads = 2);

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_ENCODED_DATA_H_
