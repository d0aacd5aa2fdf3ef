# Drives one packaging test; see CMakeLists.txt. Usage:
#   cmake -DSETTINGS=<packaging-settings.cmake> -DCONFIG=<cfg> -DWORK_DIR=<dir>
#         -DACTION=install|find_package|version_mismatch|add_subdirectory [-DPREFIX=<root>] -P run_consumer.cmake
# WORK_DIR is wiped first. Any failing step stops the test and prints its whole output.
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS SETTINGS WORK_DIR ACTION)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
    endif()
endforeach()
include(${SETTINGS})

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# run(<what> <command>...): runs the command, echoes it with its output; fails loudly.
function(run what)
    list(JOIN ARGN " " shown)
    message(STATUS "[${ACTION}] ${what}: ${shown}")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    message("${out}")
    if(NOT rc STREQUAL "0")
        message(FATAL_ERROR "[${ACTION}] ${what} failed (${rc}); its output is above.")
    endif()
endfunction()

# configure_command(<out-var> <source> <binary> <prefix-path> [-Dvar=value...]): the command
# for a nested configure with this build's toolchain; settings go through an initial cache
# so lists and spaces survive.
function(configure_command out src bin prefix_path)
    set(init ${bin}-init.cmake)
    file(WRITE ${init} "")
    foreach(pair IN ITEMS "CMAKE_CXX_COMPILER;${CXX_COMPILER}" "CMAKE_CXX_FLAGS;${CXX_FLAGS}"
                          "CMAKE_MAKE_PROGRAM;${MAKE_PROGRAM}" "CMAKE_BUILD_TYPE;${CONFIG}")
        list(POP_FRONT pair name)
        if(NOT "${pair}" STREQUAL "")
            file(APPEND ${init} "set(${name} [==[${pair}]==] CACHE STRING \"\")\n")
        endif()
    endforeach()
    file(APPEND ${init} "set(CMAKE_PREFIX_PATH [==[${prefix_path}]==] CACHE STRING \"\")\n"
                        "set(CMAKE_FIND_USE_PACKAGE_REGISTRY OFF CACHE BOOL \"\")\n")
    set(cmd ${CMAKE_COMMAND} -G ${GENERATOR})
    if(GENERATOR_PLATFORM)
        list(APPEND cmd -A ${GENERATOR_PLATFORM})
    endif()
    if(GENERATOR_TOOLSET)
        list(APPEND cmd -T ${GENERATOR_TOOLSET})
    endif()
    list(APPEND cmd -C ${init} -S ${src} -B ${bin} ${ARGN})
    set(${out} ${cmd} PARENT_SCOPE)
endfunction()

set(config_arg)
if(CONFIG)
    set(config_arg --config ${CONFIG})
endif()

# build_and_run(<binary>): builds a consumer, then runs it through its own ctest.
function(build_and_run bin)
    run("build consumer" ${CMAKE_COMMAND} --build ${bin} ${config_arg})
    set(c)
    if(CONFIG)
        set(c -C ${CONFIG})
    endif()
    run("run consumer" ${CMAKE_CTEST_COMMAND} --test-dir ${bin} ${c} -V --no-tests=error)
endfunction()

function(require_prefix)
    if(NOT EXISTS ${PREFIX}/share/cmake/ctnn/ctnn-config.cmake)
        message(FATAL_ERROR "[${ACTION}] no ctnn install under ${PREFIX}; packaging.install "
                            "(this test's fixture) must run first and pass.")
    endif()
endfunction()

string(REGEX MATCH "^[0-9]+\\.[0-9]+" major_minor "${CTNN_VERSION}")
string(REGEX MATCH "^[0-9]+" major "${CTNN_VERSION}")

if(ACTION STREQUAL "install")
    configure_command(cmd ${CTNN_SOURCE_DIR} ${WORK_DIR}/build "${PREFIX_PATH}"
                      -DCTNN_BUILD_TESTS=OFF -DCTNN_BUILD_EXAMPLES=OFF -DCTNN_BUILD_BENCHMARKS=OFF)
    run("configure ctnn" ${cmd})
    run("build ctnn" ${CMAKE_COMMAND} --build ${WORK_DIR}/build ${config_arg})
    run("install ctnn" ${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${WORK_DIR}/root ${config_arg})

    # The layout a consumer relies on: every file of include/ctnn, the package files, nothing else
    # (header-only, so nothing architecture-specific such as lib/).
    set(root ${WORK_DIR}/root)
    file(GLOB_RECURSE headers RELATIVE ${CTNN_SOURCE_DIR}/include ${CTNN_SOURCE_DIR}/include/ctnn/*)
    set(expected)
    foreach(h IN LISTS headers)
        list(APPEND expected include/${h})
    endforeach()
    foreach(f IN ITEMS ctnn-config.cmake ctnn-config-version.cmake ctnn-targets.cmake ctnn-find-deps.cmake)
        list(APPEND expected share/cmake/ctnn/${f})
    endforeach()
    file(GLOB_RECURSE installed RELATIVE ${root} ${root}/*)
    set(missing ${expected})
    list(REMOVE_ITEM missing ${installed})
    set(extra ${installed})
    list(REMOVE_ITEM extra ${expected})
    if(missing OR extra)
        list(JOIN missing "\n  " missing)
        list(JOIN extra "\n  " extra)
        message(FATAL_ERROR "[install] wrong layout under ${root}\nmissing:\n  ${missing}\nunexpected:\n  ${extra}")
    endif()
    # ARCH_INDEPENDENT: a consumer with another pointer size (32-bit) must accept the package.
    function(check_arch_independent version_file)
        set(CMAKE_SIZEOF_VOID_P 4)
        set(PACKAGE_FIND_NAME ctnn)
        string(REGEX MATCHALL "[0-9]+" parts "${major_minor}")
        list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
        list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
        set(PACKAGE_FIND_VERSION ${major_minor})
        set(PACKAGE_FIND_VERSION_COUNT 2)
        include(${version_file})
        if(NOT PACKAGE_VERSION_COMPATIBLE OR PACKAGE_VERSION_UNSUITABLE)
            message(FATAL_ERROR "[install] ${version_file} refuses a 32-bit consumer asking for "
                                "${major_minor}; a header-only package needs ARCH_INDEPENDENT")
        endif()
    endfunction()
    check_arch_independent(${root}/share/cmake/ctnn/ctnn-config-version.cmake)
    message(STATUS "[install] layout ok: ${root}")

elseif(ACTION STREQUAL "find_package")
    require_prefix()
    configure_command(cmd ${CONSUMERS_DIR}/find_package_consumer ${WORK_DIR}/build
                      "${PREFIX};${PREFIX_PATH}"
                      -DCTNN_REQUESTED_VERSION=${major_minor} -DCTNN_EXPECTED_VERSION=${CTNN_VERSION}
                      -DCTNN_EXPECTED_DIR=${PREFIX}/share/cmake/ctnn)
    run("configure consumer" ${cmd})
    build_and_run(${WORK_DIR}/build)

elseif(ACTION STREQUAL "version_mismatch")
    # Asking for the next major version must be refused by ctnn-config-version.cmake, and
    # the refusal must name our install: it was found, and rejected for its version.
    require_prefix()
    math(EXPR next_major "${major} + 1")
    configure_command(cmd ${CONSUMERS_DIR}/find_package_consumer ${WORK_DIR}/build
                      "${PREFIX};${PREFIX_PATH}" -DCTNN_REQUESTED_VERSION=${next_major}.0)
    execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    message("${out}")
    string(REGEX REPLACE "[ \t\r\n]+" " " flat "${out}")   # CMake wraps its messages
    string(REPLACE "." "\\." v "${CTNN_VERSION}")
    if(rc STREQUAL "0")
        message(FATAL_ERROR "[version_mismatch] find_package(ctnn ${next_major}.0) was accepted "
                            "by ctnn ${CTNN_VERSION}; the version file does not check compatibility")
    elseif(NOT flat MATCHES "compatible with requested version \"${next_major}\\.0\"")
        message(FATAL_ERROR "[version_mismatch] configure failed, but not with the version refusal")
    elseif(NOT flat MATCHES "ctnn/ctnn-config\\.cmake, version: ${v}")
        message(FATAL_ERROR "[version_mismatch] refused, but the installed ctnn ${CTNN_VERSION} "
                            "under ${PREFIX} was not among the candidates")
    endif()
    message(STATUS "[version_mismatch] find_package(ctnn ${next_major}.0) refused as expected")

elseif(ACTION STREQUAL "add_subdirectory")
    configure_command(cmd ${CONSUMERS_DIR}/add_subdirectory_consumer ${WORK_DIR}/build
                      "${PREFIX_PATH}" -DCTNN_SOURCE_DIR=${CTNN_SOURCE_DIR})
    run("configure consumer" ${cmd})
    build_and_run(${WORK_DIR}/build)

else()
    message(FATAL_ERROR "run_consumer.cmake: unknown ACTION '${ACTION}'")
endif()
