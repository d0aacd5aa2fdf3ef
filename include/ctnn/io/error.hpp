// The one exception type of ctnn's file readers and writers. Its message names the file,
// the field being read or checked, and what was expected against what was found.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace ctnn {

/// A file could not be read or written, or its content is not what the reader expects.
/// what() is "<path>: <field>: <detail>".
class io_error : public std::runtime_error {
  public:
    io_error(std::string path, std::string field, const std::string& detail)
        : std::runtime_error(path + ": " + field + ": " + detail), path_(std::move(path)), field_(std::move(field)) {}

    /// The file (for an archive, the archive).
    const std::string& path() const noexcept { return path_; }
    /// What was being read or checked, e.g. "magic", "tensor '1.weight' shape", "entry '1.weight.npy'".
    const std::string& field() const noexcept { return field_; }

  private:
    std::string path_;
    std::string field_;
};

} // namespace ctnn
