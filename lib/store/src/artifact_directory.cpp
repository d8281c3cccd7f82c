// A local deployment's artifact directory: scanned without following links, files opened beneath it.
#include "ggl/artifact_directory.hpp"

#include "ggl/component_store.hpp"
#include "ggl/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <string>

namespace ggl::store {

namespace fs = std::filesystem;

namespace {

Error symbolic_link_error(const fs::path& path) {
    return make_error(ErrorCode::Invalid,
                      path.string() + " is a symbolic link: an artifact directory is copied without following links; "
                                      "put the file or directory itself there");
}

Error not_copyable_error(const fs::path& path) {
    return make_error(ErrorCode::Invalid, path.string() +
                                              " is neither a regular file nor a directory: an artifact directory "
                                              "holds only those");
}

Result<UniqueFd> open_file_beneath(const fs::path& root, const fs::path& relative) {
    UniqueFd current(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!current) {
        return file::path_error("cannot open", root, errno);
    }
    fs::path walked = root;
    std::vector<fs::path> segments(relative.begin(), relative.end());
    for (size_t i = 0; i < segments.size(); ++i) {
        bool last = i + 1 == segments.size();
        walked /= segments[i];
        int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? O_NONBLOCK : O_DIRECTORY);
        UniqueFd next(::openat(current.get(), segments[i].c_str(), flags));
        if (!next) {
            int error = errno;
            struct stat info {};
            if (error == ELOOP || (::fstatat(current.get(), segments[i].c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
                                   S_ISLNK(info.st_mode))) {
                return symbolic_link_error(walked);
            }
            if (error == ENOTDIR) {
                return not_copyable_error(walked);
            }
            return file::path_error("cannot open", walked, error);
        }
        current = std::move(next);
    }
    return current;
}

// The entries below the open directory `directory` (`relative` below `root`), appended
// to `out` depth first, parents before their contents, by name. `skip`: names left out.
Result<void> scan_below(int directory, const fs::path& root, const fs::path& relative,
                        const std::set<std::string>& skip, std::vector<DirectoryEntry>& out) {
    std::vector<std::string> names;
    {
        int listing_fd = ::dup(directory);
        DIR* listing = listing_fd < 0 ? nullptr : ::fdopendir(listing_fd);
        if (listing == nullptr) {
            int error = errno;
            if (listing_fd >= 0) ::close(listing_fd);
            return file::path_error("cannot list", root / relative, error);
        }
        int error = 0;
        while (true) {
            errno = 0;
            const struct dirent* entry = ::readdir(listing);
            if (entry == nullptr) {
                error = errno;
                break;
            }
            std::string name = entry->d_name;
            if (name != "." && name != ".." && !skip.count(name)) names.push_back(std::move(name));
        }
        ::closedir(listing);
        if (error != 0) {
            return file::path_error("cannot list", root / relative, error);
        }
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        fs::path path = relative / name;
        struct stat info {};
        if (::fstatat(directory, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
            return file::path_error("cannot stat", root / path, errno);
        }
        if (S_ISLNK(info.st_mode)) {
            return symbolic_link_error(root / path);
        }
        if (S_ISREG(info.st_mode)) {
            out.push_back(DirectoryEntry{path, false, info.st_mode & 07777});
            continue;
        }
        if (!S_ISDIR(info.st_mode)) {
            return not_copyable_error(root / path);
        }
        out.push_back(DirectoryEntry{path, true, info.st_mode & 07777});
        UniqueFd child(::openat(directory, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child) {
            return file::path_error("cannot open", root / path, errno);
        }
        if (auto scanned = scan_below(child.get(), root, path, {}, out); !scanned) {
            return scanned;
        }
    }
    return {};
}

} // namespace

Result<std::vector<DirectoryEntry>> scan_artifact_directory(const fs::path& source_dir,
                                                            const std::vector<Artifact>& listed_artifacts) {
    std::vector<DirectoryEntry> entries;
    if (source_dir.empty()) {
        return entries;
    }
    struct stat info {};
    if (::stat(source_dir.c_str(), &info) != 0) {
        if (errno == ENOENT) {
            return entries;
        }
        return file::path_error("cannot stat", source_dir, errno);
    }
    if (!S_ISDIR(info.st_mode)) {
        return make_error(ErrorCode::Invalid, "artifact directory " + source_dir.string() + " is not a directory");
    }
    std::set<std::string> listed;
    for (const Artifact& artifact : listed_artifacts) {
        if (auto name = artifact_file_name(artifact)) {
            listed.insert(*name);
        }
    }
    UniqueFd directory(::open(source_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!directory) {
        return file::path_error("cannot open", source_dir, errno);
    }
    if (auto scanned = scan_below(directory.get(), source_dir, {}, listed, entries); !scanned) {
        return scanned.error();
    }
    return entries;
}

Result<UniqueFd> open_regular_beneath(const fs::path& root, const fs::path& relative) {
    auto fd = open_file_beneath(root, relative);
    if (!fd) {
        return fd;
    }
    struct stat info {};
    if (::fstat(fd->get(), &info) != 0) {
        return file::path_error("cannot stat", root / relative, errno);
    }
    if (!S_ISREG(info.st_mode)) {
        return not_copyable_error(root / relative);
    }
    return fd;
}

} // namespace ggl::store
