// Reading services/<name>/version from gg_config for status replies.
#include "component_versions.hpp"

#include "ggl/log.hpp"

namespace ggl::healthd {
namespace {
constexpr std::chrono::milliseconds kTimeout{250};
constexpr std::chrono::seconds kQuietAfterFailure{3};
} // namespace

ComponentVersions::ComponentVersions()
    : client_(bus::ClientOptions{kTimeout, 0}, services::ConfigClient::Errors::AsAnswered) {}

std::optional<std::string> ComponentVersions::version_of(const std::string& component) {
    auto now = std::chrono::steady_clock::now();
    if (now < quiet_until_) {
        return std::nullopt;
    }
    auto value = client_.read({"services", component, "version"});
    if (!value) {
        if (!value.error().remote) {
            GGL_LOGD("gg_config does not answer (%s); versions are left out for a while",
                     value.error().to_string().c_str());
            client_.disconnect();
            quiet_until_ = now + kQuietAfterFailure;
        }
        return std::nullopt;
    }
    if (value->is_buffer()) {
        return std::string(value->as_buffer());
    }
    return std::nullopt;
}

} // namespace ggl::healthd
