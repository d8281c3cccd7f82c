// How `ggl config` reaches the configuration: ggconfigd over the bus, or the database
// file itself (--db). The verbs are written once against this interface.
#pragma once

#include "ggl/config_path.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::config_cli {

class ConfigAccess {
public:
    virtual ~ConfigAccess() = default;

    virtual Result<Object> read(const config::KeyPath& path) = 0;
    virtual Result<std::vector<std::string>> list(const config::KeyPath& path) = 0;
    // No timestamp: now.
    virtual Result<void> write(const config::KeyPath& path, const Object& value, std::optional<int64_t> timestamp) = 0;
    virtual Result<void> remove(const config::KeyPath& path, std::optional<int64_t> timestamp) = 0;
    virtual Result<void> backup(const std::string& name) = 0;
    virtual Result<void> restore(const std::string& name) = 0;
    // Replays a tlog's text, read from file (named in problems); the database applies it
    // in one transaction, the daemon one request per line. Lines it could not read or
    // apply are added to problems.
    virtual Result<size_t> replay_tlog(const std::string& file, std::string_view text,
                                       std::vector<std::string>& problems) = 0;
    // Calls on_event for each event until it returns false. UNSUPPORTED without a daemon.
    virtual Result<void> watch(const config::KeyPath& path, const std::function<bool(const Object&)>& on_event) = 0;
};

std::unique_ptr<ConfigAccess> make_bus_access(std::chrono::milliseconds timeout);

// The database file itself (--db) is opened only in the helper program ggl-config-db
// (database_access.cpp): the ggl executable does not map sqlite. There
// (database_handoff.cpp), reach_database() hands the whole command over to
// ggl-config-db, which parses the same words, and returns only when it cannot; so do
// the two below, which ggl reaches only in completion. In ggl-config-db,
// reach_database() returns at once. Called once the command line is parsed, before the
// verb reads anything.
Result<void> reach_database();
// UNAUTHORIZED, NOENTRY or FAILURE when the file cannot be opened as a database.
Result<std::unique_ptr<ConfigAccess>> make_database_access(const std::string& path);
// For completion: an existing file only, never created, waiting at most
// cli::kCompletionTimeout for a lock.
Result<std::unique_ptr<ConfigAccess>> open_database_for_completion(const std::string& path);

// True when ggconfigd answers on its socket (so --db changes reach no subscriber).
bool daemon_is_running();

} // namespace ggl::config_cli
