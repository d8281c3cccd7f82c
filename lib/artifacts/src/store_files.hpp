// Files into the component store: copied to a hidden temporary while hashed, renamed into place, with an undo log (store_files.cpp).
#pragma once

#include "ggl/artifact_install.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ggl::store::files {

namespace fs = std::filesystem;

// Copies `source` to a new temporary file in `directory` (named after `final_name`,
// hidden), with `mode`, synced; returns its path, and the base64 SHA-256 of what was
// written when `digest` is given. `source_fd`, when given, is `source` already opened
// (and checked to be a regular file), read from where it stands.
Result<fs::path> copy_to_temporary(const fs::path& source, const fs::path& directory, const std::string& final_name,
                                   mode_t mode, const std::optional<FileOwner>& owner, std::string* digest,
                                   int source_fd = -1);

bool same_content(const fs::path& a, const fs::path& b);

// Actions run in reverse order unless committed: what undoes a failed install.
class Undo {
public:
    ~Undo() {
        if (!committed_) {
            for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) {
                (*it)();
            }
        }
    }
    void add(std::function<void()> action) { actions_.push_back(std::move(action)); }
    void on_commit(std::function<void()> action) { commits_.push_back(std::move(action)); }
    void commit() {
        committed_ = true;
        for (auto& action : commits_) action();
    }

private:
    std::vector<std::function<void()>> actions_;
    std::vector<std::function<void()>> commits_;
    bool committed_ = false;
};

// create_directories, remembering the directories it made (removed again on undo).
Result<void> make_directories(const fs::path& directory, Undo& undo);

// Moves `path` aside (to a hidden sibling) so it can be put back on undo; on commit the
// moved copy is deleted.
Result<void> move_aside(const fs::path& path, Undo& undo);

// Renames `temporary` to `target`, a file already there (`exists`) moved aside first;
// the undo puts the old file back.
Result<void> replace_file(const fs::path& temporary, const fs::path& target, bool exists, Undo& undo);

// lchown of a tree; the modes are set again after (chown clears setuid-like bits, and
// the store never sets those, but a mode must not depend on that).
Result<void> give_tree(const fs::path& root, const FileOwner& owner);

// A kept store copy given `mode` and, when set, `owner`; both put back on undo. Returns
// whether anything changed.
Result<bool> correct_attributes(const fs::path& target, const struct stat& existing, mode_t mode,
                                const std::optional<FileOwner>& owner, Undo& undo);

} // namespace ggl::store::files
