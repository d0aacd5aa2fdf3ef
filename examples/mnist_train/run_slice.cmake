# Trains on 3000 MNIST images for 2 epochs and requires 85% on 1000 test images, then checks
# that the checkpoint, metrics CSV and SVG curves were written. Skipped without data.
if(NOT DATA OR NOT EXISTS "${DATA}/train-images-idx3-ubyte")
    # The ctest marks this skipped (SKIP_REGULAR_EXPRESSION); CMake 3.25 has no cmake_language(EXIT).
    message(FATAL_ERROR "MNIST not found (CTNN_MNIST_DIR='${DATA}'); run tools/fetch-mnist and configure with -DCTNN_MNIST_DIR=...")
endif()
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${EXE}" --net ${NET} --data "${DATA}" --out "${OUT}" --epochs 2 --train-limit 3000
                        --test-limit 1000 --threads 2 --expect-accuracy 85
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mnist_train exited with ${rc}")
endif()
foreach(f ${NET}.ctnn ${NET}_metrics.csv ${NET}_curves.svg)
    if(NOT EXISTS "${OUT}/${f}")
        message(FATAL_ERROR "mnist_train did not write ${OUT}/${f}")
    endif()
endforeach()
