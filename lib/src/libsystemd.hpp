// libsystemd for lib/src/systemd.cpp and journal.cpp, loaded when a program first connects
// to the service manager or opens the journal (ggl/dynamic_library.hpp). Loading it maps
// libsystemd and the libraries it needs (gcrypt, lz4, zstd, lzma, cap, gpg-error): about
// 110 KiB of relocated pages in every process that does, which ggconfigd, ggipcd,
// ggpubsubd, recipe-runner and most `ggl` commands never need.
#pragma once

#include "ggl/dynamic_library.hpp"
#include "ggl/error.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#define GGL_LIBSYSTEMD_FUNCTIONS(F)                                                                     \
    F(sd_bus_add_match) F(sd_bus_call) F(sd_bus_error_free) F(sd_bus_error_has_name)                  \
    F(sd_bus_close_unref) F(sd_bus_get_events) F(sd_bus_get_fd) F(sd_bus_is_open)               \
    F(sd_bus_match_signal) F(sd_bus_message_append) F(sd_bus_message_append_basic)                    \
    F(sd_bus_message_append_strv) F(sd_bus_message_close_container) F(sd_bus_message_enter_container) \
    F(sd_bus_message_exit_container) F(sd_bus_message_get_cookie) F(sd_bus_message_get_member)        \
    F(sd_bus_message_get_path) F(sd_bus_message_new_method_call) F(sd_bus_message_open_container)     \
    F(sd_bus_message_peek_type) F(sd_bus_message_read) F(sd_bus_message_read_basic)                   \
    F(sd_bus_message_skip) F(sd_bus_message_unref) F(sd_bus_new) F(sd_bus_open_system_with_description) \
    F(sd_bus_path_decode) F(sd_bus_process) F(sd_bus_set_address) F(sd_bus_set_description)           \
    F(sd_bus_slot_unref) F(sd_bus_start) F(sd_bus_wait) F(sd_journal_add_match) F(sd_journal_close)   \
    F(sd_journal_get_cursor) F(sd_journal_get_data) F(sd_journal_get_realtime_usec) F(sd_journal_next) \
    F(sd_journal_next_skip) F(sd_journal_open) F(sd_journal_previous) F(sd_journal_seek_cursor)       \
    F(sd_journal_seek_head) F(sd_journal_seek_tail) F(sd_journal_wait)

namespace ggl::systemd {

struct Libsystemd {
    GGL_LIBSYSTEMD_FUNCTIONS(GGL_DYNAMIC_FUNCTION_POINTER)
};
extern Libsystemd loaded_libsystemd;

// Loads libsystemd.so.0 once; every later call returns the same result. UNSUPPORTED,
// naming the library, when it cannot be loaded.
Result<void> load_libsystemd();
// The loaded functions: only after load_libsystemd() succeeded.
inline const Libsystemd& sd() { return loaded_libsystemd; }

} // namespace ggl::systemd
