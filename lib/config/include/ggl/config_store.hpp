// The configuration tree in sqlite (docs/configuration.md): schema, merge rules, transactions,
// migrations, snapshots. Served by ggconfigd and used directly by `ggl config --db`. Key paths
// (config_path.hpp) and configuration files (config_files.hpp) need no database: they are
// in libggl and libggl-yaml, for the programs that do not map sqlite.
#pragma once

#include "ggl/config_files.hpp"
#include "ggl/config_path.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace ggl::config {

// The schema this code writes. Version 1 is the nucleus-lite layout (keyTable,
// relationTable, valueTable, version); opening one migrates it in place.
inline constexpr int kSchemaVersion = 2;

// A node whose value changed, appeared or went away, in the stored spelling.
struct Change {
    KeyPath key_path;
    bool deleted = false;
};

struct OpenOptions {
    bool create = true; // create the file (and its directory) when missing
    bool verify_integrity = false; // PRAGMA quick_check at open (ggconfigd does)
    int busy_timeout_ms = 5000; // wait this long for another process's write lock
    // Keep the WAL file, at its size, when the last connection closes (ggconfigd does):
    // commits then overwrite blocks the file already has, and each fsync carries no
    // file-size change for the file system to journal.
    bool keep_wal_file = false;
};

class ConfigStore {
public:
    // Opens (creating mode 0640, directories 0750) and migrates the database. A file that
    // is not an sqlite database, or is corrupt, is reported naming it and left untouched.
    static Result<std::unique_ptr<ConfigStore>> open(const std::string& path, OpenOptions options = {});
    ~ConfigStore();
    ConfigStore(const ConfigStore&) = delete;
    ConfigStore& operator=(const ConfigStore&) = delete;

    const std::string& path() const { return path_; }
    int schema_version() const { return schema_version_; }

    // The value at path; maps are rebuilt. NOENTRY when absent. [] is the whole tree.
    Result<Object> read(const KeyPath& path);
    // Child names in stored spelling. NOENTRY when absent, INVALID on a leaf.
    Result<std::vector<std::string>> list(const KeyPath& path);
    // What a write does with a leaf whose stored timestamp is newer than its own: leave it
    // and write the rest ("older loses", docs/configuration.md), or fail the whole write with EXPECTED
    // naming the key and write nothing (IPC UpdateConfiguration's condition check).
    enum class OlderWrite { Ignore, Fail };
    // Merges value at path in one transaction (docs/configuration.md). Appends to changes
    // what actually changed (nothing for an unchanged value or an older timestamp).
    Result<void> write(const KeyPath& path, const Object& value, int64_t timestamp,
                       std::vector<Change>* changes = nullptr, OlderWrite older = OlderWrite::Ignore);
    // Removes path and everything below it. With a timestamp, leaves written later than
    // it stay (older loses, equal wins, as for writes) and a map goes only once it is
    // empty. A missing path is OK. The root cannot be deleted.
    Result<void> remove(const KeyPath& path, std::optional<int64_t> timestamp, std::vector<Change>* changes = nullptr);

    // Snapshots the database to `backup_dir()/NAME.db` (sqlite online backup, fsynced,
    // renamed into place). Names are [A-Za-z0-9_.-], not starting with '.'.
    Result<void> backup(std::string_view name);
    // Replaces the tree with a snapshot in one transaction; changes lists the subtrees
    // that differ (for notifying only their subscribers). NOENTRY when no such snapshot.
    Result<void> restore(std::string_view name, std::vector<Change>* changes = nullptr);
    std::string backup_dir() const;

    // Several requests in one transaction (tlog import, config files).
    Result<void> begin();
    Result<void> commit();
    void rollback();
    // False once sqlite itself ended the transaction (it rolls back on a full disk).
    bool in_transaction() const;
    // Reads between these share one snapshot and one taking of the read locks (a
    // server answering a burst of reads). Writes by others become visible only after
    // end_read; nothing happens when a transaction is already open.
    Result<void> begin_read();
    void end_read();
    // Copies what the WAL holds into the database file (a passive checkpoint: it waits
    // for no reader). Readers then find those pages in the memory-mapped file rather
    // than reading them out of the WAL.
    Result<void> checkpoint();
    // Frees the page cache's unused pages (sqlite3_db_release_memory): an idle daemon
    // keeps no cache of pages a burst of writes brought in.
    void release_memory();

private:
    ConfigStore(sqlite3* db, std::string path);
    struct Statements;
    class ReadScope;

    Result<void> prepare_schema();
    Result<void> migrate_from_v1();
    Result<std::optional<int64_t>> find_child(int64_t parent, std::string_view name, std::string* stored_name);
    Result<std::optional<int64_t>> find_node(const KeyPath& path);
    // find_node, with NOENTRY "no key PATH" when there is none.
    Result<int64_t> existing_node(const KeyPath& path);
    Result<int64_t> add_child(int64_t parent, std::string_view name);
    Result<bool> is_leaf(int64_t id);
    Result<void> merge(int64_t id, KeyPath& spelling, const Object& value, int64_t timestamp,
                       std::vector<Change>* changes, OlderWrite older);
    Result<void> set_leaf(int64_t id, const KeyPath& spelling, const Object& value, int64_t timestamp, bool existed,
                          std::vector<Change>* changes, OlderWrite older);
    Result<bool> remove_node(int64_t id, KeyPath& spelling, std::optional<int64_t> timestamp,
                             std::vector<Change>* changes);
    Result<Object> build(int64_t id);
    Result<void> exec(const char* sql);
    Error sqlite_error(std::string_view what) const;

    sqlite3* db_;
    std::string path_;
    int schema_version_ = 0;
    std::unique_ptr<Statements> statements_;
    bool in_explicit_transaction_ = false;
};

// Greengrass v2 config.tlog replay: one JSON object per line {TS, TP, W, V}. Every whole
// line is applied (in one transaction); lines that cannot be read or applied are
// reported with their number and the rest still apply.
struct TlogReport {
    size_t applied = 0;
    std::vector<std::string> problems; // "config.tlog:3: ..."
};
Result<TlogReport> import_tlog(ConfigStore& store, const std::string& file, std::vector<Change>* changes = nullptr);
// The same on text already read from file (the name is only used in problems).
Result<TlogReport> import_tlog_text(ConfigStore& store, const std::string& file, std::string_view text,
                                    std::vector<Change>* changes = nullptr);

} // namespace ggl::config
