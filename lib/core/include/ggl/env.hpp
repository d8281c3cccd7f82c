// The environment and path contract (docs/processes.md), read in one place.
#pragma once

#include "ggl/error.hpp"

#include <string>
#include <string_view>

namespace ggl::env {

enum class SystemdScope { System, User };

std::string runtime_dir(); // GGL_RUNTIME_DIR, default /run/greengrass
std::string root_dir(); // GGL_ROOT, default /var/lib/greengrass
std::string config_dir(); // GGL_CONFIG_DIR, default /etc/greengrass
std::string config_db(); // GGL_CONFIG_DB, default $GGL_ROOT/config.db
SystemdScope systemd_scope(); // GGL_SYSTEMD_SCOPE: system (default) or user
std::string unit_dir(); // GGL_UNIT_DIR, default per scope
size_t bus_max_frame(); // GGL_BUS_MAX_FRAME, default 4 MiB

// A service name usable as a socket file name: [A-Za-z0-9_.-]+, not "." or "..".
bool is_valid_service_name(std::string_view service);
// $GGL_RUNTIME_DIR/<service>; INVALID when the name is not a valid service name.
Result<std::string> service_socket_path(std::string_view service);

// $GGL_ROOT/ipc/svcuid/<component>: the component's IPC token (SVCUID), written by
// deployments (mode 0600), read by recipe-runner into the component's environment and
// by ggipcd to authenticate it.
std::string svcuid_path(std::string_view component);

// The directory holding this process's executable (for finding sibling programs).
std::string executable_dir();

} // namespace ggl::env
