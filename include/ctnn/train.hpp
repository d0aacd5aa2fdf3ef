// ctnn's training: passes, losses, optimizers, initializers, the trainer and its plots.
#pragma once

#include "ctnn.hpp"
#include "train/engine.hpp"
#include "train/init.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"
#include "train/plot.hpp"
#include "train/trainer.hpp"
