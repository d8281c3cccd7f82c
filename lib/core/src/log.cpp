// Logging to stderr: syslog priority prefixes under journald, timestamps otherwise.
#include "ggl/log.hpp"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string_view>
#include <unistd.h>

namespace ggl::log {

namespace {

std::atomic<int> g_level{-1};
std::atomic<bool> g_journal{false};
std::once_flag g_init;

int parse_level(const char* text) {
    if (text == nullptr) {
        return static_cast<int>(Level::Info);
    }
    std::string_view value(text);
    if (value == "error") return static_cast<int>(Level::Error);
    if (value == "warn" || value == "warning") return static_cast<int>(Level::Warn);
    if (value == "info") return static_cast<int>(Level::Info);
    if (value == "debug") return static_cast<int>(Level::Debug);
    if (value == "trace") return static_cast<int>(Level::Trace);
    std::fprintf(stderr, "warning: GGL_LOG_LEVEL=\"%s\" is not one of error, warn, info, debug, trace; using info\n",
                 text);
    return static_cast<int>(Level::Info);
}

// stderr goes to journald when JOURNAL_STREAM names the device and inode it points to.
bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) {
        return false;
    }
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) {
        return false;
    }
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) {
        return false;
    }
    return st.st_dev == dev && st.st_ino == ino;
}

const char* level_tag(Level level) {
    switch (level) {
    case Level::Error: return "E";
    case Level::Warn: return "W";
    case Level::Info: return "I";
    case Level::Debug: return "D";
    case Level::Trace: return "T";
    }
    return "?";
}

void ensure_init() {
    std::call_once(g_init, [] {
        int expected = -1;
        g_level.compare_exchange_strong(expected, parse_level(std::getenv("GGL_LOG_LEVEL")));
        g_journal = stderr_is_journal();
    });
}

} // namespace

void init() { ensure_init(); }

void set_level(Level level) {
    ensure_init();
    g_level = static_cast<int>(level);
}

Level level() {
    ensure_init();
    return static_cast<Level>(g_level.load());
}

bool enabled(Level l) {
    int current = g_level.load(std::memory_order_relaxed);
    if (current < 0) {
        ensure_init();
        current = g_level.load();
    }
    return static_cast<int>(l) <= current;
}

void write(Level l, const char* format, ...) {
    int saved_errno = errno;
    char message[2048];
    va_list args;
    va_start(args, format);
    int n = std::vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (n < 0) {
        errno = saved_errno;
        return;
    }
    // One line per record: embedded newlines would split it in the journal.
    for (char* p = message; *p; ++p) {
        if (*p == '\n') {
            *p = ' ';
        }
    }
    char line[2200];
    int len;
    if (g_journal) {
        // journald reads "<N>" as the syslog priority and adds time and process itself.
        int priority = l == Level::Trace ? 7 : static_cast<int>(l);
        len = std::snprintf(line, sizeof line, "<%d>%s\n", priority, message);
    } else {
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        tm utc{};
        gmtime_r(&ts.tv_sec, &utc);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
        len = std::snprintf(line, sizeof line, "%s.%03ldZ %s[%d] %s: %s\n", stamp, ts.tv_nsec / 1000000,
                            program_invocation_short_name, static_cast<int>(getpid()), level_tag(l), message);
    }
    if (len > 0) {
        size_t size = static_cast<size_t>(len) < sizeof line ? static_cast<size_t>(len) : sizeof line - 1;
        // A single write keeps lines from concurrent threads whole.
        ssize_t written = ::write(STDERR_FILENO, line, size);
        (void)written;
    }
    errno = saved_errno;
}

} // namespace ggl::log
