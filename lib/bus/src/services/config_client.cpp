// gg_config over the bus: ConfigClient (ggl/services/config.hpp).
#include "ggl/services/config.hpp"

namespace ggl::services {

namespace {

// A call whose answer carries nothing: only whether it worked.
Result<void> without_answer(Result<Object> result) {
    if (!result) {
        return std::move(result).error();
    }
    return {};
}

} // namespace

namespace config {

Map key_path_params(const KeyPath& path) { return Map{{param::kKeyPath, ggl::config::key_path_to_object(path)}}; }

} // namespace config

ConfigClient::ConfigClient(bus::ClientOptions options, Errors errors)
    : client_(bus::Client::for_service(config::kService, options)), errors_(errors) {}

Result<void> ConfigClient::connect() {
    if (client_.connected()) {
        return {};
    }
    return client_.connect();
}

Result<Object> ConfigClient::call(const Method& method, Map params, std::string_view what) {
    auto result = client_.call(method.name, std::move(params));
    if (!result && errors_ == Errors::Named) {
        Error error = std::move(result).error();
        error.message = config::kService + std::string(" ") + std::string(method.name) + " " + std::string(what) +
                        ": " + error.message;
        return error;
    }
    return result;
}

Result<Object> ConfigClient::read(const config::KeyPath& path) {
    return call(config::kRead, config::key_path_params(path), ggl::config::key_path_to_text(path));
}

Result<std::optional<Object>> ConfigClient::read_optional(const config::KeyPath& path) {
    auto value = client_.call(config::kRead.name, config::key_path_params(path));
    if (value) {
        return std::optional<Object>(std::move(*value));
    }
    if (value.error().code == ErrorCode::Noentry && value.error().remote) {
        return std::optional<Object>();
    }
    Error error = std::move(value).error();
    if (errors_ == Errors::Named) {
        error.message =
            config::kService + std::string(" read ") + ggl::config::key_path_to_text(path) + ": " + error.message;
    }
    return error;
}

Result<std::vector<std::string>> ConfigClient::list(const config::KeyPath& path) {
    auto value = call(config::kList, config::key_path_params(path), ggl::config::key_path_to_text(path));
    if (!value) {
        return std::move(value).error();
    }
    const List* list = value->if_list();
    if (list == nullptr) {
        return make_error(ErrorCode::Remote, std::string(config::kService) + ".list answered with a " +
                                                 std::string(type_name(value->type())) + ", not a list");
    }
    std::vector<std::string> names;
    for (const Object& name : *list) {
        if (name.is_buffer()) {
            names.emplace_back(name.as_buffer());
        }
    }
    return names;
}

Result<void> ConfigClient::write(const config::KeyPath& path, Object value, std::optional<int64_t> timestamp) {
    Map params = config::key_path_params(path);
    params.set(config::param::kValue, std::move(value));
    if (timestamp) {
        params.set(config::param::kTimestamp, *timestamp);
    }
    return without_answer(call(config::kWrite, std::move(params), ggl::config::key_path_to_text(path)));
}

Result<void> ConfigClient::remove(const config::KeyPath& path, std::optional<int64_t> timestamp) {
    Map params = config::key_path_params(path);
    if (timestamp) {
        params.set(config::param::kTimestamp, *timestamp);
    }
    return without_answer(call(config::kDelete, std::move(params), ggl::config::key_path_to_text(path)));
}

Result<void> ConfigClient::backup(std::string_view name) {
    return without_answer(call(config::kBackup, Map{{config::param::kName, std::string(name)}}, name));
}

Result<void> ConfigClient::restore(std::string_view name) {
    return without_answer(call(config::kRestore, Map{{config::param::kName, std::string(name)}}, name));
}

} // namespace ggl::services
