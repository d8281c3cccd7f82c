// Loading $GGL_CONFIG_DIR/config.yaml and config.d/*.{yaml,yml,json} at start.
#include "startup_config.hpp"

#include "ggl/log.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace ggl::configd {
namespace {

bool is_config_file_name(std::string_view name) {
    for (std::string_view suffix : {".yaml", ".yml", ".json"}) {
        if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
            return name.front() != '.';
        }
    }
    return false;
}

std::vector<std::string> drop_in_files(const std::string& dir) {
    std::vector<std::string> names;
    DIR* listing = ::opendir(dir.c_str());
    if (!listing) {
        if (errno != ENOENT) {
            GGL_LOGE("%s: cannot list: %s", dir.c_str(), std::strerror(errno));
        }
        return names;
    }
    while (dirent* entry = ::readdir(listing)) {
        if (is_config_file_name(entry->d_name)) {
            names.emplace_back(entry->d_name);
        }
    }
    ::closedir(listing);
    // Byte order, as systemd orders drop-ins: 10-base.yaml before 20-site.yaml.
    std::sort(names.begin(), names.end());
    for (auto& name : names) {
        name = dir + "/" + name;
    }
    return names;
}

bool load_file(config::ConfigStore& store, const std::string& file) {
    auto content = config::load_config_file(file);
    if (!content) {
        GGL_LOGE("%s (file skipped)", content.error().message.c_str());
        return false;
    }
    if (auto written = store.write({}, Object(std::move(*content)), config::kConfigFileTimestamp); !written) {
        GGL_LOGE("%s: not loaded: %s", file.c_str(), written.error().to_string().c_str());
        return false;
    }
    GGL_LOGI("loaded %s", file.c_str());
    return true;
}

} // namespace

size_t load_startup_config(config::ConfigStore& store, const std::string& config_dir) {
    std::vector<std::string> files;
    std::string main_file = config_dir + "/config.yaml";
    struct stat info {};
    if (::stat(main_file.c_str(), &info) == 0) {
        files.push_back(main_file);
    }
    for (auto& file : drop_in_files(config_dir + "/config.d")) {
        files.push_back(std::move(file));
    }
    size_t failed = 0;
    for (const auto& file : files) {
        failed += load_file(store, file) ? 0 : 1;
    }
    return failed;
}

} // namespace ggl::configd
