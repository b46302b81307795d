#include "dpkit/mechanisms/noise_factory.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace dpkit::mechanisms {
namespace {

// One adapter per mechanism family; `zero` is set only by testing::ZeroNoise().
template <typename Mechanism>
class IntegerMechanismNoise final : public IntegerNoise {
 public:
  IntegerMechanismNoise(Mechanism m, bool zero) : m_(std::move(m)), zero_(zero) {}
  int64_t AddNoise(int64_t value, random::BitGenerator& gen) const override {
    return zero_ ? value : m_.AddNoise(value, gen);
  }
  void AddNoise(absl::Span<int64_t> values, random::BitGenerator& gen) const override {
    if (zero_) return;
    for (int64_t& v : values) v = m_.AddNoise(v, gen);
  }
  absl::StatusOr<Interval> ConfidenceInterval(int64_t noisy_value, double level) const override {
    return m_.ConfidenceInterval(noisy_value, level);
  }
  PrivacyMap privacy_map() const override { return m_.privacy_map(); }
  double noise_scale() const override { return m_.noise_scale(); }
  double noise_stddev() const override { return m_.noise_stddev(); }

 private:
  Mechanism m_;
  bool zero_;
};

template <typename Mechanism>
class RealMechanismNoise final : public RealNoise {
 public:
  RealMechanismNoise(Mechanism m, bool zero) : m_(std::move(m)), zero_(zero) {}
  absl::StatusOr<double> AddNoise(double value, random::BitGenerator& gen) const override {
    if (!zero_) return m_.AddNoise(value, gen);
    if (!std::isfinite(value)) return absl::InvalidArgumentError("value must be finite");
    return value;
  }
  absl::StatusOr<Interval> ConfidenceInterval(double noisy_value, double level) const override {
    return m_.ConfidenceInterval(noisy_value, level);
  }
  PrivacyMap privacy_map() const override { return m_.privacy_map(); }
  double noise_scale() const override { return m_.noise_scale(); }
  double noise_stddev() const override { return m_.noise_stddev(); }
  double granularity() const override { return m_.granularity(); }

 private:
  Mechanism m_;
  bool zero_;
};

class SelectionMechanismSelector final : public Selector {
 public:
  SelectionMechanismSelector(SelectionMechanism m, bool zero) : m_(std::move(m)), zero_(zero) {}
  absl::StatusOr<size_t> Select(absl::Span<const double> scores,
                                random::BitGenerator& gen) const override {
    if (!zero_) return m_.Select(scores, gen);
    if (scores.empty()) return absl::InvalidArgumentError("selection: no candidates");
    return static_cast<size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
  }
  PrivacyMap privacy_map() const override { return m_.privacy_map(); }
  double epsilon() const override { return m_.epsilon(); }

 private:
  SelectionMechanism m_;
  bool zero_;
};

template <typename Interface, template <typename> class Adapter, typename Mechanism,
          typename Options>
absl::StatusOr<std::unique_ptr<Interface>> Build(const Options& options, bool zero) {
  absl::StatusOr<Mechanism> m = Mechanism::Create(options);
  if (!m.ok()) return m.status();
  return std::unique_ptr<Interface>(new Adapter<Mechanism>(std::move(*m), zero));
}

}  // namespace

absl::StatusOr<std::unique_ptr<IntegerNoise>> NoiseFactory::DiscreteLaplace(
    const DiscreteLaplaceOptions& options) const {
  return Build<IntegerNoise, IntegerMechanismNoise, DiscreteLaplaceMechanism>(options,
                                                                              !adds_noise_);
}

absl::StatusOr<std::unique_ptr<IntegerNoise>> NoiseFactory::DiscreteGaussian(
    const DiscreteGaussianOptions& options) const {
  return Build<IntegerNoise, IntegerMechanismNoise, DiscreteGaussianMechanism>(options,
                                                                               !adds_noise_);
}

absl::StatusOr<std::unique_ptr<RealNoise>> NoiseFactory::Laplace(
    const LaplaceOptions& options) const {
  return Build<RealNoise, RealMechanismNoise, LaplaceMechanism>(options, !adds_noise_);
}

absl::StatusOr<std::unique_ptr<RealNoise>> NoiseFactory::Gaussian(
    const GaussianOptions& options) const {
  return Build<RealNoise, RealMechanismNoise, GaussianMechanism>(options, !adds_noise_);
}

absl::StatusOr<std::unique_ptr<Selector>> NoiseFactory::Selection(
    const SelectionOptions& options) const {
  absl::StatusOr<SelectionMechanism> m = SelectionMechanism::Create(options);
  if (!m.ok()) return m.status();
  return std::unique_ptr<Selector>(new SelectionMechanismSelector(std::move(*m), !adds_noise_));
}

absl::StatusOr<LazyExponentialMechanism> NoiseFactory::LazyExponential(
    const LazyExponentialOptions& options) const {
  absl::StatusOr<LazyExponentialMechanism> m = LazyExponentialMechanism::Create(options);
  if (m.ok()) m->deterministic_ = !adds_noise_;
  return m;
}

const NoiseFactory& SecureNoise() {
  static const NoiseFactory* const kFactory = new NoiseFactory(/*adds_noise=*/true);
  return *kFactory;
}

namespace testing {
const NoiseFactory& ZeroNoise() {
  static const NoiseFactory* const kFactory = new NoiseFactory(/*adds_noise=*/false);
  return *kFactory;
}
}  // namespace testing

}  // namespace dpkit::mechanisms
