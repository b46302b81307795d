// Which vector instructions dpkit's hand-written kernels may use.
//
// Contract: UseAvx512() is true when the CPU has AVX-512 F, DQ, VL and BW, BMI2 and POPCNT
// (checked once per process), unless the environment variable DPKIT_NO_AVX512 is set to
// anything but "" or "0". The answer depends on the machine and the environment only, never on
// data, so it opens no timing channel. The kernels that ask it (the unit bounding of
// analytics/engine, train's Poisson sampling) compute exactly what their portable code
// computes; their tests run a second time with DPKIT_NO_AVX512=1 ("portable.*" in ctest,
// dpkit_portable_tests in cmake/DpkitHelpers.cmake), since a CPU with AVX-512 would otherwise
// never run that code. (random::SurvivalTable tests each of its scans directly instead.)
#ifndef DPKIT_BASE_CPU_H_
#define DPKIT_BASE_CPU_H_

namespace dpkit::cpu {

bool UseAvx512();

}  // namespace dpkit::cpu

#endif  // DPKIT_BASE_CPU_H_
