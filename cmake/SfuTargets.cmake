# Compile options for the project's own targets. Third-party headers come in as SYSTEM
# (imported targets already are), so warnings-as-errors applies to our code alone.
set(SFU_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough -Werror
  # GCC 12 at -O2 reports abseil's InlinedVector storage as maybe-uninitialized (a known
  # false positive); the warning exists only in optimized builds.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)

set(SFU_SANITIZER_FLAGS "")
if(SFU_SANITIZE)
  set(SFU_SANITIZER_FLAGS -fsanitize=${SFU_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
endif()

function(sfu_target_options target)
  target_compile_options(${target} PRIVATE ${SFU_WARNINGS})
  if(SFU_SANITIZER_FLAGS)
    target_compile_options(${target} PRIVATE ${SFU_SANITIZER_FLAGS})
    target_link_options(${target} PUBLIC ${SFU_SANITIZER_FLAGS})
  endif()
  target_compile_definitions(${target} PUBLIC $<$<CONFIG:Debug>:SFU_DEBUG=1>)
endfunction()

# sfu_library(name SOURCES ... DEPS ...): one library per top-level folder. Includes are
# rooted at the repository ("base/byte_reader.h").
function(sfu_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  sfu_target_options(${name})
endfunction()

# sfu_test(name SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(sfu_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} sfu_test_support GTest::gmock GTest::gtest_main)
  sfu_target_options(${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 30)
endfunction()
