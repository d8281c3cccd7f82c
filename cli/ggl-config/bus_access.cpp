// `ggl config` through ggconfigd: each verb is one gg_config request.
#include "config_access.hpp"

#include "ggl/cli/subscription.hpp"
#include "ggl/config_files.hpp"
#include "ggl/services/config.hpp"

namespace ggl::config_cli {
namespace {

class BusAccess final : public ConfigAccess {
public:
    explicit BusAccess(std::chrono::milliseconds timeout)
        : client_(bus::ClientOptions{timeout, 0}, services::ConfigClient::Errors::AsAnswered) {}

    Result<Object> read(const config::KeyPath& path) override { return client_.read(path); }

    Result<std::vector<std::string>> list(const config::KeyPath& path) override { return client_.list(path); }

    Result<void> write(const config::KeyPath& path, const Object& value, std::optional<int64_t> timestamp) override {
        return client_.write(path, value, timestamp);
    }

    Result<void> remove(const config::KeyPath& path, std::optional<int64_t> timestamp) override {
        return client_.remove(path, timestamp);
    }

    Result<void> backup(const std::string& name) override { return client_.backup(name); }

    Result<void> restore(const std::string& name) override { return client_.restore(name); }

    Result<size_t> replay_tlog(const std::string& file, std::string_view text,
                               std::vector<std::string>& problems) override {
        config::TlogParse parse = config::parse_tlog_text(file, text);
        problems.insert(problems.end(), parse.problems.begin(), parse.problems.end());
        size_t applied = 0;
        for (const config::TlogEntry& entry : parse.entries) {
            Result<void> done;
            switch (entry.kind) {
            case config::TlogEntry::Kind::Changed: done = write(entry.key_path, entry.value, entry.timestamp); break;
            case config::TlogEntry::Kind::Removed: done = remove(entry.key_path, entry.timestamp); break;
            case config::TlogEntry::Kind::InteriorAdded: done = write(entry.key_path, Map{}, entry.timestamp); break;
            case config::TlogEntry::Kind::Ignored: break;
            }
            if (!done) {
                if (!done.error().remote) {
                    return std::move(done).error(); // the daemon went away: stop here
                }
                problems.push_back(file + ":" + std::to_string(entry.line) + ": " + done.error().to_string());
                continue;
            }
            ++applied;
        }
        return applied;
    }

    // Ctrl-C (after cli::install_stop_handlers) and on_event returning false cancel the
    // subscription on the bus; both are a success.
    Result<void> watch(const config::KeyPath& path, const std::function<bool(const Object&)>& on_event) override {
        auto streamed = cli::stream_subscription(client_.bus(), services::config::kSubscribe.name,
                                                 services::config::key_path_params(path),
                                                 client_.bus().options().timeout, on_event);
        if (!streamed) {
            return std::move(streamed).error();
        }
        return {};
    }

private:
    services::ConfigClient client_;
};

} // namespace

std::unique_ptr<ConfigAccess> make_bus_access(std::chrono::milliseconds timeout) {
    return std::make_unique<BusAccess>(timeout);
}

bool daemon_is_running() {
    services::ConfigClient client(bus::ClientOptions{std::chrono::milliseconds(500), 0});
    return client.connect().ok();
}

} // namespace ggl::config_cli
