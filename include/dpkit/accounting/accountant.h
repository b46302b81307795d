// Accountant: composes PrivacyMaps and answers "what (epsilon, delta) has been spent?".
//
// CONTRACT shared by the ledger, analytics, synth and train modules. The accounting module
// implements it (issue #3); extend it there, keep these signatures.
//
// Accountants never sample noise. They are deterministic functions of the maps added.
// Thread safety: thread-compatible.
#ifndef DPKIT_ACCOUNTING_ACCOUNTANT_H_
#define DPKIT_ACCOUNTING_ACCOUNTANT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/accounting/pld.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/privacy_map.h"

namespace dpkit::accounting {

enum class AccountantKind {
  kBasic,  // sequential composition: sum of epsilons, sum of deltas (every map kind converted
           // to its tightest (epsilon, delta) at the target delta share first)
  kZcdp,   // rho adds (pure eps -> rho = eps^2/2); converted to (eps, delta) at the end
  kRdp,    // RDP curves add per order; improved RDP -> (eps, delta) conversion by default
  kPld,    // numerical composition of privacy loss distributions (FFT), with error bound;
           // answers min(PLD upper bound, RDP, basic) -- ExplainEpsilon says which; also
           // accepts approx-DP maps (KOV pair)
};

// "basic", "zcdp", "rdp", "pld".
const char* AccountantKindName(AccountantKind kind);
absl::StatusOr<AccountantKind> ParseAccountantKind(const std::string& name);

struct EpsilonDelta {
  double epsilon = 0;
  double delta = 0;
};

// Epsilon(delta) with where it came from, for front ends that print it.
struct EpsilonAnswer {
  double epsilon = 0;  // the accountant's answer (what Epsilon() returns)
  std::string bound;   // which bound gave it, e.g. "PLD upper bound", "RDP bound"
  struct Candidate {
    std::string bound;
    double epsilon = 0;
  };
  std::vector<Candidate> candidates;  // every bound the accountant computed (answer = min)
  // The PLD's own two-sided bound and error, when the accountant built a PLD of all the maps.
  struct Pld {
    PldBound epsilon;
    double epsilon_error = 0;
    double delta_error = 0;
    int64_t grid_points = 0;
  };
  std::optional<Pld> pld;
};

class Accountant {
 public:
  virtual ~Accountant() = default;
  virtual AccountantKind kind() const = 0;

  // Adds one release. Fails (InvalidArgument) for an invalid map or one this accountant cannot
  // compose (kApproxDp into zCDP/RDP: use kBasic or kPld; a subsampled Gaussian with q < 1 or
  // an rdp_curve into zCDP). A failed Add leaves the accountant unchanged.
  virtual absl::Status Add(const PrivacyMap& map) = 0;

  // Smallest epsilon such that everything added so far is (epsilon, delta)-DP.
  // (Always a sound upper bound: "smallest" is up to the accountant's method.) delta must be in
  // [0, 1). Returns +infinity when no finite epsilon can be certified at this delta (e.g. the
  // approx-DP deltas added already exceed it, or delta == 0 with a Gaussian added); returns 0
  // when nothing was added.
  virtual absl::StatusOr<double> Epsilon(double delta) const = 0;
  // Smallest delta such that everything added so far is (epsilon, delta)-DP (a sound upper
  // bound; 1 when nothing better can be certified). epsilon must be finite and >= 0.
  virtual absl::StatusOr<double> Delta(double epsilon) const = 0;

  // Epsilon(delta) with the bound that produced it (default: the accountant's own method).
  virtual absl::StatusOr<EpsilonAnswer> ExplainEpsilon(double delta) const;

  // A fresh accountant of the same kind holding the same maps.
  virtual std::unique_ptr<Accountant> Clone() const = 0;
  // Human-readable notes about approximations taken (e.g. "PLD fell back to RDP").
  virtual std::vector<std::string> Notes() const { return {}; }
};

absl::StatusOr<std::unique_ptr<Accountant>> CreateAccountant(AccountantKind kind);

// ---- Extensions (accounting module) ----

// Tuning knobs shared by the accountants; the defaults are the tightest sound choices.
struct AccountantOptions {
  // kZcdp: rho -> (epsilon, delta) conversion.
  ZcdpConversion zcdp_conversion = ZcdpConversion::kCks20;
  // kRdp (and RDP-based conversions elsewhere): RDP -> (epsilon, delta) conversion and orders
  // (empty = DefaultRdpOrders()).
  RdpConversion rdp_conversion = RdpConversion::kImproved;
  std::vector<double> rdp_orders;
  // kPld: discretisation and error budget of the PLD composition.
  PldOptions pld;
};

absl::StatusOr<std::unique_ptr<Accountant>> CreateAccountant(AccountantKind kind,
                                                             const AccountantOptions& options);

}  // namespace dpkit::accounting

#endif  // DPKIT_ACCOUNTING_ACCOUNTANT_H_
