# Classifies the 10,000 MNIST test images; requires 98%. Skipped without data.
if(NOT DATA OR NOT EXISTS "${DATA}/t10k-images-idx3-ubyte")
    # The ctest marks this skipped (SKIP_REGULAR_EXPRESSION); CMake 3.25 has no cmake_language(EXIT).
    message(FATAL_ERROR "MNIST not found (CTNN_MNIST_DIR='${DATA}'); run tools/fetch-mnist and configure with -DCTNN_MNIST_DIR=...")
endif()
execute_process(COMMAND "${EXE}" --mnist "${DATA}" --expect-accuracy 98 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "onnx_mnist exited with ${rc}")
endif()
