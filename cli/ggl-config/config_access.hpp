// How `ggl config` reaches the configuration: ggconfigd over the bus, or the database
// file itself (--db). The verbs are written once against this interface.
#pragma once

#include "ggl/config_store.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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
    // Replays a parsed tlog; the database applies it in one transaction, the daemon
    // one request per line. Lines it could not apply are added to problems.
    virtual Result<size_t> replay_tlog(const std::string& file, std::vector<std::string>& problems) = 0;
    // Calls on_event for each event until it returns false. UNSUPPORTED without a daemon.
    virtual Result<void> watch(const config::KeyPath& path, const std::function<bool(const Object&)>& on_event) = 0;
};

std::unique_ptr<ConfigAccess> make_bus_access(std::chrono::milliseconds timeout);
// UNAUTHORIZED, NOENTRY or FAILURE when the file cannot be opened as a database.
Result<std::unique_ptr<ConfigAccess>> make_database_access(const std::string& path);
// Over a store opened by the caller (with its own open options).
std::unique_ptr<ConfigAccess> make_database_access(std::unique_ptr<config::ConfigStore> store);

// True when ggconfigd answers on its socket (so --db changes reach no subscriber).
bool daemon_is_running();

} // namespace ggl::config_cli
