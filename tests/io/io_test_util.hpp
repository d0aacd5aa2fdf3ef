// Helpers for the io tests: a fresh directory per test, whole-file bytes, and a check that
// a call throws ctnn::io_error about the right field with the right words.
#pragma once

#include <ctnn/io/error.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace ctnn::io_test {

namespace fs = std::filesystem;

inline const fs::path data_dir = CTNN_IO_TEST_DATA;

/// A directory of its own for each test, removed afterwards.
class temp_dir_test : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = "ctnn_io_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
                           std::to_string(::getpid());
        for (char& c : name)
            if (c == '/') c = '_'; // typed and parameterized test names hold slashes
        dir_ = fs::temp_directory_path() / name;
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    fs::path file(const std::string& name) const { return dir_ / name; }
    const fs::path& dir() const { return dir_; }

  private:
    fs::path dir_;
};

inline std::vector<unsigned char> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << p;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const fs::path& p, const std::vector<unsigned char>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << "cannot write " << p;
}

/// Runs f; it must throw ctnn::io_error whose field contains `field` and whose message
/// contains each of `words`. Returns the message ("" when the expectation failed).
template <class F>
std::string expect_io_error(F&& f, const std::string& field, std::initializer_list<std::string> words = {}) {
    try {
        f();
    } catch (const ctnn::io_error& e) {
        const std::string what = e.what();
        EXPECT_NE(e.field().find(field), std::string::npos) << "field '" << e.field() << "' lacks '" << field
                                                           << "'; message: " << what;
        for (const std::string& w : words)
            EXPECT_NE(what.find(w), std::string::npos) << "message lacks '" << w << "': " << what;
        return what;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "threw something other than ctnn::io_error: " << e.what();
        return "";
    }
    ADD_FAILURE() << "did not throw (expected an io_error about " << field << ")";
    return "";
}

/// The Python that the interoperability tests run, if it has numpy.
inline bool python_with_numpy() {
    static const bool ok =
        std::system((std::string(CTNN_IO_PYTHON) + " -c \"import numpy\" >/dev/null 2>&1").c_str()) == 0;
    return ok;
}

/// Runs the Python script `script` (in tests/io) with arguments; true when it exits 0.
inline bool run_python(const std::string& script, const std::vector<std::string>& args) {
    std::string cmd = std::string(CTNN_IO_PYTHON) + " \"" + CTNN_IO_TEST_SCRIPTS + "/" + script + "\"";
    for (const std::string& a : args) cmd += " \"" + a + "\"";
    return std::system(cmd.c_str()) == 0;
}

} // namespace ctnn::io_test
