# dpkit_module(<name> SRCS ... [DEPS public deps] [PRIVATE_DEPS ...])
# Creates the static library dpkit_<name>, alias dpkit::<name>, exported as dpkit::<name>.
function(dpkit_module name)
  cmake_parse_arguments(M "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(dpkit_${name} ${M_SRCS})
  add_library(dpkit::${name} ALIAS dpkit_${name})
  set_target_properties(dpkit_${name} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(dpkit_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dpkit_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  set_property(GLOBAL APPEND PROPERTY DPKIT_EXPORTED_TARGETS dpkit_${name})
endfunction()

# dpkit_test(<name> SRCS ... DEPS ... LABELS unit|statistical|audit|e2e [TIMEOUT s])
# One gtest binary; each TEST is registered with CTest separately and carries the labels.
function(dpkit_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT DPKIT_BUILD_TESTS)
    return()
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  add_executable(${name} ${T_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${T_DEPS} dpkit_test_support GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    DPKIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" DPKIT_SHARED_DATA_DIR="${PROJECT_SOURCE_DIR}/../shared/data")
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    DISCOVERY_TIMEOUT 120)
endfunction()

# dpkit_portable_tests(<test binary> LABELS ... [FILTER gtest-filter])
# Registers the binary's tests (those FILTER matches) a second time as "portable.<name>" with
# DPKIT_NO_AVX512=1 (dpkit/base/cpu.h): on a CPU with AVX-512 the kernels' portable code runs
# only there.
function(dpkit_portable_tests name)
  cmake_parse_arguments(P "" "FILTER" "LABELS" ${ARGN})
  if(NOT TARGET ${name})
    return()
  endif()
  if(NOT P_FILTER)
    set(P_FILTER "*")
  endif()
  gtest_discover_tests(${name} TEST_PREFIX "portable." TEST_FILTER "${P_FILTER}"
    DISCOVERY_TIMEOUT 120
    PROPERTIES LABELS "${P_LABELS}" TIMEOUT 600 ENVIRONMENT DPKIT_NO_AVX512=1)
endfunction()
