// Artifacts into the component store: copied while hashed, digests checked, ZIPs unarchived, undone on failure.
#include "ggl/artifact_install.hpp"

#include "store_files.hpp"

#include "ggl/fd.hpp"
#include "ggl/file.hpp"
#include "ggl/sha256.hpp"
#include "ggl/text.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

// Permissions, the choice made here. The store belongs to the daemon that installs into
// it; artifact files belong to the component's user when the caller names one
// (InstallOptions::owner: Read/Execute OWNER then mean that user, as in Greengrass), to the
// daemon otherwise. Copies are never writable: an artifact's content is fixed by its
// digest, and a new one arrives by rename, which needs write access to the directory, not
// the file. The owner can always read, even with Read NONE, because installing the same
// version again re-hashes the stored copy and under the user manager the daemon is that
// owner. Read and Execute then widen this as Greengrass does (Execute implies read for
// the same class: running a file needs to read it). Directories are 0755: names in the
// store are not secrets, file modes guard the content.
//
// The files of a local deployment's artifact directory that the recipe does not list
// have no Permission to follow: they keep the read and execute bits they had in the
// source (a script marked executable stays executable for the same classes, as the
// Greengrass CLI's copy keeps them), the owner can read, nobody can write, and setuid,
// setgid and sticky bits are dropped. Their directories are 0755 and stay the installer's:
// the component may read its tree, not add to it. Symbolic links are refused rather
// than copied or followed: a link to /etc/shadow would otherwise become a store file given
// to the component's user.

namespace ggl::store {

namespace fs = std::filesystem;
using namespace files;

namespace {

std::string strip_padding(std::string_view digest) {
    while (!digest.empty() && digest.back() == '=') digest.remove_suffix(1);
    return std::string(digest);
}

Result<void> check_algorithm(const Artifact& artifact) {
    if (!artifact.algorithm.empty() && ascii_lowercase(artifact.algorithm) != "sha-256") {
        return make_error(ErrorCode::Unsupported, "artifact " + artifact.uri + ": digest algorithm \"" +
                                                      artifact.algorithm + "\" is not supported (only SHA-256)");
    }
    return {};
}

// `actual` is the base64 SHA-256 of `file`.
Result<void> compare_digest(const fs::path& file, const Artifact& artifact, const std::string& actual) {
    if (strip_padding(artifact.digest) != strip_padding(actual)) {
        return make_error(ErrorCode::Invalid,
                          file.string() + ": digest mismatch for artifact " + artifact.uri + ": the recipe expects " +
                              artifact.digest + ", the file has " + actual +
                              " (SHA-256, base64 as `openssl dgst -sha256 -binary FILE | base64` prints it)");
    }
    return {};
}

} // namespace

// ---- digests and modes

Result<void> verify_digest(const fs::path& file, const Artifact& artifact) {
    if (artifact.digest.empty()) {
        return {};
    }
    if (auto algorithm = check_algorithm(artifact); !algorithm) {
        return algorithm;
    }
    auto actual = sha256_base64(file);
    if (!actual) {
        return actual.error();
    }
    return compare_digest(file, artifact, *actual);
}

Result<mode_t> artifact_mode(const Artifact& artifact) {
    auto level = [&](const std::string& value, const char* key) -> Result<int> {
        std::string upper = value;
        std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
        if (upper == "NONE") return 0;
        if (upper == "OWNER") return 1;
        if (upper == "ALL") return 2;
        return make_error(ErrorCode::Invalid, "artifact " + artifact.uri + ": Permission." + key + " \"" + value +
                                                  "\" is not NONE, OWNER or ALL");
    };
    auto read = level(artifact.read_permission, "Read");
    if (!read) return read.error();
    auto execute = level(artifact.execute_permission, "Execute");
    if (!execute) return execute.error();
    mode_t mode = S_IRUSR;
    if (*read == 2) mode |= S_IRGRP | S_IROTH;
    if (*execute >= 1) mode |= S_IXUSR;
    if (*execute == 2) mode |= S_IRGRP | S_IROTH | S_IXGRP | S_IXOTH;
    return mode;
}

// ---- artifacts

mode_t directory_file_mode(mode_t source_mode) { return (source_mode & 0555) | S_IRUSR; }

namespace {

// A listed artifact, checked before the store is touched.
struct Planned {
    const Artifact* artifact;
    std::string file_name;
    fs::path source;
    mode_t mode;
    bool unarchive;
    std::string folder;
};

// Checks one listed artifact and plans where it goes; `file_names` and `folders` hold
// those of the artifacts planned before it, which it may not share.
Result<Planned> plan_artifact(const Artifact& artifact, const fs::path& source_dir, const std::string& component,
                              std::set<std::string>& file_names, std::set<std::string>& folders) {
    auto file_name = artifact_file_name(artifact);
    if (!file_name) {
        return make_error(file_name.error().code, component + ": " + file_name.error().message);
    }
    if (!file_names.insert(*file_name).second) {
        return make_error(ErrorCode::Invalid, component + ": two artifacts are stored as \"" + *file_name + "\"");
    }
    auto mode = artifact_mode(artifact);
    if (!mode) {
        return make_error(mode.error().code, component + ": " + mode.error().message);
    }
    if (!artifact.digest.empty()) {
        if (auto algorithm = check_algorithm(artifact); !algorithm) {
            return make_error(algorithm.error().code, component + ": " + algorithm.error().message);
        }
    }
    std::string unarchive = ascii_lowercase(artifact.unarchive);
    if (unarchive != "none" && unarchive != "zip" && !unarchive.empty()) {
        return make_error(ErrorCode::Unsupported, component + ": artifact " + artifact.uri + ": Unarchive \"" +
                                                      artifact.unarchive + "\" is not supported (NONE or ZIP)");
    }
    Planned planned{&artifact, *file_name, source_dir / *file_name, *mode, unarchive == "zip", {}};
    if (planned.unarchive) {
        auto folder = unarchive_folder_name(*file_name);
        if (!folder) {
            return make_error(folder.error().code, component + ": " + folder.error().message);
        }
        if (!folders.insert(*folder).second) {
            return make_error(ErrorCode::Invalid, component + ": two archives unarchive into \"" + *folder + "\"");
        }
        planned.folder = *folder;
    }
    struct stat info {};
    if (::stat(planned.source.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        return make_error(ErrorCode::Noentry, component + ": artifact " + artifact.uri + " is missing: expected " +
                                                  planned.source.string());
    }
    return planned;
}

Result<std::vector<Planned>> plan_artifacts(const ComponentArtifacts& component_artifacts, const fs::path& source_dir,
                                            const std::string& component) {
    std::vector<Planned> plan;
    std::set<std::string> file_names, folders;
    for (const Artifact& artifact : component_artifacts.artifacts) {
        auto planned = plan_artifact(artifact, source_dir, component, file_names, folders);
        if (!planned) {
            return planned.error();
        }
        plan.push_back(std::move(*planned));
    }
    return plan;
}

// One install under way: where it writes, and what undoes it.
struct Installation {
    Installation(const std::string& component, const fs::path& source_dir, const InstallOptions& options,
                 fs::path artifacts, fs::path unarchived)
        : component(component), source_dir(source_dir), options(options), artifacts(std::move(artifacts)),
          unarchived(std::move(unarchived)) {}

    const std::string& component;
    const fs::path& source_dir;
    const InstallOptions& options;
    fs::path artifacts;
    fs::path unarchived;
    Undo undo;
    std::set<fs::path> filled; // directories below artifacts that files were renamed into
};

// A directory of the artifact directory, made in the store (0755) unless there already.
Result<void> make_copied_directory(Installation& install, const fs::path& target, bool exists,
                                   const struct stat& existing) {
    if (exists && S_ISDIR(existing.st_mode)) {
        return {};
    }
    if (exists) {
        if (auto moved = move_aside(target, install.undo); !moved) {
            return moved;
        }
    }
    if (::mkdir(target.c_str(), 0755) != 0) {
        return file::path_error("cannot create", target, errno);
    }
    install.undo.add([target] {
        std::error_code ignored;
        fs::remove_all(target, ignored);
    });
    if (::chmod(target.c_str(), 0755) != 0) { // whatever the umask
        return file::path_error("cannot chmod", target, errno);
    }
    install.filled.insert(target.parent_path());
    return {};
}

// A file of the artifact directory, copied into the store unless it holds the same content.
Result<void> copy_directory_file(Installation& install, const DirectoryEntry& entry, const fs::path& target,
                                 bool exists, const struct stat& existing) {
    fs::path source = install.source_dir / entry.relative;
    // Opened again without following links: the tree may have changed since the scan.
    auto in = open_regular_beneath(install.source_dir, entry.relative);
    if (!in) {
        return make_error(in.error().code, install.component + ": " + in.error().message);
    }
    struct stat info {};
    if (::fstat(in->get(), &info) != 0) {
        return file::path_error("cannot stat", source, errno);
    }
    mode_t mode = directory_file_mode(info.st_mode);
    std::string digest;
    auto temporary = copy_to_temporary(source, target.parent_path(), target.filename().string(), mode,
                                       install.options.owner, &digest, in->get());
    if (!temporary) {
        return temporary.error();
    }
    install.undo.add([path = *temporary] { ::unlink(path.c_str()); });
    if (exists && S_ISREG(existing.st_mode)) {
        auto stored = sha256_base64(target);
        if (stored && *stored == digest) { // the same content: the stored copy is kept
            ::unlink(temporary->c_str());
            auto corrected = correct_attributes(target, existing, mode, install.options.owner, install.undo);
            if (!corrected) {
                return corrected.error();
            }
            return {};
        }
    }
    if (auto replaced = replace_file(*temporary, target, exists, install.undo); !replaced) {
        return replaced.error();
    }
    install.filled.insert(target.parent_path());
    return {};
}

// The rest of the artifact directory, as the Greengrass CLI copies it.
Result<void> copy_artifact_directory(Installation& install, const std::vector<DirectoryEntry>& entries) {
    for (const DirectoryEntry& entry : entries) {
        fs::path target = install.artifacts / entry.relative;
        struct stat existing {};
        bool exists = ::lstat(target.c_str(), &existing) == 0;
        auto copied = entry.directory ? make_copied_directory(install, target, exists, existing)
                                      : copy_directory_file(install, entry, target, exists, existing);
        if (!copied) {
            return copied;
        }
    }
    return {};
}

// A listed artifact into the store as `target`: the stored copy kept when it is the same
// (by digest, or by content when the recipe gives none) with its attributes corrected,
// else copied and its digest checked. True when the stored copy is kept unchanged.
Result<bool> store_artifact(Installation& install, const Planned& item, const fs::path& target) {
    const Artifact& artifact = *item.artifact;
    struct stat existing {};
    bool exists = ::lstat(target.c_str(), &existing) == 0;
    bool keep = false;
    if (exists && S_ISREG(existing.st_mode)) {
        if (!artifact.digest.empty()) {
            auto digest = sha256_base64(target);
            keep = digest && strip_padding(*digest) == strip_padding(artifact.digest);
        } else {
            keep = same_content(target, item.source);
        }
    }
    if (keep) {
        auto corrected = correct_attributes(target, existing, item.mode, install.options.owner, install.undo);
        if (!corrected) {
            return corrected.error();
        }
        return !*corrected;
    }
    std::string digest;
    auto temporary =
        copy_to_temporary(item.source, install.artifacts, item.file_name, item.mode, install.options.owner, &digest);
    if (!temporary) {
        return temporary.error();
    }
    install.undo.add([path = *temporary] { ::unlink(path.c_str()); });
    if (!artifact.digest.empty()) {
        if (auto checked = compare_digest(item.source, artifact, digest); !checked) {
            return make_error(checked.error().code, install.component + ": " + checked.error().message);
        }
    }
    if (auto replaced = replace_file(*temporary, target, exists, install.undo); !replaced) {
        return replaced.error();
    }
    return false;
}

// A ZIP artifact (`archive`, in the store) extracted into its folder.
Result<void> unarchive_artifact(Installation& install, const Planned& item, const fs::path& archive,
                                bool archive_unchanged) {
    std::error_code error;
    fs::path folder = install.unarchived / item.folder;
    bool folder_exists = fs::symlink_status(folder, error).type() != fs::file_type::not_found;
    // Installed before from the same archive (extraction is all-or-nothing) with the
    // same permissions: kept. Otherwise extracted again, the old folder moved aside.
    if (archive_unchanged && folder_exists && fs::is_directory(fs::symlink_status(folder, error))) {
        return {};
    }
    if (folder_exists) {
        if (auto moved = move_aside(folder, install.undo); !moved) {
            return moved;
        }
    }
    if (auto made = make_directories(install.unarchived, install.undo); !made) {
        return made;
    }
    // Files get the artifact's read bits, and x for whoever may read them when the
    // archive marked them executable.
    mode_t readers = item.mode & 0444;
    auto file_mode = [&](mode_t archived) -> mode_t { return item.mode | ((archived & 0111) ? readers >> 2 : 0); };
    auto extracted = extract_zip(archive, folder, install.options.zip_limits, file_mode);
    if (!extracted) {
        return make_error(extracted.error().code, install.component + ": " + extracted.error().message);
    }
    install.undo.add([folder] {
        std::error_code ignored;
        fs::remove_all(folder, ignored);
    });
    if (install.options.owner) {
        if (auto given = give_tree(folder, *install.options.owner); !given) {
            return given;
        }
    }
    return {};
}

// The directories files were renamed into, and the artifact directory, synced.
Result<void> sync_store(const Installation& install) {
    for (const fs::path& directory : install.filled) {
        if (directory == install.artifacts) continue;
        if (auto synced = file::sync_directory(directory.string()); !synced) {
            return synced;
        }
    }
    return file::sync_directory(install.artifacts.string());
}

} // namespace

Result<void> install_artifacts(const StoreLayout& layout, const ComponentArtifacts& component_artifacts,
                               const fs::path& source_dir, const InstallOptions& options) {
    auto version = checked_entry(component_artifacts.name, component_artifacts.version);
    if (!version) {
        return version.error();
    }
    const std::string& name = component_artifacts.name;
    const std::string component = name + "-" + *version;
    // Everything checked before the store is touched.
    auto plan = plan_artifacts(component_artifacts, source_dir, component);
    if (!plan) {
        return plan.error();
    }
    auto copied = scan_artifact_directory(source_dir, component_artifacts.artifacts);
    if (!copied) {
        return make_error(copied.error().code, component + ": " + copied.error().message);
    }

    Installation install(component, source_dir, options, layout.artifacts_dir(name, *version),
                         layout.unarchived_dir(name, *version));
    if (auto made = make_directories(install.artifacts, install.undo); !made) {
        return made;
    }
    // The rest of the artifact directory, as the Greengrass CLI copies it; then the listed
    // artifacts.
    if (auto done = copy_artifact_directory(install, *copied); !done) {
        return done;
    }
    for (const Planned& item : *plan) {
        fs::path target = install.artifacts / item.file_name;
        auto unchanged = store_artifact(install, item, target);
        if (!unchanged) {
            return unchanged.error();
        }
        if (item.unarchive) {
            if (auto unarchived = unarchive_artifact(install, item, target, *unchanged); !unarchived) {
                return unarchived;
            }
        }
    }
    if (auto synced = sync_store(install); !synced) {
        return synced;
    }
    install.undo.commit();
    return {};
}

} // namespace ggl::store
