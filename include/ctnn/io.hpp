// ctnn's file formats: checkpoints, NumPy .npy/.npz (PyTorch weights), IDX (MNIST).
#pragma once

#include "io/checkpoint.hpp"
#include "io/idx.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"
