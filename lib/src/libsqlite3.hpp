// libsqlite3 for the configuration store (config_store.cpp), loaded when a program first
// opens a store (ggl/dynamic_library.hpp): ggconfigd, `ggl config --db` and `ggl check`
// without ggconfigd do; the other daemons never map it or relocate its data.
#pragma once

#include "ggl/dynamic_library.hpp"
#include "ggl/error.hpp"

#include <sqlite3.h>

#define GGL_LIBSQLITE3_FUNCTIONS(F)                                                                      \
    F(sqlite3_backup_finish) F(sqlite3_backup_init) F(sqlite3_backup_step) F(sqlite3_bind_int64)        \
    F(sqlite3_bind_text) F(sqlite3_busy_timeout) F(sqlite3_clear_bindings) F(sqlite3_close)             \
    F(sqlite3_close_v2) F(sqlite3_column_bytes) F(sqlite3_column_int) F(sqlite3_column_int64)          \
    F(sqlite3_column_text) F(sqlite3_column_type) F(sqlite3_config) F(sqlite3_db_config)               \
    F(sqlite3_db_release_memory) F(sqlite3_errcode) F(sqlite3_errmsg) F(sqlite3_errstr) F(sqlite3_exec) \
    F(sqlite3_extended_errcode) F(sqlite3_extended_result_codes) F(sqlite3_file_control)               \
    F(sqlite3_finalize) F(sqlite3_free) F(sqlite3_get_autocommit) F(sqlite3_last_insert_rowid)         \
    F(sqlite3_open_v2) F(sqlite3_prepare_v2) F(sqlite3_prepare_v3) F(sqlite3_reset) F(sqlite3_step)    \
    F(sqlite3_wal_checkpoint_v2)

namespace ggl::config {

struct Libsqlite3 {
    GGL_LIBSQLITE3_FUNCTIONS(GGL_DYNAMIC_FUNCTION_POINTER)
};
extern Libsqlite3 loaded_libsqlite3;

// Loads libsqlite3.so.0 once; every later call returns the same result. UNSUPPORTED,
// naming the library, when it cannot be loaded.
Result<void> load_libsqlite3();
// The loaded functions: only after load_libsqlite3() succeeded.
inline const Libsqlite3& sqlite() { return loaded_libsqlite3; }

} // namespace ggl::config
