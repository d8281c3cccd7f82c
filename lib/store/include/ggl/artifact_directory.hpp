// A local deployment's artifact directory (<artifact dir>/<name>/<version>/): what it
// holds, checked before anything is installed, and its files opened without following links.
#pragma once

#include "ggl/error.hpp"
#include "ggl/fd.hpp"
#include "ggl/recipe.hpp"

#include <sys/types.h>

#include <filesystem>
#include <vector>

namespace ggl::store {

// One entry below a component version's artifact directory (see scan_artifact_directory).
struct DirectoryEntry {
    std::filesystem::path relative; // below the directory: "lib", "lib/util.py"
    bool directory = false;
    mode_t mode = 0; // the source's permission bits
};

// What install_artifacts copies from `source_dir` besides the listed artifacts: a local
// deployment copies the component version's whole artifact directory
// (<artifact dir>/<name>/<version>/), as the Greengrass CLI does, so that a recipe
// without Artifacts can still run {artifacts:path}/script. Every directory and regular
// file below it, recursively, parents before their contents, sorted by name; the files
// at the top that `listed` names are left out (they are installed as artifacts, with
// their digest and permissions). An empty or missing source_dir has nothing to copy; one
// that is not a directory → INVALID. Symbolic links below source_dir are neither followed
// nor copied (a link could bring a file from anywhere into the store, given to the
// component's user): one → INVALID naming it, and so is anything that is neither a
// directory nor a regular file (FIFO, socket, device). source_dir itself may be a link.
Result<std::vector<DirectoryEntry>> scan_artifact_directory(const std::filesystem::path& source_dir,
                                                            const std::vector<Artifact>& listed);

// Opens the regular file `relative`, a path below the directory `root`, without following
// a symbolic link anywhere below `root` (each segment is opened with O_NOFOLLOW from the
// one before; the file without blocking, so a FIFO swapped in cannot hang the caller).
// INVALID naming the path for a link or for something that is not a regular file.
Result<UniqueFd> open_regular_beneath(const std::filesystem::path& root, const std::filesystem::path& relative);

} // namespace ggl::store
