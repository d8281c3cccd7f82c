// The SVCUID tokens deployments issue ($GGL_ROOT/ipc/svcuid/<component>), mapped back to
// their components, and reread when the directory changes.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ggl::ipc {

class SvcuidRegistry {
public:
    explicit SvcuidRegistry(std::string directory);

    // The component that was issued token, or nullopt. Rereads the directory first when it
    // changed since it was last read (a deployment wrote or removed a token).
    std::optional<std::string> component_of(std::string_view token);
    // Rereads the directory now; returns the number of tokens found.
    size_t reload();
    const std::string& directory() const { return directory_; }

private:
    bool changed_since_read();

    std::string directory_;
    std::unordered_map<std::string, std::string> component_by_token_;
    timespec read_mtime_{};
    bool read_once_ = false;
};

} // namespace ggl::ipc
