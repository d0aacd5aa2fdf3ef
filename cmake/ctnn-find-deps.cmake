# Finds ctnn's dependencies; used by ctnn's own build and by the installed ctnn-config.cmake.
#
# Debian's xsimd 8 config names an `xtl` target in its link interface without finding xtl.
# xsimd needs xtl only for XSIMD_ENABLE_XTL_COMPLEX, which ctnn does not use, so when no
# xtl package is found an empty stand-in target keeps the link line valid.
include(CMakeFindDependencyMacro)
macro(_ctnn_need name version)
    if(CMAKE_FIND_PACKAGE_NAME)   # inside find_package(ctnn): report, don't abort
        find_dependency(${name} ${version})
    else()
        find_package(${name} ${version} REQUIRED)
    endif()
endmacro()

_ctnn_need(Boost 1.74)
if(NOT TARGET xtl)
    find_package(xtl QUIET)
    if(NOT TARGET xtl)
        add_library(xtl INTERFACE IMPORTED)
    endif()
endif()
_ctnn_need(xsimd 8)
