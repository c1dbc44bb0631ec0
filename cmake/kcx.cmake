# Helpers in the manner of Abseil's absl_cc_library()/absl_cc_test().
#
# kcx_library(NAME foo SRCS a.cc b.cc DEPS kcx::common Boost::json)
#   builds the static library kcx_foo with the alias kcx::foo.
# kcx_test(NAME foo_test SRCS foo_test.cc DEPS kcx::foo [LABELS integration])
#   builds a GoogleTest binary and registers each test case with ctest.

# -Wno-restrict: GCC 12 reports false positives in std::string concatenation (GCC bug 105329).
set(KCX_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-restrict)

# KCX_UNITY=ON compiles each library as a few unity sources (CMake's UNITY_BUILD): the heavy
# headers (Boost.JSON, Asio, Beast) are parsed once per batch instead of once per file, which
# keeps CI within its 30 minutes on 2 cores. Code in anonymous namespaces must therefore have
# names unique within its library.
option(KCX_UNITY "Unity builds of the kcx libraries" OFF)

function(kcx_library)
  cmake_parse_arguments(K "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(kcx_${K_NAME} STATIC ${K_SRCS})
  if(KCX_UNITY)
    set_target_properties(kcx_${K_NAME} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 16)
  endif()
  add_library(kcx::${K_NAME} ALIAS kcx_${K_NAME})
  target_include_directories(kcx_${K_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_compile_options(kcx_${K_NAME} PRIVATE ${KCX_WARNINGS})
  target_link_libraries(kcx_${K_NAME} PUBLIC ${K_DEPS})
endfunction()

function(kcx_test)
  cmake_parse_arguments(K "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT K_TIMEOUT)
    set(K_TIMEOUT 120)
  endif()
  add_executable(${K_NAME} ${K_SRCS})
  set_target_properties(${K_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(${K_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_compile_options(${K_NAME} PRIVATE ${KCX_WARNINGS})
  target_link_libraries(${K_NAME} PRIVATE ${K_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT K_LABELS)
    set(K_LABELS unit)
  endif()
  gtest_discover_tests(${K_NAME} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${K_LABELS}" TIMEOUT ${K_TIMEOUT}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
endfunction()

function(kcx_binary)
  cmake_parse_arguments(K "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${K_NAME} ${K_SRCS})
  target_include_directories(${K_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_compile_options(${K_NAME} PRIVATE ${KCX_WARNINGS})
  target_link_libraries(${K_NAME} PRIVATE ${K_DEPS})
endfunction()
