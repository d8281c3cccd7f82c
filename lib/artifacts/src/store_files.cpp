// Files into the component store: copied to a hidden temporary while hashed, renamed into place, with an undo log.
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

namespace ggl::store {

namespace files {

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

} // namespace

// Copies `source` to a new temporary file in `directory` (named after `final_name`,
// hidden), with `mode`, synced; returns its path, and the base64 SHA-256 of what was
// written when `digest` is given. `source_fd`, when given, is `source` already opened
// (and checked to be a regular file), read from where it stands.
Result<fs::path> copy_to_temporary(const fs::path& source, const fs::path& directory, const std::string& final_name,
                                   mode_t mode, const std::optional<FileOwner>& owner, std::string* digest,
                                   int source_fd) {
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
        fs::path aside = path.parent_path() / ("." + path.filename().string() + ".old-" + std::to_string(::getpid()) +
                                               "-" + std::to_string(attempt));
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
            ::chmod(target.c_str(), old); // chown may have cleared bits
        });
        if (::chmod(target.c_str(), mode) != 0) {
            return file::path_error("cannot chmod", target, errno);
        }
    }
    return changed;
}

} // namespace files

using namespace files;

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

} // namespace ggl::store
