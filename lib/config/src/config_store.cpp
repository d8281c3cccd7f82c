// The configuration store's sqlite connection: opening the database, its errors, and
// transactions (schema: config_schema.cpp; the tree: config_tree_{read,write}.cpp;
// snapshots: config_snapshot.cpp).
#include "ggl/config_store.hpp"

#include "config_sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ggl::config {

namespace {

// The statements use UPSERT (3.24); the package's Depends come from the symbols the
// library exports (dpkg-shlibdeps), which cannot tell.
Result<void> check_sqlite_version(const std::string& path) {
    if (sqlite3_libversion_number() < 3024000) {
        return make_error(ErrorCode::Unsupported, path + ": libsqlite3 " + sqlite3_libversion() +
                                                      " is too old; the configuration store needs 3.24 or later");
    }
    return {};
}

// A missing database file is created (with its directories) unless options say not to.
Result<void> create_database_file(const std::string& path, const OpenOptions& options) {
    struct stat info {};
    bool exists = ::stat(path.c_str(), &info) == 0;
    if (!exists) {
        if (!options.create) {
            return make_error(ErrorCode::Noentry, path + ": no such configuration database");
        }
        if (auto made = make_directories(file::directory_of(path)); !made) {
            return std::move(made).error();
        }
        // Created here, mode 0640 whatever the umask, so that the file (and the -wal and
        // -shm files, which sqlite gives the database's mode) is written by its owner
        // (ggconfigd's user) only and readable by its group (ggcore: `ggl config --db`
        // for inspection, backups), never by others: it names key and certificate paths.
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd < 0 && errno != EEXIST) {
            return make_error(ErrorCode::Unauthorized, path + ": cannot create: " + std::strerror(errno));
        }
        if (fd >= 0) {
            (void)::fchmod(fd, 0640);
            ::close(fd);
        }
    } else if (!S_ISREG(info.st_mode)) {
        return make_error(ErrorCode::Failure, path + ": not a regular file");
    }
    return {};
}

Error sqlite_error_of(sqlite3* db, const std::string& path, std::string_view what) {
    int code = sqlite3_extended_errcode(db);
    std::string message = path + ": " + std::string(what) + ": " + sqlite3_errmsg(db);
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return make_error(ErrorCode::Busy, message + " (another process holds the database)");
    case SQLITE_FULL:
        return make_error(ErrorCode::Nomem, message + " (no space left on the device that holds it: nothing of "
                                                      "this request was written, and what was stored before is kept)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return make_error(ErrorCode::Failure, message + " (the file is not a usable configuration database)");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN: return make_error(ErrorCode::Unauthorized, message);
    default: return make_error(ErrorCode::Failure, message);
    }
}

// PRAGMA quick_check: a corrupt database is reported, naming it, and left untouched.
Result<void> check_integrity(sqlite3* db, const std::string& path) {
    sqlite3_stmt* check = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &check, nullptr) != SQLITE_OK) {
        return sqlite_error_of(db, path, "checking integrity");
    }
    std::string verdict = sqlite3_step(check) == SQLITE_ROW ? column_text(check, 0) : "";
    int stepped = sqlite3_errcode(db);
    sqlite3_finalize(check);
    if (verdict != "ok") {
        return make_error(ErrorCode::Failure, path + ": the database is corrupt (" +
                                                  (verdict.empty() ? std::string(sqlite3_errstr(stepped)) : verdict) +
                                                  "); left untouched: restore a backup or move it away");
    }
    return {};
}

} // namespace

ConfigStore::ConfigStore(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)), statements_(std::make_unique<Statements>()) {}

ConfigStore::~ConfigStore() {
    statements_.reset();
    sqlite3_close_v2(db_);
}

Error ConfigStore::sqlite_error(std::string_view what) const { return sqlite_error_of(db_, path_, what); }

Result<void> ConfigStore::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        sqlite3_free(message);
        return sqlite_error("executing schema statement");
    }
    return {};
}

Result<std::unique_ptr<ConfigStore>> ConfigStore::open(const std::string& path, OpenOptions options) {
    if (auto supported = check_sqlite_version(path); !supported) {
        return std::move(supported).error();
    }
    if (auto created = create_database_file(path, options); !created) {
        return std::move(created).error();
    }

    // No bulk page-cache allocation per connection: pages are allocated as they are
    // used (reads come through the memory map and need few). Only possible before
    // sqlite initialises; a program that used sqlite first keeps its own setting.
    static const bool configured [[maybe_unused]] = sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0) == SQLITE_OK;
    sqlite3* raw = nullptr;
    int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<ConfigStore> store(new ConfigStore(raw, path));
    if (opened != SQLITE_OK) {
        return store->sqlite_error("cannot open");
    }
    // A small lookaside (sqlite's default is 1200 slots, 120 KiB per connection, all
    // touched at open): requests here allocate little at a time.
    sqlite3_db_config(raw, SQLITE_DBCONFIG_LOOKASIDE, nullptr, 128, 64);
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, options.busy_timeout_ms);

    // Reading first: a file that is not a database fails here, before anything
    // (journal mode, schema) would write to it.
    if (auto readable = store->exec("SELECT count(*) FROM sqlite_master"); !readable) {
        return std::move(readable).error();
    }
    if (options.verify_integrity) {
        if (auto intact = check_integrity(raw, path); !intact) {
            return std::move(intact).error();
        }
    }
    // WAL: readers never block the writer. synchronous=FULL: the WAL is fsynced at each
    // commit, so an acknowledged write survives power loss (NORMAL would survive only a
    // crash of the process, and lose the last commits on power loss).
    // Reads come through a memory map of the file: no copy per page and no private page
    // cache to fill, so a large store costs page-cache pages shared with the kernel, and
    // lookups stay at memory speed. The private cache then holds only what a write changes.
    if (auto wal = store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                               "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-512;");
        !wal) {
        return std::move(wal).error();
    }
    if (options.keep_wal_file) {
        int keep = 1;
        sqlite3_file_control(raw, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
    }
    if (auto schema = store->prepare_schema(); !schema) {
        return std::move(schema).error();
    }
    return store;
}

Result<void> ConfigStore::begin() {
    if (!execute(statements_->begin.get())) {
        return sqlite_error("starting a transaction");
    }
    in_explicit_transaction_ = true;
    return {};
}

Result<void> ConfigStore::commit() {
    in_explicit_transaction_ = false;
    if (!execute(statements_->commit.get())) {
        Error error = sqlite_error("committing");
        rollback();
        return error;
    }
    return {};
}

bool ConfigStore::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void ConfigStore::rollback() {
    in_explicit_transaction_ = false;
    if (sqlite3_get_autocommit(db_)) {
        return; // sqlite already rolled back (as it does on SQLITE_FULL)
    }
    sqlite3_stmt* stmt = statements_->rollback.get();
    Reset reset{stmt};
    sqlite3_step(stmt);
}

Result<void> ConfigStore::begin_read() {
    if (in_transaction()) {
        return {};
    }
    if (!execute(statements_->begin_read.get())) {
        return sqlite_error("starting a read");
    }
    return {};
}

Result<void> ConfigStore::checkpoint() {
    if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) != SQLITE_OK) {
        return sqlite_error("checkpointing");
    }
    return {};
}

void ConfigStore::release_memory() { sqlite3_db_release_memory(db_); }

void ConfigStore::end_read() {
    if (!in_transaction() || in_explicit_transaction_) {
        return;
    }
    sqlite3_stmt* commit = statements_->commit.get();
    Reset reset{commit};
    sqlite3_step(commit);
}

} // namespace ggl::config
