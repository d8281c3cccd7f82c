// The gg_config contract (ggconfigd; docs/configuration.md): the service, its methods and
// their parameters, and ConfigClient, the typed client every caller uses.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/config_path.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/services/contract.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::services::config {

using ggl::config::KeyPath;

inline constexpr const char* kService = "gg_config";

namespace param {
inline constexpr const char* kKeyPath = "key_path";
inline constexpr const char* kValue = "value";
inline constexpr const char* kTimestamp = "timestamp";
inline constexpr const char* kFailIfOlder = "fail_if_older";
inline constexpr const char* kName = "name"; // of a backup
} // namespace param

// Events of subscribe: {key_path, deleted?}.
namespace event {
inline constexpr const char* kKeyPath = "key_path";
inline constexpr const char* kDeleted = "deleted";
} // namespace event

inline constexpr const char* kDefaultBackupName = "default";

inline constexpr Param kReadParams[] = {{param::kKeyPath, ParamType::List, true, "Key to read; [] is the whole tree"}};
inline constexpr Method kRead{"read", MethodKind::Call, kReadParams,
                              "The value at key_path (maps rebuilt). NOENTRY when absent."};

inline constexpr Param kListParams[] = {
    {param::kKeyPath, ParamType::List, true, "Map whose children to list; [] is the top level"}};
inline constexpr Method kList{"list", MethodKind::Call, kListParams,
                              "Child names of the map at key_path. NOENTRY when absent, INVALID on a value."};

inline constexpr Param kWriteParams[] = {
    {param::kKeyPath, ParamType::List, true, "Key to write; [] merges a map at the top level"},
    {param::kValue, ParamType::Any, true, "Value or map; maps merge recursively"},
    {param::kTimestamp, ParamType::Int, false, "ms since the epoch (default: now)"},
    {param::kFailIfOlder, ParamType::Bool, false,
     "true: a stored value newer than timestamp fails the write with EXPECTED, nothing written"}};
inline constexpr Method kWrite{"write", MethodKind::Call, kWriteParams,
                               "Merges value at key_path; a value older than the stored one is ignored. "
                               "CONFLICT for a value onto a map or a map onto a value. Answered once durable."};

inline constexpr Param kDeleteParams[] = {
    {param::kKeyPath, ParamType::List, true, "Key to delete with everything below it"},
    {param::kTimestamp, ParamType::Int, false, "Keep values written after this (ms)"}};
inline constexpr Method kDelete{"delete", MethodKind::Call, kDeleteParams,
                                "Deletes key_path recursively; a missing key is OK. Answered once durable."};

inline constexpr Param kBackupParams[] = {
    {param::kName, ParamType::String, false, "Snapshot name (default \"default\")"}};
inline constexpr Method kBackup{"backup", MethodKind::Call, kBackupParams,
                                "Snapshots the whole configuration under name."};
inline constexpr Method kRestore{"restore", MethodKind::Call, kBackupParams,
                                 "Replaces the configuration with a snapshot; subscribers of changed keys are told."};

inline constexpr Param kSubscribeParams[] = {
    {param::kKeyPath, ParamType::List, true, "Key to watch; it need not exist yet"}};
inline constexpr Method kSubscribe{"subscribe", MethodKind::Subscribe, kSubscribeParams,
                                   "Events {key_path, deleted?} for every change at or below key_path."};

// {key_path: [...]}: the params of read, list and subscribe.
Map key_path_params(const KeyPath& path);

} // namespace ggl::services::config

namespace ggl::services {

// gg_config's typed client. Not thread-safe (a bus::Client inside).
class ConfigClient {
public:
    // How a failure reads: prefixed "gg_config METHOD KEY: " (for daemons, whose messages
    // name what they were doing), or as ggconfigd answered (for a CLI that prints it).
    enum class Errors { Named, AsAnswered };

    explicit ConfigClient(bus::ClientOptions options = {}, Errors errors = Errors::Named);

    // NOENTRY when absent.
    Result<Object> read(const config::KeyPath& path);
    // The value, or nullopt when absent (other errors stay errors).
    Result<std::optional<Object>> read_optional(const config::KeyPath& path);
    // REMOTE when ggconfigd answers something other than a list.
    Result<std::vector<std::string>> list(const config::KeyPath& path);
    // timestamp: ms since the epoch; nullopt: now (the daemon's clock).
    Result<void> write(const config::KeyPath& path, Object value, std::optional<int64_t> timestamp = std::nullopt);
    Result<void> remove(const config::KeyPath& path, std::optional<int64_t> timestamp = std::nullopt);
    Result<void> backup(std::string_view name);
    Result<void> restore(std::string_view name);

    // Reaches ggconfigd (connects if needed); NOCONN naming the socket otherwise.
    Result<void> connect();
    void disconnect() { client_.disconnect(); }
    // The connection, for streaming subscribe (config::kSubscribe, config::key_path_params).
    bus::Client& bus() { return client_; }

private:
    Result<Object> call(const Method& method, Map params, std::string_view what);
    bus::Client client_;
    Errors errors_;
};

} // namespace ggl::services
