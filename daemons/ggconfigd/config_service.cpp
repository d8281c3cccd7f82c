// The gg_config methods: parameter checks, then one store request each.
#include "config_service.hpp"

#include "ggl/log.hpp"
#include "ggl/services/config.hpp"

#include <memory>

namespace ggl::configd {
namespace {

namespace contract = services::config;
namespace param = services::config::param;

Result<config::KeyPath> key_path_param(const bus::Call& call) {
    return config::key_path_from_object(*call.param(param::kKeyPath));
}

Result<std::optional<int64_t>> timestamp_param(const bus::Call& call) {
    const Object* timestamp = call.param(param::kTimestamp);
    if (!timestamp || timestamp->is_null()) {
        return std::optional<int64_t>();
    }
    if (timestamp->as_i64() < 0) {
        return make_error(ErrorCode::Invalid, "timestamp must be milliseconds since the epoch, not negative");
    }
    return std::optional<int64_t>(timestamp->as_i64());
}

// What a write or a delete changes: the key path, then the timestamp, checked in that order.
struct ChangeParams {
    config::KeyPath path;
    std::optional<int64_t> timestamp;
};

Result<ChangeParams> change_params(const bus::Call& call) {
    auto path = key_path_param(call);
    if (!path) {
        return std::move(path).error();
    }
    auto timestamp = timestamp_param(call);
    if (!timestamp) {
        return std::move(timestamp).error();
    }
    return ChangeParams{std::move(*path), *timestamp};
}

std::string backup_name_param(const bus::Call& call) {
    const Object* name = call.param(param::kName);
    return name && name->is_buffer() ? std::string(name->as_buffer()) : contract::kDefaultBackupName;
}

} // namespace

ConfigService::ConfigService(EventLoop& loop, bus::Server& server, std::unique_ptr<config::ConfigStore> store)
    : store_(std::move(store)), subscriptions_([this](const config::KeyPath& path) { return store_->read(path).ok(); }),
      commit_(
          loop, *store_, [this] { store_->end_read(); },
          [this](std::vector<GroupCommit::Finished>& group) { finish_group(group); }) {
    // A burst of reads handled in one turn of the loop shares one read transaction; it
    // ends before the loop sleeps (and before a group of changes is applied).
    loop.add_before_wait([this] { store_->end_read(); });
    register_methods(server);
}

void ConfigService::register_methods(bus::Server& server) {
    server.add_call(contract::kRead.spec(), [this](const bus::Call& call) { return read(call); });
    server.add_call(contract::kList.spec(), [this](const bus::Call& call) { return list(call); });
    server.add_async_call(contract::kWrite.spec(), [this](bus::Call call) { write(std::move(call)); });
    server.add_async_call(contract::kDelete.spec(), [this](bus::Call call) { remove(std::move(call)); });
    server.add_async_call(contract::kBackup.spec(), [this](bus::Call call) { backup(std::move(call)); });
    server.add_async_call(contract::kRestore.spec(), [this](bus::Call call) { restore(std::move(call)); });
    server.add_subscribe(contract::kSubscribe.spec(),
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
    auto params = change_params(call);
    if (!params) {
        call.fail(std::move(params).error());
        return;
    }
    int64_t ts = params->timestamp.value_or(config::now_ms());
    const Object* fail_if_older = call.param(param::kFailIfOlder);
    auto older = fail_if_older != nullptr && fail_if_older->is_bool() && fail_if_older->as_bool()
                     ? config::ConfigStore::OlderWrite::Fail
                     : config::ConfigStore::OlderWrite::Ignore;
    // The call (and so its params) outlives the change: the value is not copied.
    const Object* value = call.param(param::kValue);
    submit(std::move(call), [path = std::move(params->path), value, ts, older](config::ConfigStore& store,
                                                                               std::vector<config::Change>& changes) {
        return store.write(path, *value, ts, &changes, older);
    });
}

void ConfigService::remove(bus::Call call) {
    auto params = change_params(call);
    if (!params) {
        call.fail(std::move(params).error());
        return;
    }
    submit(std::move(call), [path = std::move(params->path),
                             ts = params->timestamp](config::ConfigStore& store, std::vector<config::Change>& changes) {
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
    auto path = config::key_path_from_object(*subscription.param(param::kKeyPath));
    if (!path) {
        subscription.reject(std::move(path).error());
        return;
    }
    subscriptions_.add(std::move(*path), std::move(subscription));
}

} // namespace ggl::configd
