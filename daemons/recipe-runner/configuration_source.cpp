// Where the runner gets configuration: ggconfigd over the bus, else a config file offline.
#include "phase_runner.hpp"

#include "ggl/env.hpp"
#include "ggl/log.hpp"
#include "ggl/services/config.hpp"

#include <sys/stat.h>

namespace ggl::runner {
namespace {

// Reads key_path from gg_config into tree at the same place; a missing key leaves it out.
Result<void> read_into(services::ConfigClient& client, Map& tree, const config::KeyPath& key_path) {
    auto value = client.read_optional(key_path);
    if (!value) {
        return std::move(value).error();
    }
    if (!value->has_value()) {
        return {};
    }
    Map* node = &tree;
    for (size_t i = 0; i + 1 < key_path.size(); ++i) {
        Object* child = node->find(key_path[i]);
        if (child == nullptr || !child->is_map()) {
            child = &node->set(key_path[i], Map{});
        }
        node = &child->as_map();
    }
    node->set(key_path.back(), std::move(**value));
    return {};
}

} // namespace

Result<DeviceSettings> load_device_settings(const RunRequest& request, const Recipe& recipe) {
    if (!request.config_file.empty()) {
        return read_device_settings_file(request.config_file);
    }
    bus::ClientOptions options;
    options.timeout = std::chrono::milliseconds(5000);
    services::ConfigClient client(options, services::ConfigClient::Errors::AsAnswered);
    if (auto connected = client.connect(); connected) {
        Map tree;
        std::vector<config::KeyPath> paths = {{"system"}, {"services", kNucleusComponent}, {"services", recipe.name}};
        for (const Dependency& dependency : recipe.dependencies) {
            paths.push_back({"services", dependency.name});
        }
        for (const auto& path : paths) {
            // A configuration that cannot be read must not run the script with defaults.
            if (auto read = read_into(client, tree, path); !read) {
                return make_error(read.error().code,
                                  "reading " + path.back() + " from gg_config: " + read.error().message);
            }
        }
        return device_settings_from_tree(tree);
    } else {
        GGL_LOGD("gg_config not reachable (%s); using the configuration file", connected.error().message.c_str());
    }
    std::string file = env::config_dir() + "/config.yaml";
    struct stat info {};
    if (::stat(file.c_str(), &info) == 0) {
        return read_device_settings_file(file);
    }
    return device_settings_from_tree(Map{});
}

} // namespace ggl::runner
