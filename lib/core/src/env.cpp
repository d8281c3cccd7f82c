// The environment and path contract (docs/processes.md).
#include "ggl/env.hpp"

#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace ggl::env {

namespace {

std::string get(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return fallback;
    }
    std::string text(value);
    // "/run/greengrass/" and "/run/greengrass" name the same directory.
    while (text.size() > 1 && text.back() == '/') {
        text.pop_back();
    }
    return text;
}

} // namespace

std::string runtime_dir() { return get("GGL_RUNTIME_DIR", "/run/greengrass"); }
std::string root_dir() { return get("GGL_ROOT", "/var/lib/greengrass"); }
std::string config_dir() { return get("GGL_CONFIG_DIR", "/etc/greengrass"); }

std::string config_db() {
    std::string db = get("GGL_CONFIG_DB", "");
    return db.empty() ? root_dir() + "/config.db" : db;
}

SystemdScope systemd_scope() {
    return get("GGL_SYSTEMD_SCOPE", "system") == "user" ? SystemdScope::User : SystemdScope::System;
}

std::string unit_dir() {
    std::string dir = get("GGL_UNIT_DIR", "");
    if (!dir.empty()) {
        return dir;
    }
    if (systemd_scope() == SystemdScope::System) {
        return "/etc/systemd/system";
    }
    std::string config_home = get("XDG_CONFIG_HOME", "");
    if (config_home.empty()) {
        config_home = get("HOME", "/root") + "/.config";
    }
    return config_home + "/systemd/user";
}

size_t bus_max_frame() {
    const char* value = std::getenv("GGL_BUS_MAX_FRAME");
    if (value == nullptr || *value == '\0') {
        return 4u << 20;
    }
    char* end = nullptr;
    unsigned long long parsed = std::strtoull(value, &end, 10);
    // Below 1 KiB nothing useful fits; above 1 GiB the length prefix is the only limit left.
    if (end == value || *end != '\0' || parsed < 1024 || parsed > (1ull << 30)) {
        return 4u << 20;
    }
    return static_cast<size_t>(parsed);
}

bool is_valid_service_name(std::string_view service) {
    if (service.empty() || service.size() > 64 || service == "." || service == "..") {
        return false;
    }
    for (char c : service) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

Result<std::string> service_socket_path(std::string_view service) {
    if (!is_valid_service_name(service)) {
        return make_error(ErrorCode::Invalid,
                          "\"" + std::string(service) + "\" is not a service name (letters, digits, '_', '-', '.')");
    }
    return runtime_dir() + "/" + std::string(service);
}

std::string executable_dir() {
    char buffer[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0) {
        return ".";
    }
    std::string path(buffer, static_cast<size_t>(n));
    auto slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::string svcuid_path(std::string_view component) { return root_dir() + "/ipc/svcuid/" + std::string(component); }

} // namespace ggl::env
