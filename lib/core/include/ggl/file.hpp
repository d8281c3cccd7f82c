// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include "ggl/error.hpp"

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace ggl::file {

// The file's bytes; NOENTRY when it does not exist, FAILURE naming the path otherwise.
Result<std::string> read(const std::string& path);
// The same, RANGE ("PATH: larger than 64 MiB", say) when it holds more than max_bytes.
Result<std::string> read(const std::string& path, size_t max_bytes);
// The rest of fd's bytes, in a single pass to its end (a pipe's too), at most max_bytes;
// errors start with name.
Result<std::string> read_fd(int fd, const std::string& name, size_t max_bytes);

// Writes a temporary sibling, fsyncs it, renames it over path and fsyncs the directory:
// after a crash path holds either the old content or the new, never a mix.
Result<void> write_atomically(const std::string& path, std::string_view content, mode_t mode = 0644);

// The directory part of path: "." when it has none, "/" for a file in the root.
std::string directory_of(const std::string& path);

// Makes dir and its missing parents with this mode; FAILURE naming a part that is not a
// directory or cannot be made.
Result<void> make_directories(const std::string& dir, mode_t mode = 0750);

// fsync of a directory, so that renames and new entries in it are durable.
Result<void> sync_directory(const std::string& path);

// The error of a system call on `path` that failed with `error` (an errno value):
// "WHAT PATH: strerror", NOENTRY for ENOENT, FAILURE otherwise.
Error path_error(const std::string& what, const std::string& path, int error);

} // namespace ggl::file
