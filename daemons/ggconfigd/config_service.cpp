// The gg_config methods: parameter checks, then one store request each.
#include "config_service.hpp"

#include "ggl/log.hpp"

namespace ggl::configd {
namespace {

using bus::Dispatch;
using bus::ParamType;

constexpr const char* kDefaultBackupName = "default";

Result<config::KeyPath> key_path_param(const bus::Call& call) {
    return config::key_path_from_object(*call.param("key_path"));
}

Result<std::optional<int64_t>> timestamp_param(const bus::Call& call) {
    const Object* timestamp = call.param("timestamp");
    if (!timestamp || timestamp->is_null()) {
        return std::optional<int64_t>();
    }
    if (timestamp->as_i64() < 0) {
        return make_error(ErrorCode::Invalid, "timestamp must be milliseconds since the epoch, not negative");
    }
    return std::optional<int64_t>(timestamp->as_i64());
}

std::string backup_name_param(const bus::Call& call) {
    const Object* name = call.param("name");
    return name && name->is_buffer() ? std::string(name->as_buffer()) : kDefaultBackupName;
}

bus::ParamSpec key_path_spec(const char* help) {
    return {"key_path", ParamType::List, true, help};
}

} // namespace

ConfigService::ConfigService(EventLoop& loop, bus::Server& server, std::unique_ptr<config::ConfigStore> reader,
                             std::unique_ptr<config::ConfigStore> writer)
    : loop_(loop), reader_(std::move(reader)), writer_(std::move(writer)),
      subscriptions_([this](const config::KeyPath& path) { return reader_->read(path).ok(); }) {
    register_methods(server);
}

void ConfigService::register_methods(bus::Server& server) {
    server.add_call({"read", {key_path_spec("Key to read; [] is the whole tree")},
                     "The value at key_path (maps rebuilt). NOENTRY when absent."},
                    [this](const bus::Call& call) { return read(call); });
    server.add_call({"list", {key_path_spec("Map whose children to list; [] is the top level")},
                     "Child names of the map at key_path. NOENTRY when absent, INVALID on a value."},
                    [this](const bus::Call& call) { return list(call); });
    server.add_call({"write",
                     {key_path_spec("Key to write; [] merges a map at the top level"),
                      {"value", ParamType::Any, true, "Value or map; maps merge recursively"},
                      {"timestamp", ParamType::Int, false, "ms since the epoch (default: now)"}},
                     "Merges value at key_path; a value older than the stored one is ignored. "
                     "CONFLICT for a value onto a map or a map onto a value.",
                     Dispatch::Worker},
                    [this](const bus::Call& call) { return write(call); });
    server.add_call({"delete",
                     {key_path_spec("Key to delete with everything below it"),
                      {"timestamp", ParamType::Int, false, "Keep values written after this (ms)"}},
                     "Deletes key_path recursively; a missing key is OK.",
                     Dispatch::Worker},
                    [this](const bus::Call& call) { return remove(call); });
    server.add_call({"backup",
                     {{"name", ParamType::String, false, "Snapshot name (default \"default\")"}},
                     "Snapshots the whole configuration under name.",
                     Dispatch::Worker},
                    [this](const bus::Call& call) { return backup(call); });
    server.add_call({"restore",
                     {{"name", ParamType::String, false, "Snapshot name (default \"default\")"}},
                     "Replaces the configuration with a snapshot; subscribers of changed keys are told.",
                     Dispatch::Worker},
                    [this](const bus::Call& call) { return restore(call); });
    server.add_subscribe({"subscribe", {key_path_spec("Key to watch; it need not exist yet")},
                          "Events {key_path, deleted?} for every change at or below key_path."},
                         [this](bus::Subscription subscription) { subscribe(std::move(subscription)); });
}

Result<Object> ConfigService::read(const bus::Call& call) {
    auto path = key_path_param(call);
    if (!path) {
        return std::move(path).error();
    }
    return reader_->read(*path);
}

Result<Object> ConfigService::list(const bus::Call& call) {
    auto path = key_path_param(call);
    if (!path) {
        return std::move(path).error();
    }
    auto names = reader_->list(*path);
    if (!names) {
        return std::move(names).error();
    }
    List result;
    result.reserve(names->size());
    for (auto& name : *names) {
        result.emplace_back(std::move(name));
    }
    return Object(std::move(result));
}

Result<Object> ConfigService::commit_change(
    const std::function<Result<void>(std::vector<config::Change>&)>& change) {
    std::vector<config::Change> changes;
    std::lock_guard lock(writer_mutex_);
    auto applied = change(changes);
    if (!applied) {
        if (applied.error().code != ErrorCode::Conflict && applied.error().code != ErrorCode::Invalid &&
            applied.error().code != ErrorCode::Noentry) {
            GGL_LOGE("%s", applied.error().message.c_str());
        }
        return std::move(applied).error();
    }
    if (!changes.empty()) {
        // Posted under the lock, so subscribers see changes in commit order.
        loop_.post([this, changes = std::move(changes)] { subscriptions_.notify(changes); });
    }
    return Object();
}

Result<Object> ConfigService::write(const bus::Call& call) {
    auto path = key_path_param(call);
    if (!path) {
        return std::move(path).error();
    }
    auto timestamp = timestamp_param(call);
    if (!timestamp) {
        return std::move(timestamp).error();
    }
    int64_t ts = timestamp->value_or(config::now_ms());
    const Object& value = *call.param("value");
    return commit_change([&](std::vector<config::Change>& changes) { return writer_->write(*path, value, ts, &changes); });
}

Result<Object> ConfigService::remove(const bus::Call& call) {
    auto path = key_path_param(call);
    if (!path) {
        return std::move(path).error();
    }
    auto timestamp = timestamp_param(call);
    if (!timestamp) {
        return std::move(timestamp).error();
    }
    return commit_change(
        [&](std::vector<config::Change>& changes) { return writer_->remove(*path, *timestamp, &changes); });
}

Result<Object> ConfigService::backup(const bus::Call& call) {
    std::string name = backup_name_param(call);
    std::lock_guard lock(writer_mutex_);
    auto made = writer_->backup(name);
    if (!made) {
        return std::move(made).error();
    }
    GGL_LOGI("configuration backed up as '%s'", name.c_str());
    return Object();
}

Result<Object> ConfigService::restore(const bus::Call& call) {
    std::string name = backup_name_param(call);
    auto restored = commit_change(
        [&](std::vector<config::Change>& changes) { return writer_->restore(name, &changes); });
    if (restored) {
        GGL_LOGI("configuration restored from '%s'", name.c_str());
    }
    return restored;
}

void ConfigService::subscribe(bus::Subscription subscription) {
    auto path = config::key_path_from_object(*subscription.param("key_path"));
    if (!path) {
        subscription.reject(std::move(path).error());
        return;
    }
    subscriptions_.add(std::move(*path), std::move(subscription));
}

} // namespace ggl::configd
