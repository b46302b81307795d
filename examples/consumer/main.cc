// Draws a few discrete Gaussian samples through an installed dpkit.
#include <iostream>

#include "dpkit/random/samplers.h"
#include "dpkit/random/secure_rng.h"

int main() {
  dpkit::random::SecureRng rng;
  auto sampler = dpkit::random::DiscreteGaussianSampler::Create(10.0);
  if (!sampler.ok()) {
    std::cerr << sampler.status() << "\n";
    return 1;
  }
  for (int i = 0; i < 5; ++i) std::cout << sampler->Sample(rng) << (i < 4 ? " " : "\n");
  std::cout << "consumer ok (sigma used = " << sampler->sigma() << ")\n";
  return 0;
}
