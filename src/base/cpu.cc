#include "dpkit/base/cpu.h"

#include <cstdlib>
#include <string_view>

namespace dpkit::cpu {
namespace {

bool TurnedOff() {
  const char* off = std::getenv("DPKIT_NO_AVX512");
  return off != nullptr && *off != '\0' && std::string_view(off) != "0";
}

bool CpuHasAvx512() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
#else
  return false;
#endif
}

}  // namespace

bool UseAvx512() {
  static const bool use = !TurnedOff() && CpuHasAvx512();
  return use;
}

}  // namespace dpkit::cpu
