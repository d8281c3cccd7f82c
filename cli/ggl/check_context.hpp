// What ggl check's checks share (check_command.cpp, check_identity.cpp): a run's context, and settings read from the configuration.
#pragma once

#include "check_rules.hpp"

#include "ggl/config_path.hpp"
#include "ggl/device_settings.hpp"
#include "ggl/systemd.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::front {

using check::Finding;
using check::Status;
using config::KeyPath;

inline const std::string kNucleusConfiguration = std::string("services/") + kNucleusComponent + "/configuration";

// Reads one key of the configuration; nullopt when absent.
using ConfigReader = std::function<Result<std::optional<Object>>(const KeyPath& path)>;

// What a check run knows that several checks use.
struct Context {
    systemd::Scope scope = systemd::Scope::System;
    std::chrono::milliseconds timeout{2000};
    int64_t now_seconds = 0;
    std::vector<Finding> findings;
    // Services that answered ggl.describe.
    std::vector<std::string> reachable;

    void add(std::string check, Status status, std::string detail, std::string remedy = {}) {
        findings.push_back(Finding{std::move(check), status, std::move(detail), std::move(remedy)});
    }
    bool is_reachable(std::string_view service) const {
        return std::find(reachable.begin(), reachable.end(), service) != reachable.end();
    }
    std::string systemctl() const { return scope == systemd::Scope::User ? "systemctl --user" : "systemctl"; }
    std::string journalctl() const {
        return scope == systemd::Scope::User ? "journalctl --user-unit" : "journalctl -u";
    }
};

std::string set_command(std::string_view key, std::string_view value);
// A setting holding text: nullopt when absent or empty. A value of another type or a
// failed read adds an error finding and gives nullopt as well.
std::optional<std::string> read_text(Context& context, const ConfigReader& read, const std::string& check,
                                     const std::string& key);

void check_thing_name(Context& context, const ConfigReader& read);
// The device certificate, its private key and the root CA that the configuration names.
void check_identity(Context& context, const ConfigReader& read);
void check_endpoints(Context& context, const ConfigReader& read);
// check_cloud.cpp: the data endpoint resolves, a TLS handshake with the identity, and
// iotcored's connection (where it answers).
void check_cloud(Context& context, const ConfigReader& read);

} // namespace ggl::front
