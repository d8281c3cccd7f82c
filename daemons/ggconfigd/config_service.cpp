// The gg_config methods: parameter checks, then one store request each.
#include "config_service.hpp"

#include "ggl/log.hpp"

#include <memory>

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

ConfigService::ConfigService(EventLoop& loop, bus::Server& server, std::unique_ptr<config::ConfigStore> store)
    : store_(std::move(store)),
      subscriptions_([this](const config::KeyPath& path) { return store_->read(path).ok(); }),
      commit_(
          loop, *store_, [this] { store_->end_read(); },
          [this](std::vector<GroupCommit::Finished>& group) { finish_group(group); }) {
    // A burst of reads handled in one turn of the loop shares one read transaction; it
    // ends before the loop sleeps (and before a group of changes is applied).
    loop.add_before_wait([this] { store_->end_read(); });
    register_methods(server);
}

void ConfigService::register_methods(bus::Server& server) {
    server.add_call({"read", {key_path_spec("Key to read; [] is the whole tree")},
                     "The value at key_path (maps rebuilt). NOENTRY when absent."},
                    [this](const bus::Call& call) { return read(call); });
    server.add_call({"list", {key_path_spec("Map whose children to list; [] is the top level")},
                     "Child names of the map at key_path. NOENTRY when absent, INVALID on a value."},
                    [this](const bus::Call& call) { return list(call); });
    server.add_async_call({"write",
                           {key_path_spec("Key to write; [] merges a map at the top level"),
                            {"value", ParamType::Any, true, "Value or map; maps merge recursively"},
                            {"timestamp", ParamType::Int, false, "ms since the epoch (default: now)"},
                            {"fail_if_older", ParamType::Bool, false,
                             "true: a stored value newer than timestamp fails the write with EXPECTED, nothing written"}},
                           "Merges value at key_path; a value older than the stored one is ignored. "
                           "CONFLICT for a value onto a map or a map onto a value. Answered once durable."},
                          [this](bus::Call call) { write(std::move(call)); });
    server.add_async_call({"delete",
                           {key_path_spec("Key to delete with everything below it"),
                            {"timestamp", ParamType::Int, false, "Keep values written after this (ms)"}},
                           "Deletes key_path recursively; a missing key is OK. Answered once durable."},
                          [this](bus::Call call) { remove(std::move(call)); });
    server.add_async_call({"backup",
                           {{"name", ParamType::String, false, "Snapshot name (default \"default\")"}},
                           "Snapshots the whole configuration under name."},
                          [this](bus::Call call) { backup(std::move(call)); });
    server.add_async_call({"restore",
                           {{"name", ParamType::String, false, "Snapshot name (default \"default\")"}},
                           "Replaces the configuration with a snapshot; subscribers of changed keys are told."},
                          [this](bus::Call call) { restore(std::move(call)); });
    server.add_subscribe({"subscribe", {key_path_spec("Key to watch; it need not exist yet")},
                          "Events {key_path, deleted?} for every change at or below key_path."},
                         [this](bus::Subscription subscription) { subscribe(std::move(subscription)); });
}

Result<Object> ConfigService::read(const bus::Call& call) {
    auto path = key_path_param(call);
    if (!path) {
        return std::move(path).error();
    }
    if (auto begun = store_->begin_read(); !begun) {
        return std::move(begun).error();
    }
    return store_->read(*path);
}

Result<Object> ConfigService::list(const bus::Call& call) {
    auto path = key_path_param(call);
    if (!path) {
        return std::move(path).error();
    }
    if (auto begun = store_->begin_read(); !begun) {
        return std::move(begun).error();
    }
    auto names = store_->list(*path);
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

void ConfigService::submit(bus::Call call, GroupCommit::Change change, bool alone) {
    // std::function needs a copyable callable; the call is answered once, from the loop.
    auto shared = std::make_shared<bus::Call>(std::move(call));
    auto done = [shared](Result<void> outcome, std::vector<config::Change>) {
        if (outcome) {
            shared->reply(Object());
            return;
        }
        ErrorCode code = outcome.error().code;
        if (code != ErrorCode::Conflict && code != ErrorCode::Invalid && code != ErrorCode::Noentry) {
            GGL_LOGE("%s %s", shared->method().c_str(), outcome.error().message.c_str());
        }
        shared->fail(std::move(outcome).error());
    };
    if (alone) {
        commit_.submit_alone(std::move(change), std::move(done));
    } else {
        commit_.submit(std::move(change), std::move(done));
    }
}

void ConfigService::finish_group(std::vector<GroupCommit::Finished>& group) {
    for (auto& finished : group) {
        subscriptions_.notify(finished.changes);
    }
    for (auto& finished : group) {
        finished.done(std::move(finished.outcome), std::move(finished.changes));
    }
}

void ConfigService::write(bus::Call call) {
    auto path = key_path_param(call);
    if (!path) {
        call.fail(std::move(path).error());
        return;
    }
    auto timestamp = timestamp_param(call);
    if (!timestamp) {
        call.fail(std::move(timestamp).error());
        return;
    }
    int64_t ts = timestamp->value_or(config::now_ms());
    const Object* fail_if_older = call.param("fail_if_older");
    auto older = fail_if_older != nullptr && fail_if_older->is_bool() && fail_if_older->as_bool()
                     ? config::ConfigStore::OlderWrite::Fail
                     : config::ConfigStore::OlderWrite::Ignore;
    // The call (and so its params) outlives the change: the value is not copied.
    const Object* value = call.param("value");
    submit(std::move(call), [path = std::move(*path), value, ts, older](config::ConfigStore& store,
                                                                         std::vector<config::Change>& changes) {
        return store.write(path, *value, ts, &changes, older);
    });
}

void ConfigService::remove(bus::Call call) {
    auto path = key_path_param(call);
    if (!path) {
        call.fail(std::move(path).error());
        return;
    }
    auto timestamp = timestamp_param(call);
    if (!timestamp) {
        call.fail(std::move(timestamp).error());
        return;
    }
    submit(std::move(call), [path = std::move(*path), ts = *timestamp](config::ConfigStore& store,
                                                                      std::vector<config::Change>& changes) {
        return store.remove(path, ts, &changes);
    });
}

void ConfigService::backup(bus::Call call) {
    std::string name = backup_name_param(call);
    submit(
        std::move(call),
        [name](config::ConfigStore& store, std::vector<config::Change>&) -> Result<void> {
            auto made = store.backup(name);
            if (made) {
                GGL_LOGI("configuration backed up as '%s'", name.c_str());
            }
            return made;
        },
        true);
}

void ConfigService::restore(bus::Call call) {
    std::string name = backup_name_param(call);
    submit(
        std::move(call),
        [name](config::ConfigStore& store, std::vector<config::Change>& changes) -> Result<void> {
            auto restored = store.restore(name, &changes);
            if (restored) {
                GGL_LOGI("configuration restored from '%s'", name.c_str());
            }
            return restored;
        },
        true);
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
