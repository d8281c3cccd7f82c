// gg_config over the bus: every method's params in one place, errors naming the key.
#include "ggl/config_client.hpp"

namespace ggl::config {
namespace {

List path_object(const KeyPath& path) {
    List list;
    list.reserve(path.size());
    for (const std::string& segment : path) {
        list.emplace_back(segment);
    }
    return list;
}

} // namespace

std::string key_path_text(const KeyPath& path) {
    std::string text;
    for (const std::string& segment : path) {
        text += (text.empty() ? "" : "/") + segment;
    }
    return text;
}

Client::Client(bus::ClientOptions options) : client_(bus::Client::for_service("gg_config", options)) {}

Result<void> Client::connect() {
    if (client_.connected()) {
        return {};
    }
    return client_.connect();
}

Result<Object> Client::call(std::string_view method, Map params, const KeyPath* path) {
    auto result = client_.call(method, std::move(params));
    if (!result && path != nullptr) {
        Error error = std::move(result).error();
        error.message = "gg_config " + std::string(method) + " " + key_path_text(*path) + ": " + error.message;
        return error;
    }
    return result;
}

Result<Object> Client::read(const KeyPath& path) {
    return call("read", Map{{"key_path", path_object(path)}}, &path);
}

Result<std::optional<Object>> Client::read_optional(const KeyPath& path) {
    auto value = client_.call("read", Map{{"key_path", path_object(path)}});
    if (value) {
        return std::optional<Object>(std::move(*value));
    }
    if (value.error().code == ErrorCode::Noentry && value.error().remote) {
        return std::optional<Object>();
    }
    Error error = std::move(value).error();
    error.message = "gg_config read " + key_path_text(path) + ": " + error.message;
    return error;
}

Result<std::vector<std::string>> Client::list(const KeyPath& path) {
    auto value = call("list", Map{{"key_path", path_object(path)}}, &path);
    if (!value) {
        return std::move(value).error();
    }
    std::vector<std::string> names;
    if (const List* list = value->if_list()) {
        for (const Object& name : *list) {
            if (name.is_buffer()) {
                names.emplace_back(name.as_buffer());
            }
        }
    }
    return names;
}

Result<void> Client::write(const KeyPath& path, Object value, std::optional<int64_t> timestamp) {
    Map params{{"key_path", path_object(path)}, {"value", std::move(value)}};
    if (timestamp) {
        params.set("timestamp", *timestamp);
    }
    auto result = call("write", std::move(params), &path);
    if (!result) {
        return std::move(result).error();
    }
    return {};
}

Result<void> Client::remove(const KeyPath& path) {
    auto result = call("delete", Map{{"key_path", path_object(path)}}, &path);
    if (!result) {
        return std::move(result).error();
    }
    return {};
}

Result<void> Client::backup(std::string_view name) {
    auto result = client_.call("backup", Map{{"name", std::string(name)}});
    if (!result) {
        Error error = std::move(result).error();
        error.message = "gg_config backup " + std::string(name) + ": " + error.message;
        return error;
    }
    return {};
}

Result<void> Client::restore(std::string_view name) {
    auto result = client_.call("restore", Map{{"name", std::string(name)}});
    if (!result) {
        Error error = std::move(result).error();
        error.message = "gg_config restore " + std::string(name) + ": " + error.message;
        return error;
    }
    return {};
}

} // namespace ggl::config
