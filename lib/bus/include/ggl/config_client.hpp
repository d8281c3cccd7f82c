// A typed client for gg_config (docs/configuration.md), for daemons that read and change the
// configuration over the bus.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::config {

using KeyPath = std::vector<std::string>;

// "services/com.example.A/configuration" (segments joined with '/'), for messages.
std::string key_path_text(const KeyPath& path);

class Client {
public:
    explicit Client(bus::ClientOptions options = {});

    // NOENTRY when absent.
    Result<Object> read(const KeyPath& path);
    // The value, or nullopt when absent (other errors stay errors).
    Result<std::optional<Object>> read_optional(const KeyPath& path);
    Result<std::vector<std::string>> list(const KeyPath& path);
    // timestamp: ms since the epoch; nullopt: now (the daemon's clock).
    Result<void> write(const KeyPath& path, Object value, std::optional<int64_t> timestamp = std::nullopt);
    Result<void> remove(const KeyPath& path);
    Result<void> backup(std::string_view name);
    Result<void> restore(std::string_view name);

    // Reaches ggconfigd (connects if needed); NOCONN naming the socket otherwise.
    Result<void> connect();

private:
    Result<Object> call(std::string_view method, Map params, const KeyPath* path);
    bus::Client client_;
};

} // namespace ggl::config
