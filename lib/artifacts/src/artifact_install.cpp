// Artifacts into the component store: copied while hashed, digests checked, ZIPs unarchived, undone on failure.
#include "ggl/artifact_install.hpp"

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

namespace {


// SHA-256 over a stream of chunks, finished as base64 (the form of recipes' Digest).
class DigestStream {
public:
    void update(const void* data, size_t size) { hash_.update(data, size); }
    std::string finish_base64() {
        auto digest = hash_.finish();
        return base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
    }

private:
    Sha256 hash_;
};

Result<size_t> read_some(int fd, unsigned char* buffer, size_t size, const fs::path& path) {
    while (true) {
        ssize_t got = ::read(fd, buffer, size);
        if (got >= 0) {
            return static_cast<size_t>(got);
        }
        if (errno != EINTR) {
            return file::path_error("cannot read", path, errno);
        }
    }
}

Result<void> write_all(int fd, const unsigned char* data, size_t size, const fs::path& path) {
    while (size > 0) {
        ssize_t put = ::write(fd, data, size);
        if (put < 0) {
            if (errno == EINTR) continue;
            return file::path_error("cannot write", path, errno);
        }
        data += put;
        size -= static_cast<size_t>(put);
    }
    return {};
}

Result<UniqueFd> open_regular(const fs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return file::path_error("cannot open", path, errno);
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        return file::path_error("cannot stat", path, errno);
    }
    if (!S_ISREG(info.st_mode)) {
        return make_error(ErrorCode::Invalid, path.string() + " is not a regular file");
    }
    return fd;
}

// Copies `source` to a new temporary file in `directory` (named after `final_name`,
// hidden), with `mode`, synced; returns its path, and the base64 SHA-256 of what was
// written when `digest` is given. `source_fd`, when given, is `source` already opened
// (and checked to be a regular file), read from where it stands.
Result<fs::path> copy_to_temporary(const fs::path& source, const fs::path& directory, const std::string& final_name,
                                   mode_t mode, const std::optional<FileOwner>& owner, std::string* digest,
                                   int source_fd = -1) {
    Result<UniqueFd> in = source_fd >= 0 ? Result<UniqueFd>(UniqueFd(::dup(source_fd))) : open_regular(source);
    if (!in) {
        return in.error();
    }
    if (!*in) {
        return file::path_error("cannot duplicate the descriptor of", source, errno);
    }
    std::string pattern = (directory / ("." + final_name + ".tmp-XXXXXX")).string();
    UniqueFd out(::mkostemp(pattern.data(), O_CLOEXEC));
    if (!out) {
        return file::path_error("cannot create a temporary file in", directory, errno);
    }
    fs::path temporary = pattern;
    auto fail = [&](Error error) -> Result<fs::path> {
        ::unlink(temporary.c_str());
        return error;
    };
    DigestStream hash;
    std::vector<unsigned char> buffer(64 * 1024);
    while (true) {
        auto got = read_some(in->get(), buffer.data(), buffer.size(), source);
        if (!got) return fail(got.error());
        if (*got == 0) break;
        if (digest) hash.update(buffer.data(), *got);
        if (auto put = write_all(out.get(), buffer.data(), *got, temporary); !put) return fail(put.error());
    }
    if (owner && ::fchown(out.get(), owner->uid, owner->gid) != 0) {
        return fail(file::path_error("cannot change the owner of", temporary, errno));
    }
    if (::fchmod(out.get(), mode) != 0 || ::fsync(out.get()) != 0) {
        return fail(file::path_error("cannot finish", temporary, errno));
    }
    if (digest) {
        *digest = hash.finish_base64();
        if (digest->empty()) return fail(make_error(ErrorCode::Failure, "SHA-256 failed (OpenSSL)"));
    }
    return temporary;
}

bool same_content(const fs::path& a, const fs::path& b) {
    auto fa = open_regular(a);
    auto fb = open_regular(b);
    if (!fa || !fb) return false;
    std::vector<unsigned char> ba(64 * 1024), bb(64 * 1024);
    while (true) {
        auto ga = read_some(fa->get(), ba.data(), ba.size(), a);
        if (!ga) return false;
        // Fill the same amount from b (reads of regular files may return less).
        size_t filled = 0;
        while (filled < *ga) {
            auto gb = read_some(fb->get(), bb.data() + filled, *ga - filled, b);
            if (!gb || *gb == 0) return false;
            filled += *gb;
        }
        if (*ga == 0) {
            auto gb = read_some(fb->get(), bb.data(), 1, b);
            return gb && *gb == 0;
        }
        if (std::memcmp(ba.data(), bb.data(), *ga) != 0) return false;
    }
}

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
Result<void> make_directories(const fs::path& directory, Undo& undo) {
    std::vector<fs::path> missing;
    std::error_code error;
    for (fs::path p = directory; !p.empty() && !fs::exists(p, error); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
            return file::path_error("cannot create", *it, errno);
        }
        undo.add([path = *it] {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        });
    }
    if (!fs::is_directory(directory, error)) {
        return make_error(ErrorCode::Failure, directory.string() + " is not a directory");
    }
    return {};
}

// Moves `path` aside (to a hidden sibling) so it can be put back on undo; on commit the
// moved copy is deleted.
Result<void> move_aside(const fs::path& path, Undo& undo) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        fs::path aside = path.parent_path() / ("." + path.filename().string() + ".old-" +
                                               std::to_string(::getpid()) + "-" + std::to_string(attempt));
        std::error_code error;
        if (fs::symlink_status(aside, error).type() != fs::file_type::not_found) {
            continue;
        }
        if (::rename(path.c_str(), aside.c_str()) != 0) {
            return file::path_error("cannot move aside", path, errno);
        }
        undo.add([path, aside] { ::rename(aside.c_str(), path.c_str()); });
        undo.on_commit([aside] {
            std::error_code ignored;
            fs::remove_all(aside, ignored);
        });
        return {};
    }
    return make_error(ErrorCode::Failure, "cannot find a free name to move " + path.string() + " aside");
}

// Renames `temporary` to `target`, a file already there (`exists`) moved aside first;
// the undo puts the old file back.
Result<void> replace_file(const fs::path& temporary, const fs::path& target, bool exists, Undo& undo) {
    if (exists) {
        if (auto moved = move_aside(target, undo); !moved) {
            return moved;
        }
    }
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
        return file::path_error("cannot rename into", target, errno);
    }
    undo.add([target] { ::unlink(target.c_str()); });
    return {};
}

// lchown of a tree; the modes are set again after (chown clears setuid-like bits, and
// the store never sets those, but a mode must not depend on that).
Result<void> give_tree(const fs::path& root, const FileOwner& owner) {
    auto give = [&](const fs::path& path) -> Result<void> {
        struct stat info {};
        if (::lstat(path.c_str(), &info) != 0 || ::lchown(path.c_str(), owner.uid, owner.gid) != 0 ||
            ::chmod(path.c_str(), info.st_mode & 07777) != 0) {
            return file::path_error("cannot change the owner of", path, errno);
        }
        return {};
    };
    if (auto given = give(root); !given) {
        return given;
    }
    std::error_code error;
    for (fs::recursive_directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
        if (auto given = give(it->path()); !given) {
            return given;
        }
    }
    if (error) {
        return make_error(ErrorCode::Failure, "cannot walk " + root.string() + ": " + error.message());
    }
    return {};
}

// A kept store copy given `mode` and, when set, `owner`; both put back on undo. Returns
// whether anything changed.
Result<bool> correct_attributes(const fs::path& target, const struct stat& existing, mode_t mode,
                                const std::optional<FileOwner>& owner, Undo& undo) {
    bool changed = false;
    if ((existing.st_mode & 07777) != mode) {
        changed = true;
        if (::chmod(target.c_str(), mode) != 0) {
            return file::path_error("cannot chmod", target, errno);
        }
        undo.add([target, old = existing.st_mode & 07777] { ::chmod(target.c_str(), old); });
    }
    if (owner && (existing.st_uid != owner->uid || existing.st_gid != owner->gid)) {
        changed = true;
        if (::lchown(target.c_str(), owner->uid, owner->gid) != 0) {
            return file::path_error("cannot change the owner of", target, errno);
        }
        undo.add([target, uid = existing.st_uid, gid = existing.st_gid, old = existing.st_mode & 07777] {
            ::lchown(target.c_str(), uid, gid);
            ::chmod(target.c_str(), old);  // chown may have cleared bits
        });
        if (::chmod(target.c_str(), mode) != 0) {
            return file::path_error("cannot chmod", target, errno);
        }
    }
    return changed;
}

} // namespace

// ---- digests and modes

Result<std::string> sha256_base64(const fs::path& file) {
    auto fd = open_regular(file);
    if (!fd) {
        return fd.error();
    }
    DigestStream hash;
    std::vector<unsigned char> buffer(64 * 1024);
    while (true) {
        auto got = read_some(fd->get(), buffer.data(), buffer.size(), file);
        if (!got) return got.error();
        if (*got == 0) break;
        hash.update(buffer.data(), *got);
    }
    std::string digest = hash.finish_base64();
    if (digest.empty()) {
        return make_error(ErrorCode::Failure, "SHA-256 of " + file.string() + " failed (OpenSSL)");
    }
    return digest;
}

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


Result<void> install_artifacts(const StoreLayout& layout, const ComponentArtifacts& component_artifacts,
                               const fs::path& source_dir, const InstallOptions& options) {
    auto version = checked_entry(component_artifacts.name, component_artifacts.version);
    if (!version) {
        return version.error();
    }
    const std::string& name = component_artifacts.name;
    const std::string component = name + "-" + *version;

    // Everything checked before the store is touched.
    struct Planned {
        const Artifact* artifact;
        std::string file_name;
        fs::path source;
        mode_t mode;
        bool unarchive;
        std::string folder;
    };
    std::vector<Planned> plan;
    std::set<std::string> file_names, folders;
    for (const Artifact& artifact : component_artifacts.artifacts) {
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
            return make_error(ErrorCode::Unsupported,
                              component + ": artifact " + artifact.uri + ": Unarchive \"" + artifact.unarchive +
                                  "\" is not supported (NONE or ZIP)");
        }
        Planned planned{&artifact, *file_name, source_dir / *file_name, *mode, unarchive == "zip", {}};
        if (planned.unarchive) {
            auto folder = unarchive_folder_name(*file_name);
            if (!folder) {
                return make_error(folder.error().code, component + ": " + folder.error().message);
            }
            if (!folders.insert(*folder).second) {
                return make_error(ErrorCode::Invalid,
                                  component + ": two archives unarchive into \"" + *folder + "\"");
            }
            planned.folder = *folder;
        }
        struct stat info {};
        if (::stat(planned.source.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
            return make_error(ErrorCode::Noentry, component + ": artifact " + artifact.uri + " is missing: expected " +
                                                      planned.source.string());
        }
        plan.push_back(std::move(planned));
    }
    auto copied = scan_artifact_directory(source_dir, component_artifacts.artifacts);
    if (!copied) {
        return make_error(copied.error().code, component + ": " + copied.error().message);
    }

    Undo undo;
    fs::path artifacts = layout.artifacts_dir(name, *version);
    fs::path unarchived = layout.unarchived_dir(name, *version);
    if (auto made = make_directories(artifacts, undo); !made) {
        return made;
    }
    // The rest of the artifact directory, as the Greengrass CLI copies it; then the listed
    // artifacts.
    std::set<fs::path> filled;  // directories below artifacts that files were renamed into
    for (const DirectoryEntry& entry : *copied) {
        fs::path target = artifacts / entry.relative;
        struct stat existing {};
        bool exists = ::lstat(target.c_str(), &existing) == 0;
        if (entry.directory) {
            if (exists && S_ISDIR(existing.st_mode)) {
                continue;
            }
            if (exists) {
                if (auto moved = move_aside(target, undo); !moved) {
                    return moved;
                }
            }
            if (::mkdir(target.c_str(), 0755) != 0) {
                return file::path_error("cannot create", target, errno);
            }
            undo.add([target] {
                std::error_code ignored;
                fs::remove_all(target, ignored);
            });
            if (::chmod(target.c_str(), 0755) != 0) {  // whatever the umask
                return file::path_error("cannot chmod", target, errno);
            }
            filled.insert(target.parent_path());
            continue;
        }
        fs::path source = source_dir / entry.relative;
        // Opened again without following links: the tree may have changed since the scan.
        auto in = open_regular_beneath(source_dir, entry.relative);
        if (!in) {
            return make_error(in.error().code, component + ": " + in.error().message);
        }
        struct stat info {};
        if (::fstat(in->get(), &info) != 0) {
            return file::path_error("cannot stat", source, errno);
        }
        mode_t mode = directory_file_mode(info.st_mode);
        std::string digest;
        auto temporary = copy_to_temporary(source, target.parent_path(), target.filename().string(), mode,
                                           options.owner, &digest, in->get());
        if (!temporary) {
            return temporary.error();
        }
        undo.add([path = *temporary] { ::unlink(path.c_str()); });
        if (exists && S_ISREG(existing.st_mode)) {
            auto stored = sha256_base64(target);
            if (stored && *stored == digest) {  // the same content: the stored copy is kept
                ::unlink(temporary->c_str());
                auto corrected = correct_attributes(target, existing, mode, options.owner, undo);
                if (!corrected) {
                    return corrected.error();
                }
                continue;
            }
        }
        if (auto replaced = replace_file(*temporary, target, exists, undo); !replaced) {
            return replaced.error();
        }
        filled.insert(target.parent_path());
    }
    for (const Planned& item : plan) {
        const Artifact& artifact = *item.artifact;
        fs::path target = artifacts / item.file_name;
        std::error_code error;
        struct stat existing {};
        bool exists = ::lstat(target.c_str(), &existing) == 0;
        bool keep = false, attributes_changed = false;
        if (exists && S_ISREG(existing.st_mode)) {
            if (!artifact.digest.empty()) {
                auto digest = sha256_base64(target);
                keep = digest && strip_padding(*digest) == strip_padding(artifact.digest);
            } else {
                keep = same_content(target, item.source);
            }
        }
        if (keep) {
            auto corrected = correct_attributes(target, existing, item.mode, options.owner, undo);
            if (!corrected) {
                return corrected.error();
            }
            attributes_changed = *corrected;
        } else {
            std::string digest;
            auto temporary =
                copy_to_temporary(item.source, artifacts, item.file_name, item.mode, options.owner, &digest);
            if (!temporary) {
                return temporary.error();
            }
            undo.add([path = *temporary] { ::unlink(path.c_str()); });
            if (!artifact.digest.empty()) {
                if (auto checked = compare_digest(item.source, artifact, digest); !checked) {
                    return make_error(checked.error().code, component + ": " + checked.error().message);
                }
            }
            if (auto replaced = replace_file(*temporary, target, exists, undo); !replaced) {
                return replaced.error();
            }
        }

        if (item.unarchive) {
            fs::path folder = unarchived / item.folder;
            bool folder_exists = fs::symlink_status(folder, error).type() != fs::file_type::not_found;
            // Installed before from the same archive (extraction is all-or-nothing) with the
            // same permissions: kept. Otherwise extracted again, the old folder moved aside.
            if (keep && !attributes_changed && folder_exists && fs::is_directory(fs::symlink_status(folder, error))) {
                continue;
            }
            if (folder_exists) {
                if (auto moved = move_aside(folder, undo); !moved) {
                    return moved;
                }
            }
            if (auto made = make_directories(unarchived, undo); !made) {
                return made;
            }
            // Files get the artifact's read bits, and x for whoever may read them when the
            // archive marked them executable.
            mode_t readers = item.mode & 0444;
            auto file_mode = [&](mode_t archived) -> mode_t {
                return item.mode | ((archived & 0111) ? readers >> 2 : 0);
            };
            auto extracted = extract_zip(target, folder, options.zip_limits, file_mode);
            if (!extracted) {
                return make_error(extracted.error().code, component + ": " + extracted.error().message);
            }
            undo.add([folder] {
                std::error_code ignored;
                fs::remove_all(folder, ignored);
            });
            if (options.owner) {
                if (auto given = give_tree(folder, *options.owner); !given) {
                    return given;
                }
            }
        }
    }
    for (const fs::path& directory : filled) {
        if (directory == artifacts) continue;
        if (auto synced = file::sync_directory(directory.string()); !synced) {
            return synced;
        }
    }
    if (auto synced = file::sync_directory(artifacts.string()); !synced) {
        return synced;
    }
    undo.commit();
    return {};
}

} // namespace ggl::store
