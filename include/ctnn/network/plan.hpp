// The memory plan, computed at compile time from the bound layer list.
//
// Parameters: one block; layer I's tensors start at param_offset[I], a multiple of
// ctnn::alignment bytes, so each layer's slice is aligned.
//
// Activations (inference): ping-pong between two workspace buffers. Layer 1 reads the
// caller's input, the last layer writes the caller's output; an element-wise layer whose
// input is already in the workspace runs in place. Each buffer is sized by the largest
// activation it ever holds; the workspace holds, per sample, both buffers, and for a batch
// of N each buffer is N consecutive samples (NCHW).
//
// Fusion: an entry fused into the one before it (an activation run by the conv2d or dense
// kernel as it writes) is planned as part of that step. The step's first entry writes
// where the step's last entry must leave its result (the caller's output when the step ends
// the network), and the fused entry is recorded as running in place there, which is also
// how the unfused reference path runs it. So fusion never needs a buffer the unfused plan
// would not, and it saves the buffer a conv2d or dense + activation ending the network
// would otherwise fill.
#pragma once

#include <array>
#include <cstddef>

#include "../core/config.hpp"

namespace ctnn::detail {

enum class place : unsigned char { user_input, user_output, buffer0, buffer1 };

template <std::size_t Count>
struct inference_plan {
    std::array<place, Count> src{}, dst{};  // entry 0 (the input) unused
    std::array<bool, Count> fused{};          // entry i runs inside entry i - 1's kernel
    std::array<std::size_t, 2> buffer_size{}; // per sample, in elements
    std::array<std::size_t, 2> buffer_offset{};
    std::size_t per_sample = 0; // elements of workspace per sample
};

/// sizes[i], elementwise[i] describe entry i (entry 0 = the input); fused[i] says entry i
/// is element-wise and runs inside entry i - 1 (fused[0] and fused[1] are false).
template <class T, std::size_t Count>
constexpr inference_plan<Count> make_inference_plan(const std::array<std::size_t, Count>& sizes,
                                                    const std::array<bool, Count>& elementwise,
                                                    const std::array<bool, Count>& fused = {}) {
    inference_plan<Count> p{};
    p.fused = fused;
    place current = place::user_input;
    for (std::size_t i = 1; i < Count; ++i) {
        p.src[i] = current;
        if (fused[i]) { // in place on what its step's first entry wrote
            p.dst[i] = current;
            continue;
        }
        const std::size_t step_end = i + 1 < Count && fused[i + 1] ? i + 1 : i;
        if (step_end + 1 == Count) {
            p.dst[i] = place::user_output;
        } else if (elementwise[i] && current != place::user_input) {
            p.dst[i] = current;
        } else {
            p.dst[i] = current == place::buffer0 ? place::buffer1 : place::buffer0;
        }
        if (p.dst[i] == place::buffer0 || p.dst[i] == place::buffer1) {
            auto& size = p.buffer_size[p.dst[i] == place::buffer0 ? 0 : 1];
            size = sizes[i] > size ? sizes[i] : size;
        }
        current = p.dst[i];
    }
    p.buffer_offset[0] = 0;
    p.buffer_offset[1] = aligned_count<T>(p.buffer_size[0]);
    p.per_sample = p.buffer_offset[1] + aligned_count<T>(p.buffer_size[1]);
    return p;
}

} // namespace ctnn::detail
