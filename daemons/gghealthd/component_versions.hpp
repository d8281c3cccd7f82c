// Component versions from gg_config (services/<name>/version), asked with a short timeout
// so that gghealthd answers promptly when ggconfigd is slow or absent.
#pragma once

#include "ggl/services/config.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace ggl::healthd {

class ComponentVersions {
public:
    ComponentVersions();

    // The version, or nullopt when the key is absent or ggconfigd does not answer (it is
    // then not asked again for a few seconds).
    std::optional<std::string> version_of(const std::string& component);

private:
    services::ConfigClient client_;
    std::chrono::steady_clock::time_point quiet_until_{};
};

} // namespace ggl::healthd
