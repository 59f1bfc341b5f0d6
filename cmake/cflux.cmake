# Helpers shared by every CMakeLists.txt in the tree.

# cf_pkg(NAME module): an imported target PkgConfig::NAME for a pkg-config module.
macro(cf_pkg name module)
  if(NOT TARGET PkgConfig::${name})
    pkg_check_modules(${name} REQUIRED IMPORTED_TARGET GLOBAL ${module})
  endif()
endmacro()

# cf_add_subdirs(): add every direct subfolder that has a CMakeLists.txt, in name order, so a new
# module, service or test folder is picked up without editing its parent.
function(cf_add_subdirs)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child}
       AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# cf_module(NAME SOURCES ... [LIBS ...]): a common/ module as a static library cf_NAME.
function(cf_module name)
  cmake_parse_arguments(M "" "" "SOURCES;LIBS" ${ARGN})
  add_library(cf_${name} STATIC ${M_SOURCES})
  target_include_directories(cf_${name} PUBLIC ${PROJECT_SOURCE_DIR}/common/include)
  target_link_libraries(cf_${name} PUBLIC ${M_LIBS})
endfunction()

# cf_unit_test(NAME SOURCES ... LIBS ...): a cmocka test labelled "unit".
function(cf_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  cf_pkg(CMOCKA cmocka)
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()

# cf_integration_test(NAME SOURCES ... LIBS ...): a test that needs the control plane
# (CF_KUBECONFIG in the environment, set by scripts/test.sh); labelled "integration".
function(cf_integration_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  cf_pkg(CMOCKA cmocka)
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS integration TIMEOUT 600)
endfunction()

# cf_fuzz_target(NAME SOURCES ... LIBS ...): a libFuzzer target, built only with -DCF_FUZZ=ON.
function(cf_fuzz_target name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  if(CF_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()
