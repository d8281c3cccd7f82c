// The configuration store's schema: creating it, migrating a version 1 (nucleus lite)
// database in place, and preparing the statements the store runs on it.
#include "ggl/config_store.hpp"

#include "config_sqlite.hpp"

#include <sqlite3.h>

#include <string>

namespace ggl::config {
namespace {

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

bool schema_has(sqlite3* db, const char* type, const char* name) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type=?1 AND name=?2", -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return found;
}

// The version the version table records (0 when it records none).
int stored_version(sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT max(version) FROM version", -1, &stmt, nullptr);
    int version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return version;
}

// A database already at this version with every index needs no write: opening it
// (`ggl config --db get` while another process holds the write lock) takes none.
bool schema_is_current(sqlite3* db) {
    return schema_has(db, "table", "version") && schema_has(db, "index", "relations_by_parent") &&
           stored_version(db) == kSchemaVersion;
}

} // namespace

Result<void> ConfigStore::prepare_schema() {
    bool current = schema_is_current(db_);
    if (!current) {
        if (auto begun = exec("BEGIN IMMEDIATE"); !begun) {
            return begun;
        }
    }
    int version = current ? kSchemaVersion : 0;
    if (!current && schema_has(db_, "table", "version")) {
        version = stored_version(db_);
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
    if (statements_->prepare_all(db_) != SQLITE_OK) {
        return sqlite_error("preparing statements");
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

int ConfigStore::Statements::prepare_all(sqlite3* db) {
    struct {
        Stmt& stmt;
        const char* sql;
    } const statements[] = {
        {find_child, "SELECT child, name FROM relations WHERE parent = ?1 AND name = ?2"},
        {add_key, "INSERT INTO keys(name) VALUES (?1)"},
        {add_relation, "INSERT INTO relations(child, parent, name) VALUES (?1, ?2, ?3)"},
        {get_value, "SELECT value, ts FROM vals WHERE key = ?1"},
        {set_value, "INSERT INTO vals(key, value, ts) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, ts = excluded.ts"},
        {children, "SELECT child, name FROM relations INDEXED BY relations_by_parent WHERE parent = ?1 ORDER BY child"},
        {delete_value, "DELETE FROM vals WHERE key = ?1"},
        {delete_relation, "DELETE FROM relations WHERE child = ?1"},
        {delete_key, "DELETE FROM keys WHERE id = ?1"},
        // A map's children in creation order with their values: one index range scan
        // (relations_by_parent keeps children of a parent in id order).
        {children_values, "SELECT r.child, r.name, v.value FROM relations r INDEXED BY relations_by_parent "
                          "LEFT JOIN vals v ON v.key = r.child WHERE r.parent = ?1 ORDER BY r.child"},
        {begin, "BEGIN IMMEDIATE"},
        {begin_read, "BEGIN DEFERRED"},
        {commit, "COMMIT"},
        {rollback, "ROLLBACK"},
    };
    for (const auto& statement : statements) {
        if (int prepared = statement.stmt.prepare(db, statement.sql); prepared != SQLITE_OK) {
            return prepared;
        }
    }
    return SQLITE_OK;
}

} // namespace ggl::config
