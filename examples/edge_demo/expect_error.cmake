# ctest driver for edge_demo's error paths. Runs edge_demo on a bad request and passes its
# output on for the test's PASS_REGULAR_EXPRESSION; prints "UNEXPECTED EXIT" (the test's
# FAIL_REGULAR_EXPRESSION) unless edge_demo exits with 1 or 2, so neither success nor a
# crash can pass.
# Usage: cmake -DDEMO=edge_demo -DWORK=dir [-DMAKE_SIZE=WxH] [-DINPUT_NAME=file] [-DFILTER=name]
#              -P expect_error.cmake
#   MAKE_SIZE   first draw WORK/wrong_size.png at that size and feed it in
#   INPUT_NAME  feed WORK/INPUT_NAME (not created)
#   FILTER      pass --filter FILTER
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(args --out "${WORK}/out")
if(DEFINED MAKE_SIZE)
    set(INPUT_NAME wrong_size.png)
    execute_process(COMMAND "${DEMO}" --make-test-image "${WORK}/${INPUT_NAME}" --size ${MAKE_SIZE}
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "UNEXPECTED EXIT: could not draw ${WORK}/${INPUT_NAME} (${rc})")
    endif()
endif()
if(DEFINED INPUT_NAME)
    list(APPEND args --input "${WORK}/${INPUT_NAME}")
endif()
if(DEFINED FILTER)
    list(APPEND args --filter ${FILTER})
endif()

execute_process(COMMAND "${DEMO}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc MATCHES "^[12]$")
    message("UNEXPECTED EXIT: edge_demo returned '${rc}'")
endif()
