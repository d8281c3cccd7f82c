// `ggl config --db` in the helper program ggl-config-db: the same store code as
// ggconfigd, on the file directly.
#include "config_access.hpp"

#include "ggl/cli/completion.hpp"
#include "ggl/config_store.hpp"

namespace ggl::config_cli {
namespace {

// Refusals by the store read the same with or without the daemon: marked as the
// answer of the configuration store, so both modes end with the same exit status.
template <typename T>
Result<T> as_store_answer(Result<T> result) {
    if (result.ok()) {
        return result;
    }
    Error error = std::move(result).error();
    switch (error.code) {
    case ErrorCode::Conflict:
    case ErrorCode::Invalid:
    case ErrorCode::Noentry:
    case ErrorCode::Unsupported: error.remote = true; break;
    default: break;
    }
    return error;
}

class DatabaseAccess final : public ConfigAccess {
public:
    explicit DatabaseAccess(std::unique_ptr<config::ConfigStore> store) : store_(std::move(store)) {}

    Result<Object> read(const config::KeyPath& path) override { return as_store_answer(store_->read(path)); }

    Result<std::vector<std::string>> list(const config::KeyPath& path) override {
        return as_store_answer(store_->list(path));
    }

    Result<void> write(const config::KeyPath& path, const Object& value, std::optional<int64_t> timestamp) override {
        return as_store_answer(store_->write(path, value, timestamp.value_or(config::now_ms())));
    }

    Result<void> remove(const config::KeyPath& path, std::optional<int64_t> timestamp) override {
        return as_store_answer(store_->remove(path, timestamp));
    }

    Result<void> backup(const std::string& name) override { return as_store_answer(store_->backup(name)); }
    Result<void> restore(const std::string& name) override { return as_store_answer(store_->restore(name)); }

    Result<size_t> replay_tlog(const std::string& file, std::string_view text,
                               std::vector<std::string>& problems) override {
        auto report = config::import_tlog_text(*store_, file, text);
        if (!report) {
            return std::move(report).error();
        }
        problems.insert(problems.end(), report->problems.begin(), report->problems.end());
        return report->applied;
    }

    Result<void> watch(const config::KeyPath&, const std::function<bool(const Object&)>&) override {
        return make_error(ErrorCode::Unsupported,
                          "watch needs ggconfigd: changes are announced by the daemon (drop --db)");
    }

private:
    std::unique_ptr<config::ConfigStore> store_;
};

} // namespace

Result<void> reach_database() { return {}; }

Result<std::unique_ptr<ConfigAccess>> make_database_access(const std::string& path) {
    auto store = config::ConfigStore::open(path);
    if (!store) {
        return std::move(store).error();
    }
    return std::unique_ptr<ConfigAccess>(std::make_unique<DatabaseAccess>(std::move(*store)));
}

Result<std::unique_ptr<ConfigAccess>> open_database_for_completion(const std::string& path) {
    config::OpenOptions options;
    options.create = false;
    options.busy_timeout_ms = static_cast<int>(cli::kCompletionTimeout.count());
    auto store = config::ConfigStore::open(path, options);
    if (!store) {
        return std::move(store).error();
    }
    return std::unique_ptr<ConfigAccess>(std::make_unique<DatabaseAccess>(std::move(*store)));
}

} // namespace ggl::config_cli
