// Internal: the interface of the kernels behind DiscreteLaplaceSampler and
// DiscreteGaussianSampler (cdt_kernels.h for small scales, bucket_kernel.h for the others).
#ifndef DPKIT_SRC_RANDOM_INTEGER_SAMPLER_H_
#define DPKIT_SRC_RANDOM_INTEGER_SAMPLER_H_

#include <cstdint>

#include "random/bit_pool.h"

namespace dpkit::random::internal {

// One draw from a fixed distribution on the integers, in the timing model of samplers.h: the
// time does not depend on the value drawn, except on events whose probability the kernel's
// header states.
class IntegerSampler {
 public:
  virtual ~IntegerSampler() = default;
  virtual int64_t Sample(BitPool& pool) const = 0;
  // Random 64-bit words a sample usually takes: a single sample's pool fetches this many.
  virtual int words_per_sample() const = 0;
};

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_INTEGER_SAMPLER_H_
