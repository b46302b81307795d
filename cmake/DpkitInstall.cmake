include(CMakePackageConfigHelpers)
get_property(_dpkit_targets GLOBAL PROPERTY DPKIT_EXPORTED_TARGETS)
install(TARGETS ${_dpkit_targets} EXPORT dpkitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/dpkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT dpkitTargets NAMESPACE dpkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dpkit)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dpkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dpkitConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dpkit)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dpkitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dpkitConfig.cmake ${PROJECT_BINARY_DIR}/dpkitConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dpkit)
