// Configuration snapshots: backup (sqlite online backup, fsynced, renamed into place) and
// restore (one transaction, reporting the subtrees that changed).
#include "ggl/config_store.hpp"

#include "config_sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ggl::config {
namespace {

bool valid_backup_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name.front() == '.') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

Result<void> fsync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        return make_error(ErrorCode::Failure, path + ": " + std::strerror(errno));
    }
    int synced = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (synced != 0) {
        return make_error(ErrorCode::Failure, path + ": fsync: " + std::strerror(err));
    }
    return {};
}

// Leaf-level differences between two trees, as the subtrees that changed.
void diff_trees(const Object& before, const Object& after, KeyPath& path, std::vector<Change>& changes) {
    const Map* old_map = before.if_map();
    const Map* new_map = after.if_map();
    if (!old_map || !new_map) {
        if (!(before == after)) {
            changes.push_back({path, false});
        }
        return;
    }
    auto find = [](const Map& map, std::string_view key) -> const Object* {
        for (const auto& [name, value] : map) {
            if (key_equal(name, key)) {
                return &value;
            }
        }
        return nullptr;
    };
    for (const auto& [name, value] : *old_map) {
        if (!find(*new_map, name)) {
            path.push_back(name);
            changes.push_back({path, true});
            path.pop_back();
        }
    }
    for (const auto& [name, value] : *new_map) {
        path.push_back(name);
        if (const Object* old_value = find(*old_map, name)) {
            diff_trees(*old_value, value, path, changes);
        } else {
            changes.push_back({path, false});
        }
        path.pop_back();
    }
}

} // namespace

std::string ConfigStore::backup_dir() const { return path_ + ".backups"; }

Result<void> ConfigStore::backup(std::string_view name) {
    if (!valid_backup_name(name)) {
        return make_error(ErrorCode::Invalid, "backup name '" + std::string(name) +
                                                  "' must be letters, digits, '_', '-' or '.', not starting with '.'");
    }
    std::string dir = backup_dir();
    if (auto made = make_directories(dir); !made) {
        return made;
    }
    std::string final_path = dir + "/" + std::string(name) + ".db";
    std::string temp_path = final_path + ".tmp";
    ::unlink(temp_path.c_str());
    int fd = ::open(temp_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return make_error(ErrorCode::Failure, temp_path + ": cannot create: " + std::strerror(errno));
    }
    ::close(fd);
    sqlite3* target = nullptr;
    if (sqlite3_open_v2(temp_path.c_str(), &target, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        std::string message = temp_path + ": " + sqlite3_errmsg(target);
        sqlite3_close(target);
        ::unlink(temp_path.c_str());
        return make_error(ErrorCode::Failure, message);
    }
    sqlite3_backup* copy = sqlite3_backup_init(target, "main", db_, "main");
    int stepped = copy ? sqlite3_backup_step(copy, -1) : sqlite3_errcode(target);
    if (copy) {
        sqlite3_backup_finish(copy);
    }
    std::string detail = sqlite3_errmsg(target);
    sqlite3_close(target);
    if (stepped != SQLITE_DONE) {
        ::unlink(temp_path.c_str());
        return make_error((stepped & 0xff) == SQLITE_FULL ? ErrorCode::Nomem : ErrorCode::Failure,
                          final_path + ": backup failed: " + (copy ? sqlite3_errstr(stepped) : detail));
    }
    // The snapshot must be whole on disk before it replaces an older one of that name.
    if (auto synced = fsync_path(temp_path, O_RDONLY); !synced) {
        ::unlink(temp_path.c_str());
        return synced;
    }
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
        int err = errno;
        ::unlink(temp_path.c_str());
        return make_error(ErrorCode::Failure, final_path + ": " + std::strerror(err));
    }
    return fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

Result<void> ConfigStore::restore(std::string_view name, std::vector<Change>* changes) {
    if (!valid_backup_name(name)) {
        return make_error(ErrorCode::Invalid, "backup name '" + std::string(name) +
                                                  "' must be letters, digits, '_', '-' or '.', not starting with '.'");
    }
    std::string snapshot = backup_dir() + "/" + std::string(name) + ".db";
    struct stat info {};
    if (::stat(snapshot.c_str(), &info) != 0) {
        return make_error(ErrorCode::Noentry, "no backup named '" + std::string(name) + "' (" + snapshot + ")");
    }
    if (in_explicit_transaction_) {
        return make_error(ErrorCode::Invalid, "restore cannot run inside another transaction");
    }
    auto before = read({});
    if (!before) {
        return std::move(before).error();
    }
    {
        sqlite3_stmt* attach = nullptr;
        sqlite3_prepare_v2(db_, "ATTACH DATABASE ?1 AS snapshot", -1, &attach, nullptr);
        bind_text(attach, 1, snapshot);
        int stepped = sqlite3_step(attach);
        sqlite3_finalize(attach);
        if (stepped != SQLITE_DONE) {
            return sqlite_error("opening backup " + snapshot);
        }
    }
    auto replace = [this, &snapshot]() -> Result<void> {
        sqlite3_stmt* check = nullptr;
        sqlite3_prepare_v2(db_, "SELECT max(version) FROM snapshot.version", -1, &check, nullptr);
        int version = check && sqlite3_step(check) == SQLITE_ROW ? sqlite3_column_int(check, 0) : -1;
        sqlite3_finalize(check);
        if (version != kSchemaVersion) {
            return make_error(ErrorCode::Unsupported, snapshot + ": not a configuration backup of schema version " +
                                                          std::to_string(kSchemaVersion));
        }
        if (auto begun = begin(); !begun) {
            return begun;
        }
        auto copied = exec("DELETE FROM vals; DELETE FROM relations; DELETE FROM keys;"
                           "INSERT INTO keys SELECT id, name FROM snapshot.keys;"
                           "INSERT INTO relations SELECT child, parent, name FROM snapshot.relations;"
                           "INSERT INTO vals SELECT key, value, ts FROM snapshot.vals;");
        if (!copied) {
            rollback();
            return copied;
        }
        return commit();
    };
    auto replaced = replace();
    (void)exec("DETACH DATABASE snapshot");
    if (!replaced) {
        return replaced;
    }
    auto after = read({});
    if (!after) {
        return std::move(after).error();
    }
    if (changes) {
        KeyPath path;
        diff_trees(*before, *after, path, *changes);
    }
    return {};
}

} // namespace ggl::config
