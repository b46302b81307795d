// Internal: per-unit contribution bounding, the engine's hot path (see dpkit/analytics/query.h
// for the privacy semantics).
//
// The rule. Every candidate row has a privacy unit u (identified by a 64-bit hash, UnitHasher)
// and a group g. A unit keeps at most `l0` of its groups: those with the smallest group priority
// Mix64(salt ^ Mix64(u ^ group_hash[g])). In a kept group it keeps at most `linf` of its rows:
// its k-th row there (k = 0, 1, ... in table order) has row priority Mix64(base + k * phi),
// base = Mix64(u ^ Mix64(group_hash[g] ^ salt)), phi = 0x9E3779B97F4A7C15, and the `linf`
// smallest are kept. With a fresh secret salt these are uniformly random choices; they depend
// only on the unit's own rows (never on another unit's), and on nothing about row positions
// except the order of the unit's own rows, so slices of a table split by unit bound exactly as
// the whole table does.
//
// How (measured in docs/benchmarks.md, "Analytics"; every step parallel over threads):
//  1. one scatter pass: each candidate row becomes a 16-byte entry (unit hash, group, row; or,
//     when summing, see 4) appended to one of 2^b buckets by the top b bits of its unit hash
//     (buckets of ~16-32k entries, L2-sized; when summing, at least 2^(group id bits) buckets),
//     as a chain of blocks of up to 16 KiB in the thread's arena; no histogram pass;
//  2. per bucket, a stable least-significant-digit radix sort by (unit, group): on the group
//     id's 8-bit digits (one pass up to 256 groups), then on the next bits of the unit hash
//     (sub-buckets of ~1-2 entries on average, so that most non-empty ones hold exactly one
//     unit), then a stable sort by unit inside the sub-buckets that hold several; each unit's
//     rows of one group are now one run, in table order;
//  3. flat passes over the whole bucket rather than unit by unit (no short loops of
//     data-dependent length per unit, except the rank counts): the runs and units are numbered
//     without data-dependent branches; each run's group priority is computed, and a unit keeps
//     the l0 runs of smallest priority, found by counting each one's rank among the unit's runs
//     (std::nth_element above 32 groups); in a kept run of more than linf rows, the linf of
//     smallest row priority likewise (k = the row's index in its run); the kept entries are
//     listed without data-dependent branches. Where the CPU has AVX-512 (cpu::UseAvx512, checked
//     once; DPKIT_NO_AVX512=1 turns it off, dpkit/base/cpu.h), the same values and comparisons are computed in vectors: priorities eight
//     lanes at a time and ranks by vector compares for up to 16 candidates (up to 8 in
//     registers, without a loop over them), and, when summing, the run numbering (each key
//     against the one before, compressed stores) and the search for sub-buckets of several
//     units, eight entries at a time;
//  4. either (mask) the listed rows are set in the thread's bit mask in one prefetching loop and
//     the threads' masks are OR-ed, or (summing, UnitBoundingInput::sink set) the listed rows'
//     groups and values go to the sink, bucket by bucket, and no mask is made. When summing, an
//     entry is the row's value and one 64-bit key, (unit hash << gid bits) | group: the hash's
//     top gid bits are the bucket's (there are at least as many buckets as groups' id bits, so
//     the full hash is known), and no row number is kept. The same steps choose the same rows.
// A unit never spans two buckets, and its rows of a group stay in table order (every sort is
// stable), so the result is exactly the rule's. Timing: every pass's length depends on the
// bucket's entries, runs and units; the rank counts' on each unit's numbers of groups and rows
// (not for up to 8 with AVX-512); the search for sub-buckets of several units branches on
// unit-hash collisions within a sub-bucket; which paths run depends on the CPU, not the data;
// no branch depends on the salt except inside std::nth_element (a unit of more than 32 groups or
// a group of more than 32 rows), and none on a value (the sink's additions are the
// accumulation's own, analytics/engine/state.cc). Limits: a bucket has fewer than 2^32 entries (a
// unit fewer than 2^32 rows).
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_UNIT_BOUNDING_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_UNIT_BOUNDING_H_

#include <cstdint>
#include <vector>

#include "analytics/engine/scratch.h"

namespace dpkit::analytics::engine {

// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijection of 64-bit words.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// phi of the row priority Mix64(base + k * phi) (2^64 / golden ratio, odd).
inline constexpr uint64_t kRowPhi = 0x9E3779B97F4A7C15ull;

// Stable (process-independent) FNV-1a 64 of bytes plus Mix64. Not cryptographic.
uint64_t HashBytes(const void* data, size_t n, uint64_t seed = 0);

// Where the per-row unit hash comes from (exactly one source set). A string unit hashes its text
// (HashBytes(text, 1), per dictionary code once), so the hash does not depend on the
// dictionary's order; a numeric unit hashes its value bits, Mix64(bits ^ 0x5bd1e995) (-0.0 and
// 0.0 are one unit), which is one-to-one.
struct UnitHasher {
  const uint64_t* code_hash = nullptr;  // string units: per dictionary code
  const int32_t* codes = nullptr;
  const int64_t* ints = nullptr;
  const double* doubles = nullptr;
};

// Receives the kept rows' values bucket by bucket instead of a mask (UnitBoundingInput::sink).
class KeptValueSink {
 public:
  virtual ~KeptValueSink() = default;
  // Called once, before any Add: Add will come from threads 0 .. threads - 1 (each thread's
  // calls in sequence, different threads' concurrently), with group ids < num_gids.
  virtual void Start(int threads, size_t num_gids) = 0;
  // n kept rows of one bucket: their groups and values (as double; 0 without a value column),
  // in no particular order.
  virtual void Add(int thread, const int32_t* gid, const double* value, size_t n) = 0;
};

struct UnitBoundingInput {
  int64_t rows = 0;                      // table rows
  const int32_t* row_gid = nullptr;      // per row: dense group id, or -1 (not a candidate)
  const uint8_t* gid_allowed = nullptr;  // per group: 0 = its rows are dropped
  const uint64_t* group_hash = nullptr;  // per group: stable hash of its key texts
  size_t num_gids = 0;
  UnitHasher unit_hash;
  int64_t l0 = 1;    // max groups per unit, >= 1
  int64_t linf = 1;  // max rows per (unit, group), >= 1
  uint64_t salt = 0;
  int threads = 1;
  int64_t candidates = 0;  // rows with row_gid >= 0 (sizes the buckets)
  // Optional: the kept rows go to `sink` with their value (from values_double or values_int, or
  // 0 if both are null) instead of into the mask, if BoundByUnit can (SumsInBuckets).
  KeptValueSink* sink = nullptr;
  const double* values_double = nullptr;
  const int64_t* values_int = nullptr;
};

struct UnitBoundingOutput {
  bool summed = false;                   // the kept rows went to the sink; keep is empty
  ScratchArray<uint64_t> keep;           // bit r % 64 of word r / 64: row r kept
  std::vector<int64_t> units_per_group;  // units keeping the group
  int64_t kept = 0;                      // rows kept
  int64_t dropped = 0;                   // candidate rows of groups not allowed
};

// Whether BoundByUnit hands the kept rows to a sink for a table of `candidates` rows and
// `num_gids` groups (group ids must fit in the bucket bits: up to 256 groups always, more on
// large tables).
bool SumsInBuckets(int64_t candidates, size_t num_gids);

// Applies the rule to the candidate rows of allowed groups: the kept rows go to in.sink if it
// is set and SumsInBuckets, else into the mask.
UnitBoundingOutput BoundByUnit(const UnitBoundingInput& in);

}  // namespace dpkit::analytics::engine

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_UNIT_BOUNDING_H_
