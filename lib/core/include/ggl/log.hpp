// Logging to stderr, levels from GGL_LOG_LEVEL; syslog priority prefixes under journald.
#pragma once

namespace ggl::log {

enum class Level { Error = 3, Warn = 4, Info = 6, Debug = 7, Trace = 8 };

// Reads GGL_LOG_LEVEL (error|warn|info|debug|trace; default info) and whether stderr
// is connected to journald (JOURNAL_STREAM). Called implicitly on first use.
void init();
void set_level(Level level);
Level level();
bool enabled(Level level);

void write(Level level, const char* format, ...) __attribute__((format(printf, 2, 3)));

} // namespace ggl::log

#define GGL_LOG(level_, ...)                                                                                           \
    do {                                                                                                               \
        if (::ggl::log::enabled(level_)) {                                                                             \
            ::ggl::log::write(level_, __VA_ARGS__);                                                                    \
        }                                                                                                              \
    } while (0)
#define GGL_LOGE(...) GGL_LOG(::ggl::log::Level::Error, __VA_ARGS__)
#define GGL_LOGW(...) GGL_LOG(::ggl::log::Level::Warn, __VA_ARGS__)
#define GGL_LOGI(...) GGL_LOG(::ggl::log::Level::Info, __VA_ARGS__)
#define GGL_LOGD(...) GGL_LOG(::ggl::log::Level::Debug, __VA_ARGS__)
#define GGL_LOGT(...) GGL_LOG(::ggl::log::Level::Trace, __VA_ARGS__)
