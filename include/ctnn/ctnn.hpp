// ctnn: convolutional networks whose whole topology is a type. The umbrella header.
#pragma once

#include "core/config.hpp"
#include "core/shape.hpp"
#include "core/values.hpp"
#include "core/options.hpp"
#include "core/layer.hpp"
#include "layers/input.hpp"
#include "layers/conv2d.hpp"
#include "layers/pool2d.hpp"
#include "layers/activation.hpp"
#include "layers/flatten.hpp"
#include "layers/dense.hpp"
#include "layers/softmax.hpp"
#include "network/network.hpp"
#include "network/workspace.hpp"
#include "network/model.hpp"
