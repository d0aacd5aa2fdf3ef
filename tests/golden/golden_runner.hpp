// Runs the golden cases of golden_cases.inc: loads data/<case>.golden (format in
// make_golden.py), puts its parameters into ctnn by tensor name ("<entry>.<tensor>", checked
// against layer<I>::tensors), runs Net::forward and compares with PyTorch's float64 output.
// Tolerance: max |ctnn - torch| <= tol * max(1, max |torch|), tol 1e-5 for float, 1e-12 for double.
#pragma once

#include <ctnn/ctnn.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef CTNN_GOLDEN_DATA_DIR
#error "CTNN_GOLDEN_DATA_DIR must name tests/golden/data (tests/golden/CMakeLists.txt sets it)"
#endif

namespace ctnn::golden {

/// The cases of one group, as listed by golden_cases.inc.
template <class... Cases>
struct case_list {};

#include "golden_cases.inc"

template <class... Cases>
std::vector<std::string_view> names_of(case_list<Cases...>) {
    return {Cases::name...};
}

template <class List>
struct gtest_types_of;
template <class... Cases>
struct gtest_types_of<case_list<Cases...>> {
    using type = ::testing::Types<Cases...>;
};
/// The typed tests keep gtest's numbered names (golden_pool/3.in_float): CMake's test discovery
/// then names them after the type, golden_pool.in_float<ctnn::golden::max_k3_s2_ceil>, which
/// it does not do for names from a name generator.
template <class List>
using gtest_types = typename gtest_types_of<List>::type;

struct tensor {
    std::string name;
    std::vector<std::size_t> dims;
    std::vector<double> values;
};

struct fixture {
    std::vector<tensor> tensors;

    const tensor* find(std::string_view name) const {
        for (const auto& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
};

inline std::string data_path(std::string_view case_name) {
    std::string path = CTNN_GOLDEN_DATA_DIR;
    path.append("/").append(case_name).append(".golden");
    return path;
}

/// Reads a fixture; on a malformed file, returns an empty fixture and records why in `error`.
inline fixture load_fixture(std::string_view case_name, std::string& error) {
    const std::string path = data_path(case_name);
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        error = "cannot open " + path + " (regenerate with /usr/bin/python3 tests/golden/make_golden.py)";
        return {};
    }
    std::string line;
    if (!std::getline(file, line) || line != "ctnn-golden 1") {
        error = path + ": not a ctnn-golden 1 file";
        return {};
    }
    fixture f;
    while (std::getline(file, line) && line != "data") {
        std::istringstream fields(line);
        tensor t;
        std::size_t rank = 0;
        fields >> t.name >> rank;
        t.dims.resize(rank);
        for (auto& d : t.dims) fields >> d;
        if (!fields || t.name.empty()) {
            error = path + ": bad header line '" + line + "'";
            return {};
        }
        f.tensors.push_back(std::move(t));
    }
    if (line != "data") {
        error = path + ": header without its 'data' line";
        return {};
    }
    const std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    std::size_t at = 0;
    for (auto& t : f.tensors) {
        std::size_t count = 1;
        for (auto d : t.dims) count *= d;
        if (bytes.size() < at + 8 * count) {
            error = path + ": data shorter than the header says";
            return {};
        }
        t.values.resize(count);
        for (auto& v : t.values) { // little-endian float64, whatever this machine's order
            std::uint64_t bits = 0;
            for (std::size_t b = 0; b < 8; ++b) bits |= std::uint64_t{bytes[at + b]} << (8 * b);
            v = std::bit_cast<double>(bits);
            at += 8;
        }
    }
    if (at != bytes.size()) error = path + ": data longer than the header says";
    return f;
}

template <class T>
inline constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

template <class T>
constexpr const char* type_name() {
    return std::is_same_v<T, float> ? "float" : "double";
}

inline std::string dims_text(const std::vector<std::size_t>& dims) {
    std::ostringstream s;
    s << '[';
    for (std::size_t i = 0; i < dims.size(); ++i) s << (i ? " " : "") << dims[i];
    s << ']';
    return s.str();
}

/// Copies fixture tensor "<I>.<name of tensor K>" into tensor<I, K>() after checking its shape.
template <class Net, std::size_t I, std::size_t K>
void load_tensor(typename Net::parameters& params, const fixture& f, std::size_t& loaded) {
    constexpr param_tensor info = Net::template layer<I>::tensors[K];
    std::string key = std::to_string(I);
    key.append(".").append(info.name);
    const tensor* t = f.find(key);
    if (t == nullptr) {
        ADD_FAILURE() << "the fixture has no tensor " << key << " for entry " << I << " ("
                      << Net::template layer<I>::name << ")";
        return;
    }
    const std::vector<std::size_t> expected(info.dims.begin(), info.dims.begin() + info.rank);
    if (t->dims != expected) {
        ADD_FAILURE() << key << ": fixture shape " << dims_text(t->dims) << ", ctnn shape " << dims_text(expected);
        return;
    }
    auto dst = params.template tensor<I, K>();
    std::transform(t->values.begin(), t->values.end(), dst.begin(),
                   [](double v) { return static_cast<typename Net::value_type>(v); });
    ++loaded;
}

template <class Net, std::size_t I, std::size_t... K>
void load_entry(typename Net::parameters& params, const fixture& f, std::size_t& loaded, std::index_sequence<K...>) {
    (load_tensor<Net, I, K>(params, f, loaded), ...);
}

template <class Net, std::size_t... I>
std::size_t load_parameters(typename Net::parameters& params, const fixture& f, std::index_sequence<I...>) {
    std::size_t loaded = 0;
    (load_entry<Net, I>(params, f, loaded, std::make_index_sequence<Net::template layer<I>::tensors.size()>{}), ...);
    return loaded;
}

template <std::size_t... D>
std::vector<std::size_t> batch_dims(std::size_t batch, shape<D...>) {
    return {batch, D...};
}

struct comparison {
    double worst = 0;     ///< largest |ctnn - torch|; infinity if any value is NaN
    std::size_t at = 0;   ///< flat index of the worst value
    double limit = 0;     ///< tolerance * max(1, max |torch|)
    double got = 0, want = 0;
};

/// Runs a case in Net's element type; `tweak(params)` may change the loaded parameters (the
/// harness check uses it). Gtest failures report a fixture that does not fit Net.
template <class Net, class Tweak>
comparison evaluate(std::string_view case_name, Tweak tweak) {
    using T = typename Net::value_type;
    comparison r;
    std::string error;
    const fixture f = load_fixture(case_name, error);
    if (!error.empty()) {
        ADD_FAILURE() << error;
        return r;
    }
    const tensor* in = f.find("input");
    const tensor* want = f.find("output");
    if (in == nullptr || want == nullptr || in->dims.empty()) {
        ADD_FAILURE() << case_name << ": the fixture lacks its input or output";
        return r;
    }
    const std::size_t batch = in->dims[0];
    EXPECT_EQ(dims_text(in->dims), dims_text(batch_dims(batch, Net::input_shape))) << case_name << ": input shape";
    EXPECT_EQ(dims_text(want->dims), dims_text(batch_dims(batch, Net::output_shape)))
        << case_name << ": output shape (ctnn's shape rule against PyTorch's)";

    // NaN everywhere first: a parameter the loader missed poisons the output.
    auto params = std::make_unique<typename Net::parameters>();
    params->values.fill(std::numeric_limits<T>::quiet_NaN());
    const std::size_t loaded = load_parameters<Net>(*params, f, std::make_index_sequence<Net::entry_count>{});
    EXPECT_EQ(loaded + 2, f.tensors.size()) << case_name << ": fixture tensors that ctnn did not take";
    if (::testing::Test::HasFailure()) return r;
    tweak(*params);

    std::vector<T> x(in->values.size());
    std::transform(in->values.begin(), in->values.end(), x.begin(), [](double v) { return static_cast<T>(v); });
    std::vector<T> y(batch * Net::output_size, std::numeric_limits<T>::quiet_NaN());
    ctnn::workspace<Net> ws(batch);
    Net::forward(*params, x, y, ws);

    double scale = 1;
    for (double v : want->values) scale = std::max(scale, std::abs(v));
    r.limit = tolerance<T> * scale;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double d = std::abs(static_cast<double>(y[i]) - want->values[i]);
        const double e = std::isnan(d) ? std::numeric_limits<double>::infinity() : d;
        if (i == 0 || e > r.worst) r = {e, i, r.limit, static_cast<double>(y[i]), want->values[i]};
    }
    return r;
}

/// The test body: the case in element type T must match PyTorch within tolerance.
template <class Net>
void check(std::string_view case_name) {
    using T = typename Net::value_type;
    const comparison r = evaluate<Net>(case_name, [](auto&) {});
    if (::testing::Test::HasFailure()) return;
    std::ostringstream margin; // in the XML report (--gtest_output=xml), to watch how close cases run
    margin << r.worst << " of " << r.limit;
    ::testing::Test::RecordProperty("worst_error", margin.str());
    EXPECT_LE(r.worst, r.limit) << case_name << " in " << type_name<T>() << ": worst error " << r.worst
                                << " at output " << r.at << " (ctnn " << r.got << ", PyTorch " << r.want
                                << "), allowed " << r.limit;
}

} // namespace ctnn::golden
