// The memory plan, computed at compile time from the bound layer list.
//
// Parameters: one block; layer I's tensors start at param_offset[I], a multiple of
// ctnn::alignment bytes, so each layer's slice is aligned.
//
// Activations (inference): ping-pong between two buffers of one workspace area. Layer 1
// reads the caller's input, the last layer writes the caller's output; an element-wise
// layer whose input is already in the workspace runs in place. Buffer 0's maps start at
// the area's beginning, buffer 1's end at its end, so a map sits where its size puts it
// and only the two maps a step reads and writes are ever alive together: the area, per
// sample, is the largest such pair (each map rounded up to ctnn::alignment), never more
// than the largest map of buffer 0 plus the largest of buffer 1. For a batch of N the
// area is N times as large and a map at per-sample offset o holds N consecutive samples
// (NCHW) from N * o.
//
// Fusion: the entries form steps, each one kernel call: an entry on its own, or a head (a
// conv2d or dense) with the entries fused into it (an activation it applies as it writes;
// for a conv2d, also a 2x2 stride-2 pool it applies to each pair of rows as it computes
// them). A step reads where its head reads and writes where its last entry must leave the
// result: the caller's output when the step ends the network, else the buffer the step did
// not read, so a fused conv2d + pool never reads and writes the same buffer. Inside a step,
// the entries before its last non-element-wise entry are recorded as place::not_stored (the
// un-pooled map of a conv2d fused with its pool lives only in the kernel's registers and
// stack); the others write the step's destination, the element-wise ones in place. Only
// what a step stores takes room: a step ending the network needs none, and a conv2d + pool
// stores only the pooled map. So fusing never grows the workspace: a fused step's pair
// (source, destination) is no larger than the pairs of its entries run apart, which also
// store the map between them.
//
// Without fused entries make_inference_plan gives the plain plan, every entry on its own;
// the network's reference path, run_unfused(), runs with that plan and its own workspace
// size (a fused conv2d + pool reads its source and writes its destination, while the conv2d
// and the pool run apart need a third place between the two).
#pragma once

#include <array>
#include <cstddef>

#include "../core/config.hpp"

namespace ctnn::detail {

/// Where an entry reads or writes; not_stored: inside a fused step's kernel, never in memory.
enum class place : unsigned char { user_input, user_output, buffer0, buffer1, not_stored };

template <std::size_t Count>
struct inference_plan {
    std::array<place, Count> src{}, dst{};  // entry 0 (the input) unused
    std::array<std::size_t, Count> src_offset{}, dst_offset{}; // per sample, in a buffer (else 0)
    std::array<bool, Count> fused{};          // entry i runs inside the kernel of its step's head
    std::array<std::size_t, 2> buffer_size{}; // largest map each buffer holds, per sample
    std::size_t per_sample = 0; // elements of workspace per sample: the largest pair a step holds
};

/// sizes[i], elementwise[i] describe entry i (entry 0 = the input); fused[i] says entry i
/// runs inside the kernel of the step begun by the nearest earlier entry that is not fused
/// (fused[0] and fused[1] are false). With no fused entries: the plain plan.
template <class T, std::size_t Count>
constexpr inference_plan<Count> make_inference_plan(const std::array<std::size_t, Count>& sizes,
                                                    const std::array<bool, Count>& elementwise,
                                                    const std::array<bool, Count>& fused = {}) {
    inference_plan<Count> p{};
    p.fused = fused;
    place current = place::user_input;
    for (std::size_t head = 1; head < Count;) {
        std::size_t end = head; // the step: entries head .. end
        while (end + 1 < Count && fused[end + 1]) ++end;
        const place dst = end + 1 == Count                                                  ? place::user_output
                          : end == head && elementwise[head] && current != place::user_input ? current
                          : current == place::buffer0                                        ? place::buffer1
                                                                                              : place::buffer0;
        std::size_t stored = head; // the step's last non-element-wise entry
        for (std::size_t i = head + 1; i <= end; ++i)
            if (!elementwise[i]) stored = i;
        for (std::size_t i = head; i <= end; ++i) {
            p.src[i] = current;
            p.dst[i] = i < stored ? place::not_stored : dst;
            current = p.dst[i];
            if (current == place::buffer0 || current == place::buffer1) {
                auto& largest = p.buffer_size[current == place::buffer0 ? 0 : 1];
                largest = sizes[i] > largest ? sizes[i] : largest;
            }
        }
        // The pair alive during the step: what it reads (entry head - 1's map) and writes.
        const auto in_area = [](place q) { return q == place::buffer0 || q == place::buffer1; };
        const std::size_t read = in_area(p.src[head]) ? aligned_count<T>(sizes[head - 1]) : 0;
        const std::size_t written = in_area(dst) ? aligned_count<T>(sizes[end]) : 0;
        const std::size_t pair = dst == p.src[head] ? written : read + written; // in place: one map
        p.per_sample = pair > p.per_sample ? pair : p.per_sample;
        head = end + 1;
    }
    const auto offset = [&](place q, std::size_t elements) -> std::size_t {
        return q == place::buffer1 ? p.per_sample - aligned_count<T>(elements) : 0;
    };
    for (std::size_t i = 1; i < Count; ++i) {
        p.src_offset[i] = offset(p.src[i], sizes[i - 1]);
        p.dst_offset[i] = offset(p.dst[i], sizes[i]);
    }
    return p;
}

} // namespace ctnn::detail
