// What the configuration store's files share: the sqlite helpers (ggl/sqlite.hpp), the
// store's prepared statements, and the tree's root id.
#pragma once

#include "ggl/config_store.hpp"

#include "ggl/file.hpp"
#include "ggl/sqlite.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::config {

// The tree's root is the virtual key 0: top-level keys have parent 0, and the root has
// no key row of its own (so it can be neither a value nor deleted).
inline constexpr int64_t kRootId = 0;

using sqlite::bind_text;
using sqlite::bind_value;
using sqlite::column_text;
using sqlite::column_view;
using sqlite::execute;
using sqlite::Reset;
using sqlite::Stmt;

using file::make_directories;

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
