// Reading units' output from the journal (sd-journal), by SYSLOG_IDENTIFIER.
#include "ggl/systemd.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace ggl::systemd {
namespace {

class Journal {
public:
    Journal() = default;
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;
    ~Journal() {
        if (j_ != nullptr) sd_journal_close(j_);
    }

    // Opens the local journal, filtered to one identifier.
    Result<void> open(const std::string& identifier) {
        int r = sd_journal_open(&j_, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0) {
            j_ = nullptr;
            return make_error(ErrorCode::Failure, std::string("cannot open the journal: ") + std::strerror(-r));
        }
        std::string match = "SYSLOG_IDENTIFIER=" + identifier;
        if ((r = sd_journal_add_match(j_, match.data(), match.size())) < 0) {
            return make_error(ErrorCode::Failure, std::string("cannot filter the journal: ") + std::strerror(-r));
        }
        return {};
    }

    sd_journal* get() const { return j_; }

    std::string field(const char* name) const {
        const void* data = nullptr;
        size_t length = 0;
        if (sd_journal_get_data(j_, name, &data, &length) < 0) return {};
        std::string_view text(static_cast<const char*>(data), length);
        size_t eq = text.find('=');
        return eq == std::string_view::npos ? std::string() : std::string(text.substr(eq + 1));
    }

    JournalLine line() const {
        JournalLine line;
        sd_journal_get_realtime_usec(j_, &line.realtime_usec);
        line.identifier = field("SYSLOG_IDENTIFIER");
        std::string pid = field("_PID");
        line.pid = static_cast<uint32_t>(std::strtoul(pid.c_str(), nullptr, 10));
        line.message = field("MESSAGE");
        return line;
    }

    // The last max_lines entries, oldest first; leaves the cursor on the newest entry.
    Result<std::vector<JournalLine>> tail(size_t max_lines) {
        std::vector<JournalLine> lines;
        int r = sd_journal_seek_tail(j_);
        if (r < 0) {
            return make_error(ErrorCode::Failure, std::string("cannot read the journal: ") + std::strerror(-r));
        }
        // Stepping back once puts the cursor on the newest entry even when none is shown.
        size_t back = std::max<size_t>(max_lines, 1);
        size_t moved = 0;
        while (moved < back && (r = sd_journal_previous(j_)) > 0) {
            ++moved;
            if (moved <= max_lines) lines.push_back(line());
        }
        if (r < 0) {
            return make_error(ErrorCode::Failure, std::string("cannot read the journal: ") + std::strerror(-r));
        }
        // Back to the newest entry, where following continues.
        if (moved > 1) {
            sd_journal_next_skip(j_, moved - 1);
        }
        std::reverse(lines.begin(), lines.end());
        return lines;
    }

private:
    sd_journal* j_ = nullptr;
};

} // namespace

Result<std::vector<JournalLine>> journal_tail(const std::string& identifier, size_t max_lines) {
    Journal journal;
    if (auto opened = journal.open(identifier); !opened) {
        return std::move(opened).error();
    }
    if (max_lines == 0) {
        return std::vector<JournalLine>{};
    }
    return journal.tail(max_lines);
}

Result<void> journal_follow(const std::string& identifier, size_t initial,
                            const std::function<void(const JournalLine&)>& emit, const std::function<bool()>& stop) {
    Journal journal;
    if (auto opened = journal.open(identifier); !opened) {
        return std::move(opened).error();
    }
    auto lines = journal.tail(initial);
    if (!lines) {
        return std::move(lines).error();
    }
    for (const JournalLine& line : *lines) {
        emit(line);
    }
    // Where following starts, set again explicitly: after tail() walked backwards and
    // forwards, sd_journal_next() can miss entries appended meanwhile (more so with a
    // match and several journal files). From the newest entry's cursor when there was
    // one, else from the head: nothing of this identifier was there, so everything that
    // comes is new.
    char* cursor = nullptr;
    bool positioned = sd_journal_get_cursor(journal.get(), &cursor) >= 0 && cursor != nullptr;
    if (positioned) {
        int r = sd_journal_seek_cursor(journal.get(), cursor);
        std::free(cursor);
        // The entry at the cursor was shown already: step onto it, then past it below.
        if (r < 0 || sd_journal_next(journal.get()) < 0) {
            return make_error(ErrorCode::Failure, "cannot position in the journal");
        }
    } else if (int r = sd_journal_seek_head(journal.get()); r < 0) {
        return make_error(ErrorCode::Failure, std::string("cannot read the journal: ") + std::strerror(-r));
    }
    while (!stop()) {
        int r = sd_journal_next(journal.get());
        if (r < 0) {
            return make_error(ErrorCode::Failure, std::string("cannot read the journal: ") + std::strerror(-r));
        }
        if (r > 0) {
            emit(journal.line());
            continue;
        }
        // Bounded, so that stop() is asked again soon after a signal that did not wake us.
        r = sd_journal_wait(journal.get(), 250000);
        if (r < 0 && r != -EINTR) {
            return make_error(ErrorCode::Failure, std::string("cannot wait on the journal: ") + std::strerror(-r));
        }
    }
    return {};
}

} // namespace ggl::systemd
