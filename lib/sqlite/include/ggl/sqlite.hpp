// sqlite3 statement handles and column helpers that keep statement use exception-free
// and reset on every path; shared by the configuration store and iotcored's spool.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::sqlite {

// A prepared statement, finalized with its owner.
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

// Resets a statement and clears its bindings when the scope ends.
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
// rows) and resets it: sqlite's result code, SQLITE_DONE when it ran to the end.
template <typename... Values>
int run(sqlite3_stmt* stmt, const Values&... values) {
    Reset reset{stmt};
    int index = 0;
    (bind_value(stmt, ++index, values), ...);
    return sqlite3_step(stmt);
}

// run()'s result as whether it ran to the end.
template <typename... Values>
bool execute(sqlite3_stmt* stmt, const Values&... values) {
    return run(stmt, values...) == SQLITE_DONE;
}

inline std::string column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

inline std::string_view column_view(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string_view(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

// A BLOB column's bytes.
inline std::string column_blob(sqlite3_stmt* stmt, int column) {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, column));
    return std::string(bytes ? bytes : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

} // namespace ggl::sqlite
