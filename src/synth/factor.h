// Dense factors over small sets of discrete attributes (private to synth).
//
// A Factor is a table over the cross product of its attributes' domains, stored row-major with
// the LAST attribute varying fastest; attribute lists are always sorted ascending. Index maps
// (for each cell of a large table, the cell of a sub-table over a subset of its attributes) make
// marginalisation a scatter-add and broadcasting a gather, which is all the junction tree needs.
#ifndef DPKIT_SRC_SYNTH_FACTOR_H_
#define DPKIT_SRC_SYNTH_FACTOR_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dpkit::synth::internal {

using Attrs = std::vector<int>;

// Number of cells of the table over `attrs` (saturates at INT64_MAX / 2 on overflow).
int64_t TableSize(const std::vector<int>& domain, const Attrs& attrs);

// True if sorted `small` is a subset of sorted `big`.
bool IsSubset(const Attrs& small, const Attrs& big);
Attrs Union(const Attrs& a, const Attrs& b);
Attrs Intersection(const Attrs& a, const Attrs& b);
Attrs Difference(const Attrs& a, const Attrs& b);

// For every cell of the table over `big` (sorted), the index of the corresponding cell of the
// table over `small` (sorted subset of big).
std::vector<uint32_t> IndexMap(const std::vector<int>& domain, const Attrs& big,
                               const Attrs& small);

struct Factor {
  Attrs attrs;
  std::vector<double> values;
};

// out[map[i]] += in[i], out resized to out_size and zeroed first.
void SumInto(const std::vector<double>& in, const std::vector<uint32_t>& map, int64_t out_size,
             std::vector<double>* out);
// out[i] = exp(in[i] - shift) for in[i] - shift <= 0 (values below -708 give 0; -inf gives 0),
// accurate to about 2 ulp. A plain loop the compiler vectorises (inference spends most of its
// time in exp): Cody-Waite reduction by ln 2 and a degree-12 Taylor polynomial on |r| <= ln2/2,
// whose truncation error (ln2/2)^13/13! < 2e-16 is below double rounding.
void ExpShifted(const double* in, double shift, double* out, size_t n);
// big[i] += scale * small[map[i]].
void AddBroadcast(const std::vector<double>& small, const std::vector<uint32_t>& map,
                  double scale, std::vector<double>* big);

// Probability-space factor product over the union of attributes.
Factor Multiply(const std::vector<int>& domain, const Factor& a, const Factor& b);
// Sums a probability-space factor onto `keep` (a subset of f.attrs).
Factor SumOnto(const std::vector<int>& domain, const Factor& f, const Attrs& keep);
// Expands a factor to the (superset) attribute list `target`, values repeated.
Factor Expand(const std::vector<int>& domain, const Factor& f, const Attrs& target);

}  // namespace dpkit::synth::internal

#endif  // DPKIT_SRC_SYNTH_FACTOR_H_
