# ctest driver for examples.edge_demo:
#   1. the committed circle.png has the pixels `edge_demo --make-test-image` draws;
#   2. edge_demo runs with its default filter (Sobel-x) and with each filter `--filter list`
#      names (nine), and edge_demo_check recomputes every stage and compares.
# Usage: cmake -DDEMO=edge_demo -DCHECK=edge_demo_check -DINPUT=circle.png -DWORK=dir -P run_check.cmake
foreach(var DEMO CHECK INPUT WORK)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "run_check.cmake needs -D${var}=...")
    endif()
endforeach()

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    message("${out}")
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "exit '${rc}' from: ${ARGN}")
    endif()
    set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

run("${DEMO}" --make-test-image "${WORK}/circle.png")
run("${CHECK}" --same-pixels "${WORK}/circle.png" "${INPUT}")

run("${DEMO}" --input "${INPUT}" --out "${WORK}/default")
run("${CHECK}" --input "${INPUT}" --filter sobel_x --dir "${WORK}/default")

run("${DEMO}" --filter list)
string(REPLACE "\n" ";" lines "${output}")
set(names)
foreach(line IN LISTS lines)
    if(line MATCHES "^([a-z_]+) ")
        list(APPEND names ${CMAKE_MATCH_1})
    endif()
endforeach()
list(LENGTH names count)
if(NOT count EQUAL 9)
    message(FATAL_ERROR "`edge_demo --filter list` names ${count} filters, not nine: ${names}")
endif()
foreach(name IN LISTS names)
    run("${DEMO}" --filter ${name} --input "${INPUT}" --out "${WORK}/${name}")
    run("${CHECK}" --input "${INPUT}" --filter ${name} --dir "${WORK}/${name}")
endforeach()
message("edge_demo: the default run and all nine filters match the oracle: ${names}")
