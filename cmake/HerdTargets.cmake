# One helper per kind of target, so that every herd target is declared the same way.
#
#   herd_library(NAME SOURCES a.cc b.cc DEPS other_lib ...)
#   herd_executable(NAME SOURCES main.cc DEPS ...)
#   herd_test(NAME SOURCES x_test.cc DEPS ...)        GoogleTest binary, each test a ctest test
#   herd_bench(NAME SOURCES x_bench.cc DEPS ...)      Google Benchmark binary
#
# Project code builds with warnings as errors; third-party headers come in as SYSTEM includes.

set(HERD_WARNINGS -Wall -Wextra -Werror -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wno-missing-field-initializers)
# GCC 12 reports false -Wrestrict errors inside libstdc++ for `"a" + std::string` at -O2 and
# above (GCC bug 105329); the warning stays on for other compilers.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND HERD_WARNINGS -Wno-restrict)
endif()

# With -fsanitize, GCC's -Wmaybe-uninitialized reports false positives inside Boost.Beast's
# parser (boost::optional in basic_parser.hpp); the release build keeps the warning as an error.
if(HERD_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND HERD_WARNINGS -Wno-maybe-uninitialized)
endif()

if(HERD_CLANG_TIDY)
  find_program(HERD_CLANG_TIDY_EXE clang-tidy REQUIRED)
endif()

# Names of every herd target, and of the core ones, for herd_check_dependency_direction().
set_property(GLOBAL PROPERTY HERD_TARGETS "")

function(_herd_common target)
  target_compile_options(${target} PRIVATE ${HERD_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  if(HERD_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer
                                            -fno-sanitize-recover=all)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  if(HERD_PROFILE)
    target_compile_options(${target} PUBLIC -fno-omit-frame-pointer -g)
  endif()
  if(HERD_CLANG_TIDY)
    set_target_properties(${target} PROPERTIES CXX_CLANG_TIDY "${HERD_CLANG_TIDY_EXE}")
  endif()
  set_property(GLOBAL APPEND PROPERTY HERD_TARGETS ${target})
endfunction()

function(herd_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  _herd_common(${name})
endfunction()

function(herd_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(HERD_PROFILE)
    target_link_libraries(${name} PRIVATE PkgConfig::GPERFTOOLS)
  endif()
  _herd_common(${name})
endfunction()

function(herd_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE HERD_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             HERD_BINARY_DIR="${PROJECT_BINARY_DIR}")
  _herd_common(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${ARG_TIMEOUT})
endfunction()

# Replaces malloc with tcmalloc in an executable. --no-as-needed keeps the library although no
# symbol is referenced by name: it works by interposing malloc and operator new.
# Not under the sanitizers, which bring their own allocator.
function(herd_use_tcmalloc name)
  if(HERD_SANITIZE)
    return()
  endif()
  target_link_libraries(${name} PRIVATE -Wl,--no-as-needed PkgConfig::TCMALLOC -Wl,--as-needed)
endfunction()

function(herd_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  _herd_common(${name})
endfunction()

# Walks the link graph of every target under core/ and fails the configure step when one of them
# reaches a library of simnet/, realnode/, scenarios/, reports/ or bench/.
function(_herd_collect_links target out_var)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue current)
    if(current IN_LIST seen OR NOT TARGET ${current})
      continue()
    endif()
    list(APPEND seen ${current})
    get_target_property(type ${current} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(links ${current} INTERFACE_LINK_LIBRARIES)
    else()
      get_target_property(links ${current} LINK_LIBRARIES)
    endif()
    if(links)
      list(APPEND queue ${links})
    endif()
  endwhile()
  set(${out_var} ${seen} PARENT_SCOPE)
endfunction()

function(herd_check_dependency_direction)
  get_property(targets GLOBAL PROPERTY HERD_TARGETS)
  foreach(target ${targets})
    get_target_property(dir ${target} SOURCE_DIR)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
    if(NOT rel MATCHES "^core(/|$)")
      continue()
    endif()
    _herd_collect_links(${target} reached)
    foreach(dep ${reached})
      if(NOT TARGET ${dep} OR dep STREQUAL target)
        continue()
      endif()
      get_target_property(dep_dir ${dep} SOURCE_DIR)
      if(NOT dep_dir)
        continue()
      endif()
      file(RELATIVE_PATH dep_rel ${PROJECT_SOURCE_DIR} ${dep_dir})
      if(dep_rel MATCHES "^(simnet|realnode|scenarios|reports|bench|tests)(/|$)")
        message(FATAL_ERROR "dependency direction broken: core target '${target}' (${rel}) "
                            "links '${dep}' from ${dep_rel}; core must depend on nothing of theirs")
      endif()
    endforeach()
  endforeach()
endfunction()
