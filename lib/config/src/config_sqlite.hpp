// What the configuration store's files share: sqlite statement handles and column helpers,
// the store's prepared statements, the tree's root id, and making its directories.
#pragma once

#include "ggl/config_store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::config {

// The tree's root is the virtual key 0: top-level keys have parent 0, and the root has
// no key row of its own (so it can be neither a value nor deleted).
inline constexpr int64_t kRootId = 0;

// Keeps statement use exception-free and reset on every path.
class Stmt {
public:
    Stmt() = default;
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    int prepare(sqlite3* db, const char* sql) {
        return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    }
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

inline void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

inline void bind_value(sqlite3_stmt* stmt, int index, int64_t value) { sqlite3_bind_int64(stmt, index, value); }
inline void bind_value(sqlite3_stmt* stmt, int index, std::string_view text) { bind_text(stmt, index, text); }

// Binds values to ?1, ?2, ... in order, runs the statement once (one that returns no
// rows) and resets it: whether it ran to the end (SQLITE_DONE).
template <typename... Values>
bool execute(sqlite3_stmt* stmt, const Values&... values) {
    Reset reset{stmt};
    int index = 0;
    (bind_value(stmt, ++index, values), ...);
    return sqlite3_step(stmt) == SQLITE_DONE;
}

inline std::string column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

inline std::string_view column_view(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string_view(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

// Makes dir and its missing parents (mode 0750).
Result<void> make_directories(const std::string& dir);

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

    // Prepares them all; the first failure's sqlite code, or SQLITE_OK.
    int prepare_all(sqlite3* db);
};

} // namespace ggl::config
