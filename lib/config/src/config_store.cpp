// The configuration tree in sqlite: schema, merge rules, transactions and migrations.
#include "ggl/config_store.hpp"

#include "ggl/json.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

namespace ggl::config {
namespace {

// The tree's root is the virtual key 0: top-level keys have parent 0, and the root has
// no key row of its own (so it can be neither a value nor deleted).
constexpr int64_t kRootId = 0;

// Schema version 2. The relation table repeats the key's name (NOCASE) so that
// "child of P named N" is one lookup in a unique index: without it, finding a child
// means scanning every child of P, and a wide map (thousands of components, or
// 100,000 keys) would make every lookup linear.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS version(version INTEGER PRIMARY KEY NOT NULL);
CREATE TABLE IF NOT EXISTS keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS relations(
    child INTEGER PRIMARY KEY NOT NULL,
    parent INTEGER NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE);
CREATE UNIQUE INDEX IF NOT EXISTS relations_by_parent_name ON relations(parent, name);
CREATE INDEX IF NOT EXISTS relations_by_parent ON relations(parent);
CREATE TABLE IF NOT EXISTS vals(
    key INTEGER PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    ts INTEGER NOT NULL);
)sql";

// Version 1 (nucleus lite's layout) into version 2, keeping ids, spelling and timestamps.
constexpr const char* kMigrateV1 = R"sql(
INSERT INTO keys(id, name) SELECT keyid, keyvalue FROM keyTable;
INSERT INTO relations(child, parent, name)
    SELECT k.keyid, COALESCE(r.parentid, 0), k.keyvalue
    FROM keyTable k LEFT JOIN relationTable r ON r.keyid = k.keyid;
INSERT INTO vals(key, value, ts) SELECT keyid, value, timeStamp FROM valueTable;
DROP TABLE valueTable;
DROP TABLE relationTable;
DROP TABLE keyTable;
UPDATE version SET version = 2;
)sql";

bool valid_backup_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name.front() == '.') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-' || c == '.';
    });
}

Result<void> make_directories(const std::string& dir) {
    if (dir.empty()) {
        return {};
    }
    struct stat info{};
    if (::stat(dir.c_str(), &info) == 0) {
        return S_ISDIR(info.st_mode) ? Result<void>{} : make_error(ErrorCode::Failure, dir + ": not a directory");
    }
    size_t slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
        if (auto parent = make_directories(dir.substr(0, slash)); !parent) {
            return parent;
        }
    }
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
        return make_error(ErrorCode::Failure, dir + ": cannot create directory: " + std::strerror(errno));
    }
    return {};
}

std::string directory_of(const std::string& path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
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

// Keeps statement use exception-free and reset on every path.
class Stmt {
public:
    Stmt() = default;
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    int prepare(sqlite3* db, const char* sql) { return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr); }
    sqlite3_stmt* get() const { return stmt_; }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

struct Reset {
    sqlite3_stmt* stmt;
    ~Reset() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

// A stored value back into an Object. The values a read returns most (short strings
// without escapes, integers, booleans, null) are decoded here without a JSON parser.
Result<Object> decode_value(std::string_view json) {
    size_t size = json.size();
    if (size >= 2 && json.front() == '"' && json.back() == '"') {
        std::string_view body = json.substr(1, size - 2);
        bool plain = std::none_of(body.begin(), body.end(), [](char c) {
            return c == '\\' || c == '"' || static_cast<unsigned char>(c) < 0x20;
        });
        if (plain) {
            return Object(body);
        }
    } else if (size > 0 && size <= 18 && (json.front() == '-' || (json.front() >= '0' && json.front() <= '9'))) {
        // Up to 18 digits cannot overflow i64; JSON forbids leading zeros.
        size_t first = json.front() == '-' ? 1 : 0;
        bool digits = first < size && std::all_of(json.begin() + static_cast<long>(first), json.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
        if (digits && (json[first] != '0' || size == first + 1)) {
            int64_t value = 0;
            for (size_t i = first; i < size; ++i) {
                value = value * 10 + (json[i] - '0');
            }
            return Object(first == 1 ? -value : value);
        }
    } else if (json == "true" || json == "false") {
        return Object(json == "true");
    } else if (json == "null") {
        return Object();
    }
    return from_json(json);
}

std::string_view column_view(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string_view(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

} // namespace

struct ConfigStore::Statements {
    Stmt find_child;
    Stmt add_key;
    Stmt add_relation;
    Stmt get_value;
    Stmt set_value;
    Stmt children;
    Stmt delete_value;
    Stmt delete_relation;
    Stmt delete_key;
    Stmt children_values;
    Stmt begin;
    Stmt begin_read;
    Stmt commit;
    Stmt rollback;
};

ConfigStore::ConfigStore(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)), statements_(std::make_unique<Statements>()) {}

ConfigStore::~ConfigStore() {
    statements_.reset();
    sqlite3_close_v2(db_);
}

// Every statement of one request reads the same snapshot, and pays for taking the
// database's read locks once. Inside a transaction already open, it adds nothing.
class ConfigStore::ReadScope {
public:
    explicit ReadScope(ConfigStore& store) : store_(store) {
        if (store_.in_transaction()) {
            return;
        }
        sqlite3_stmt* begin = store_.statements_->begin_read.get();
        Reset reset{begin};
        owned_ = sqlite3_step(begin) == SQLITE_DONE;
    }
    ~ReadScope() {
        if (owned_) {
            sqlite3_stmt* commit = store_.statements_->commit.get();
            Reset reset{commit};
            sqlite3_step(commit);
        }
    }
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;

private:
    ConfigStore& store_;
    bool owned_ = false;
};

Error ConfigStore::sqlite_error(std::string_view what) const {
    int code = sqlite3_extended_errcode(db_);
    std::string message = path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_);
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return make_error(ErrorCode::Busy, message + " (another process holds the database)");
    case SQLITE_FULL:
        return make_error(ErrorCode::Nomem, message + " (no space left on the device that holds it: nothing of "
                                                      "this request was written, and what was stored before is kept)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return make_error(ErrorCode::Failure, message + " (the file is not a usable configuration database)");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
        return make_error(ErrorCode::Unauthorized, message);
    default:
        return make_error(ErrorCode::Failure, message);
    }
}

Result<void> ConfigStore::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        sqlite3_free(message);
        return sqlite_error("executing schema statement");
    }
    return {};
}

Result<std::unique_ptr<ConfigStore>> ConfigStore::open(const std::string& path, OpenOptions options) {
    // The statements use UPSERT (3.24); the package's Depends come from the symbols the
    // library exports (dpkg-shlibdeps), which cannot tell.
    if (sqlite3_libversion_number() < 3024000) {
        return make_error(ErrorCode::Unsupported, path + ": libsqlite3 " + sqlite3_libversion() +
                                                      " is too old; the configuration store needs 3.24 or later");
    }
    struct stat info{};
    bool exists = ::stat(path.c_str(), &info) == 0;
    if (!exists) {
        if (!options.create) {
            return make_error(ErrorCode::Noentry, path + ": no such configuration database");
        }
        if (auto made = make_directories(directory_of(path)); !made) {
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

    // No bulk page-cache allocation per connection: pages are allocated as they are
    // used (reads come through the memory map and need few). Only possible before
    // sqlite initialises; a program that used sqlite first keeps its own setting.
    static const bool configured [[maybe_unused]] =
        sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0) == SQLITE_OK;
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
        sqlite3_stmt* check = nullptr;
        if (sqlite3_prepare_v2(raw, "PRAGMA quick_check(1)", -1, &check, nullptr) != SQLITE_OK) {
            return store->sqlite_error("checking integrity");
        }
        std::string verdict = sqlite3_step(check) == SQLITE_ROW ? column_text(check, 0) : "";
        int stepped = sqlite3_errcode(raw);
        sqlite3_finalize(check);
        if (verdict != "ok") {
            return make_error(ErrorCode::Failure,
                              path + ": the database is corrupt (" +
                                  (verdict.empty() ? std::string(sqlite3_errstr(stepped)) : verdict) +
                                  "); left untouched: restore a backup or move it away");
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

Result<void> ConfigStore::prepare_schema() {
    auto table_exists = [this](const char* name) {
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(db_, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1, &stmt, nullptr);
        sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
        bool found = sqlite3_step(stmt) == SQLITE_ROW;
        sqlite3_finalize(stmt);
        return found;
    };

    // A database already at this version with every index needs no write: opening it
    // (`ggl config --db get` while another process holds the write lock) takes none.
    auto index_exists = [this](const char* name) {
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(db_, "SELECT 1 FROM sqlite_master WHERE type='index' AND name=?1", -1, &stmt, nullptr);
        sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
        bool found = sqlite3_step(stmt) == SQLITE_ROW;
        sqlite3_finalize(stmt);
        return found;
    };
    bool current = false;
    if (table_exists("version") && index_exists("relations_by_parent")) {
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(db_, "SELECT max(version) FROM version", -1, &stmt, nullptr);
        current = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == kSchemaVersion;
        sqlite3_finalize(stmt);
    }
    if (!current) {
        if (auto begun = exec("BEGIN IMMEDIATE"); !begun) {
            return begun;
        }
    }
    int version = current ? kSchemaVersion : 0;
    if (!current && table_exists("version")) {
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(db_, "SELECT max(version) FROM version", -1, &stmt, nullptr);
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            version = sqlite3_column_int(stmt, 0);
        }
        sqlite3_finalize(stmt);
    }
    Result<void> prepared;
    if (current) {
        // nothing to create or migrate
    } else if (version > kSchemaVersion) {
        prepared = make_error(ErrorCode::Unsupported, path_ + ": schema version " + std::to_string(version) +
                                                          " was written by a newer ggl (this one knows " +
                                                          std::to_string(kSchemaVersion) + ")");
    } else if (version == 0) {
        prepared = exec(kSchemaV2);
        if (prepared) {
            prepared = exec("INSERT INTO version(version) VALUES (2)");
        }
    } else {
        prepared = exec(kSchemaV2);
        // Each step migrates one version up; a later release adds its step here.
        if (prepared && version == 1) {
            prepared = migrate_from_v1();
        }
    }
    if (!prepared) {
        (void)exec("ROLLBACK");
        return prepared;
    }
    if (!current) {
        if (auto committed = exec("COMMIT"); !committed) {
            (void)exec("ROLLBACK");
            return committed;
        }
    }
    schema_version_ = kSchemaVersion;

    struct {
        Stmt& stmt;
        const char* sql;
    } const statements[] = {
        {statements_->find_child, "SELECT child, name FROM relations WHERE parent = ?1 AND name = ?2"},
        {statements_->add_key, "INSERT INTO keys(name) VALUES (?1)"},
        {statements_->add_relation, "INSERT INTO relations(child, parent, name) VALUES (?1, ?2, ?3)"},
        {statements_->get_value, "SELECT value, ts FROM vals WHERE key = ?1"},
        {statements_->set_value,
         "INSERT INTO vals(key, value, ts) VALUES (?1, ?2, ?3) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value, ts = excluded.ts"},
        {statements_->children,
         "SELECT child, name FROM relations INDEXED BY relations_by_parent WHERE parent = ?1 ORDER BY child"},
        {statements_->delete_value, "DELETE FROM vals WHERE key = ?1"},
        {statements_->delete_relation, "DELETE FROM relations WHERE child = ?1"},
        {statements_->delete_key, "DELETE FROM keys WHERE id = ?1"},
        // A map's children in creation order with their values: one index range scan
        // (relations_by_parent keeps children of a parent in id order).
        {statements_->children_values,
         "SELECT r.child, r.name, v.value FROM relations r INDEXED BY relations_by_parent "
         "LEFT JOIN vals v ON v.key = r.child WHERE r.parent = ?1 ORDER BY r.child"},
        {statements_->begin, "BEGIN IMMEDIATE"},
        {statements_->begin_read, "BEGIN DEFERRED"},
        {statements_->commit, "COMMIT"},
        {statements_->rollback, "ROLLBACK"},
    };
    for (const auto& statement : statements) {
        if (statement.stmt.prepare(db_, statement.sql) != SQLITE_OK) {
            return sqlite_error("preparing statements");
        }
    }
    return {};
}

Result<void> ConfigStore::migrate_from_v1() {
    // In the caller's transaction: a failed migration leaves the v1 database as it was.
    char* message = nullptr;
    if (sqlite3_exec(db_, kMigrateV1, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string detail = message ? message : "";
        sqlite3_free(message);
        return make_error(ErrorCode::Failure,
                          path_ + ": cannot migrate schema version 1 to 2: " + detail + " (database unchanged)");
    }
    return {};
}

Result<void> ConfigStore::begin() {
    sqlite3_stmt* stmt = statements_->begin.get();
    Reset reset{stmt};
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        return sqlite_error("starting a transaction");
    }
    in_explicit_transaction_ = true;
    return {};
}

Result<void> ConfigStore::commit() {
    in_explicit_transaction_ = false;
    sqlite3_stmt* stmt = statements_->commit.get();
    Reset reset{stmt};
    if (sqlite3_step(stmt) != SQLITE_DONE) {
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
        return;  // sqlite already rolled back (as it does on SQLITE_FULL)
    }
    sqlite3_stmt* stmt = statements_->rollback.get();
    Reset reset{stmt};
    sqlite3_step(stmt);
}

Result<std::optional<int64_t>> ConfigStore::find_child(int64_t parent, std::string_view name,
                                                       std::string* stored_name) {
    sqlite3_stmt* stmt = statements_->find_child.get();
    Reset reset{stmt};
    sqlite3_bind_int64(stmt, 1, parent);
    bind_text(stmt, 2, name);
    int stepped = sqlite3_step(stmt);
    if (stepped == SQLITE_ROW) {
        if (stored_name) {
            *stored_name = column_text(stmt, 1);
        }
        return std::optional<int64_t>(sqlite3_column_int64(stmt, 0));
    }
    if (stepped == SQLITE_DONE) {
        return std::optional<int64_t>();
    }
    return sqlite_error("looking up a key");
}

Result<std::optional<int64_t>> ConfigStore::find_node(const KeyPath& path) {
    int64_t id = kRootId;
    for (const auto& segment : path) {
        auto child = find_child(id, segment, nullptr);
        if (!child) {
            return std::move(child).error();
        }
        if (!*child) {
            return std::optional<int64_t>();
        }
        id = **child;
    }
    return std::optional<int64_t>(id);
}

Result<int64_t> ConfigStore::add_child(int64_t parent, std::string_view name) {
    sqlite3_stmt* key = statements_->add_key.get();
    {
        Reset reset{key};
        bind_text(key, 1, name);
        if (sqlite3_step(key) != SQLITE_DONE) {
            return sqlite_error("adding a key");
        }
    }
    int64_t id = sqlite3_last_insert_rowid(db_);
    sqlite3_stmt* relation = statements_->add_relation.get();
    Reset reset{relation};
    sqlite3_bind_int64(relation, 1, id);
    sqlite3_bind_int64(relation, 2, parent);
    bind_text(relation, 3, name);
    if (sqlite3_step(relation) != SQLITE_DONE) {
        return sqlite_error("adding a key");
    }
    return id;
}

Result<bool> ConfigStore::is_leaf(int64_t id) {
    if (id == kRootId) {
        return false;
    }
    sqlite3_stmt* stmt = statements_->get_value.get();
    Reset reset{stmt};
    sqlite3_bind_int64(stmt, 1, id);
    int stepped = sqlite3_step(stmt);
    if (stepped == SQLITE_ROW || stepped == SQLITE_DONE) {
        return stepped == SQLITE_ROW;
    }
    return sqlite_error("reading a value");
}

namespace {

// A transaction for one request; inside a caller's transaction (an import) a savepoint,
// so that a request that fails halfway still leaves nothing of itself behind.
class RequestTransaction {
public:
    RequestTransaction(ConfigStore& store, sqlite3* db, bool nested) : store_(store), db_(db), nested_(nested) {}
    ~RequestTransaction() {
        if (!open_) {
            return;
        }
        if (nested_) {
            sqlite3_exec(db_, "ROLLBACK TO request; RELEASE request", nullptr, nullptr, nullptr);
        } else {
            store_.rollback();
        }
    }
    Result<void> begin() {
        if (nested_) {
            if (sqlite3_exec(db_, "SAVEPOINT request", nullptr, nullptr, nullptr) != SQLITE_OK) {
                return make_error(ErrorCode::Failure, std::string("savepoint: ") + sqlite3_errmsg(db_));
            }
            open_ = true;
            return {};
        }
        auto begun = store_.begin();
        open_ = begun.ok();
        return begun;
    }
    Result<void> commit() {
        open_ = false;
        if (nested_) {
            sqlite3_exec(db_, "RELEASE request", nullptr, nullptr, nullptr);
            return {};
        }
        return store_.commit();
    }

private:
    ConfigStore& store_;
    sqlite3* db_;
    bool nested_;
    bool open_ = false;
};

} // namespace

Result<void> ConfigStore::set_leaf(int64_t id, const KeyPath& spelling, const Object& value, int64_t timestamp,
                                   bool existed, std::vector<Change>* changes, OlderWrite older) {
    std::string json = to_json(value);
    bool changed = true;
    if (existed) {
        sqlite3_stmt* get = statements_->get_value.get();
        Reset reset{get};
        sqlite3_bind_int64(get, 1, id);
        if (sqlite3_step(get) != SQLITE_ROW) {
            return sqlite_error("reading a value");
        }
        int64_t stored_ts = sqlite3_column_int64(get, 1);
        if (stored_ts > timestamp) {
            if (older == OlderWrite::Fail) {
                return make_error(ErrorCode::Expected, "the value at " + key_path_to_text(spelling) +
                                                           " was written at " + std::to_string(stored_ts) +
                                                           ", after this write's timestamp " + std::to_string(timestamp));
            }
            return {};  // older loses
        }
        changed = column_text(get, 0) != json;
        if (!changed && stored_ts == timestamp) {
            return {};
        }
    }
    sqlite3_stmt* set = statements_->set_value.get();
    Reset reset{set};
    sqlite3_bind_int64(set, 1, id);
    bind_text(set, 2, json);
    sqlite3_bind_int64(set, 3, timestamp);
    if (sqlite3_step(set) != SQLITE_DONE) {
        return sqlite_error("writing a value");
    }
    if (changed && changes) {
        changes->push_back({spelling, false});
    }
    return {};
}

// Merges value into the existing node `id` (a map) whose path is spelling.
Result<void> ConfigStore::merge(int64_t id, KeyPath& spelling, const Object& value, int64_t timestamp,
                                std::vector<Change>* changes, OlderWrite older) {
    for (const auto& [name, child_value] : value.as_map()) {
        if (name.empty()) {
            return make_error(ErrorCode::Invalid, "empty key in the map written at " + key_path_to_text(spelling));
        }
        std::string stored_name = name;
        auto found = find_child(id, name, &stored_name);
        if (!found) {
            return std::move(found).error();
        }
        std::optional<int64_t> child = *found;
        bool child_is_leaf = false;
        if (child) {
            auto leaf = is_leaf(*child);
            if (!leaf) {
                return std::move(leaf).error();
            }
            child_is_leaf = *leaf;
        }
        spelling.push_back(stored_name);
        if (child_value.is_map()) {
            if (child && child_is_leaf) {
                return make_error(ErrorCode::Conflict,
                                  "cannot write a map onto the value at " + key_path_to_text(spelling));
            }
            if (!child) {
                auto added = add_child(id, name);
                if (!added) {
                    return std::move(added).error();
                }
                // A new map is one change; what it holds is new with it.
                if (changes) {
                    changes->push_back({spelling, false});
                }
                if (auto merged = merge(*added, spelling, child_value, timestamp, nullptr, older); !merged) {
                    return merged;
                }
            } else if (auto merged = merge(*child, spelling, child_value, timestamp, changes, older); !merged) {
                return merged;
            }
        } else {
            if (child && !child_is_leaf) {
                return make_error(ErrorCode::Conflict,
                                  "cannot write a value onto the map at " + key_path_to_text(spelling));
            }
            int64_t leaf_id = 0;
            if (child) {
                leaf_id = *child;
            } else {
                auto added = add_child(id, name);
                if (!added) {
                    return std::move(added).error();
                }
                leaf_id = *added;
            }
            if (auto set = set_leaf(leaf_id, spelling, child_value, timestamp, child.has_value(), changes, older);
                !set) {
                return set;
            }
        }
        spelling.pop_back();
    }
    return {};
}

Result<void> ConfigStore::write(const KeyPath& path, const Object& value, int64_t timestamp,
                                std::vector<Change>* changes, OlderWrite older) {
    if (path.empty() && !value.is_map()) {
        return make_error(ErrorCode::Invalid, "only a map can be written at the root");
    }
    if (value.is_bytes()) {
        return make_error(ErrorCode::Invalid, "binary values cannot be stored (JSON has no bytes)");
    }
    RequestTransaction transaction(*this, db_, in_explicit_transaction_);
    if (auto begun = transaction.begin(); !begun) {
        return begun;
    }
    std::vector<Change> found_changes;
    // Walk to the parent of the target, creating maps; a value on the way is a conflict.
    int64_t id = kRootId;
    KeyPath spelling;
    size_t depth = path.empty() ? 0 : path.size() - 1;
    for (size_t i = 0; i < depth; ++i) {
        std::string stored_name = path[i];
        auto child = find_child(id, path[i], &stored_name);
        if (!child) {
            return std::move(child).error();
        }
        if (*child) {
            auto leaf = is_leaf(**child);
            if (!leaf) {
                return std::move(leaf).error();
            }
            spelling.push_back(stored_name);
            if (*leaf) {
                return make_error(ErrorCode::Conflict, "cannot write below the value at " + key_path_to_text(spelling) +
                                                           " (it is not a map)");
            }
            id = **child;
        } else {
            auto added = add_child(id, path[i]);
            if (!added) {
                return std::move(added).error();
            }
            spelling.push_back(path[i]);
            id = *added;
        }
    }
    Result<void> merged;
    if (path.empty()) {
        merged = merge(id, spelling, value, timestamp, &found_changes, older);
    } else {
        merged = merge(id, spelling, Object(Map{{path.back(), value}}), timestamp, &found_changes, older);
    }
    if (!merged) {
        return merged;
    }
    if (auto committed = transaction.commit(); !committed) {
        return committed;
    }
    if (changes) {
        changes->insert(changes->end(), found_changes.begin(), found_changes.end());
    }
    return {};
}

Result<bool> ConfigStore::remove_node(int64_t id, KeyPath& spelling, std::optional<int64_t> timestamp,
                                      std::vector<Change>* changes) {
    sqlite3_stmt* get = statements_->get_value.get();
    bool leaf = false;
    int64_t stored_ts = 0;
    {
        Reset reset{get};
        sqlite3_bind_int64(get, 1, id);
        int stepped = sqlite3_step(get);
        if (stepped == SQLITE_ROW) {
            leaf = true;
            stored_ts = sqlite3_column_int64(get, 1);
        } else if (stepped != SQLITE_DONE) {
            return sqlite_error("reading a value");
        }
    }
    if (leaf && timestamp && stored_ts > *timestamp) {
        return false;  // written after the delete was issued: it stays
    }
    std::vector<Change> below;
    bool everything_removed = true;
    if (!leaf) {
        std::vector<std::pair<int64_t, std::string>> children;
        {
            sqlite3_stmt* stmt = statements_->children.get();
            Reset reset{stmt};
            sqlite3_bind_int64(stmt, 1, id);
            int stepped;
            while ((stepped = sqlite3_step(stmt)) == SQLITE_ROW) {
                children.emplace_back(sqlite3_column_int64(stmt, 0), column_text(stmt, 1));
            }
            if (stepped != SQLITE_DONE) {
                return sqlite_error("listing keys");
            }
        }
        for (auto& [child, name] : children) {
            spelling.push_back(name);
            auto removed = remove_node(child, spelling, timestamp, &below);
            spelling.pop_back();
            if (!removed) {
                return removed;
            }
            everything_removed = everything_removed && *removed;
        }
    }
    if (!everything_removed) {
        if (changes) {
            changes->insert(changes->end(), below.begin(), below.end());
        }
        return false;
    }
    for (Stmt* stmt : {&statements_->delete_value, &statements_->delete_relation, &statements_->delete_key}) {
        Reset reset{stmt->get()};
        sqlite3_bind_int64(stmt->get(), 1, id);
        if (sqlite3_step(stmt->get()) != SQLITE_DONE) {
            return sqlite_error("deleting a key");
        }
    }
    if (changes) {
        changes->push_back({spelling, true});
    }
    return true;
}

Result<void> ConfigStore::remove(const KeyPath& path, std::optional<int64_t> timestamp,
                                 std::vector<Change>* changes) {
    if (path.empty()) {
        return make_error(ErrorCode::Invalid, "the root cannot be deleted (name a key)");
    }
    RequestTransaction transaction(*this, db_, in_explicit_transaction_);
    if (auto begun = transaction.begin(); !begun) {
        return begun;
    }
    int64_t id = kRootId;
    KeyPath spelling;
    for (const auto& segment : path) {
        std::string stored_name = segment;
        auto child = find_child(id, segment, &stored_name);
        if (!child) {
            return std::move(child).error();
        }
        if (!*child) {
            return transaction.commit();  // nothing to delete is fine
        }
        id = **child;
        spelling.push_back(stored_name);
    }
    std::vector<Change> found_changes;
    auto removed = remove_node(id, spelling, timestamp, &found_changes);
    if (!removed) {
        return std::move(removed).error();
    }
    if (auto committed = transaction.commit(); !committed) {
        return committed;
    }
    if (changes) {
        changes->insert(changes->end(), found_changes.begin(), found_changes.end());
    }
    return {};
}

Result<std::vector<std::string>> ConfigStore::list(const KeyPath& path) {
    ReadScope scope(*this);
    auto node = find_node(path);
    if (!node) {
        return std::move(node).error();
    }
    if (!*node) {
        return make_error(ErrorCode::Noentry, "no key " + key_path_to_text(path));
    }
    auto leaf = is_leaf(**node);
    if (!leaf) {
        return std::move(leaf).error();
    }
    if (*leaf) {
        return make_error(ErrorCode::Invalid, key_path_to_text(path) + " holds a value, not a map");
    }
    std::vector<std::string> names;
    sqlite3_stmt* stmt = statements_->children.get();
    Reset reset{stmt};
    sqlite3_bind_int64(stmt, 1, **node);
    int stepped;
    while ((stepped = sqlite3_step(stmt)) == SQLITE_ROW) {
        names.push_back(column_text(stmt, 1));
    }
    if (stepped != SQLITE_DONE) {
        return sqlite_error("listing keys");
    }
    return names;
}

Result<Object> ConfigStore::build(int64_t id) {
    // One statement per map, depth first; recursion depth is the tree's depth, which
    // the bus frame bounds for anything written.
    struct Child {
        int64_t id;
        size_t index;  // its entry in map
    };
    std::vector<Child> maps;  // children that are maps, filled in after the scan
    Map map;
    {
        sqlite3_stmt* stmt = statements_->children_values.get();
        Reset reset{stmt};
        sqlite3_bind_int64(stmt, 1, id);
        int stepped;
        while ((stepped = sqlite3_step(stmt)) == SQLITE_ROW) {
            std::string_view name = column_view(stmt, 1);
            if (sqlite3_column_type(stmt, 2) == SQLITE_NULL) {
                maps.push_back({sqlite3_column_int64(stmt, 0), map.size()});
                map.append(std::string(name), Object(Map{}));
                continue;
            }
            auto value = decode_value(column_view(stmt, 2));
            if (!value) {
                return make_error(ErrorCode::Failure, path_ + ": stored value of key id " +
                                                          std::to_string(sqlite3_column_int64(stmt, 0)) +
                                                          " is not JSON: " + value.error().message);
            }
            map.append(std::string(name), std::move(*value));
        }
        if (stepped != SQLITE_DONE) {
            return sqlite_error("reading keys");
        }
    }
    for (Child& child : maps) {
        auto value = build(child.id);
        if (!value) {
            return value;
        }
        (map.begin() + static_cast<long>(child.index))->second = std::move(*value);
    }
    return Object(std::move(map));
}

Result<void> ConfigStore::begin_read() {
    if (in_transaction()) {
        return {};
    }
    sqlite3_stmt* begin = statements_->begin_read.get();
    Reset reset{begin};
    if (sqlite3_step(begin) != SQLITE_DONE) {
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

void ConfigStore::release_memory() {
    sqlite3_db_release_memory(db_);
}

void ConfigStore::end_read() {
    if (!in_transaction() || in_explicit_transaction_) {
        return;
    }
    sqlite3_stmt* commit = statements_->commit.get();
    Reset reset{commit};
    sqlite3_step(commit);
}

Result<Object> ConfigStore::read(const KeyPath& path) {
    ReadScope scope(*this);
    auto node = find_node(path);
    if (!node) {
        return std::move(node).error();
    }
    if (!*node) {
        return make_error(ErrorCode::Noentry, "no key " + key_path_to_text(path));
    }
    if (**node != kRootId) {
        sqlite3_stmt* get = statements_->get_value.get();
        Reset reset{get};
        sqlite3_bind_int64(get, 1, **node);
        int stepped = sqlite3_step(get);
        if (stepped == SQLITE_ROW) {
            return decode_value(column_view(get, 0));
        }
        if (stepped != SQLITE_DONE) {
            return sqlite_error("reading a value");
        }
    }
    return build(**node);
}

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
    struct stat info{};
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
            return make_error(ErrorCode::Unsupported,
                              snapshot + ": not a configuration backup of schema version " + std::to_string(kSchemaVersion));
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
