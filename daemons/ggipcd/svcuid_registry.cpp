// SVCUID tokens to component names.
#include "svcuid_registry.hpp"

#include "ggl/file.hpp"
#include "ggl/log.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace ggl::ipc {

namespace {
// Shorter files are not tokens deployments issue (24 characters); they are ignored.
constexpr size_t kMinTokenSize = 16;
} // namespace

SvcuidRegistry::SvcuidRegistry(std::string directory) : directory_(std::move(directory)) {}

bool SvcuidRegistry::changed_since_read() {
    struct stat st {};
    if (::stat(directory_.c_str(), &st) != 0) {
        // No directory: no tokens (yet). Changed if there were tokens before.
        bool had = !component_by_token_.empty() || !read_once_;
        read_mtime_ = {};
        return had;
    }
    return !read_once_ || st.st_mtim.tv_sec != read_mtime_.tv_sec || st.st_mtim.tv_nsec != read_mtime_.tv_nsec;
}

size_t SvcuidRegistry::reload() {
    namespace fs = std::filesystem;
    read_once_ = true;
    struct stat st {};
    // The mtime is taken before reading, so a change during the read is seen next time.
    read_mtime_ = ::stat(directory_.c_str(), &st) == 0 ? st.st_mtim : timespec{};
    component_by_token_.clear();
    std::error_code error;
    fs::directory_iterator it(directory_, error);
    if (error) {
        if (error != std::errc::no_such_file_or_directory) {
            GGL_LOGW("cannot read SVCUID tokens in %s: %s", directory_.c_str(), error.message().c_str());
        }
        return 0;
    }
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        // write_atomically's temporaries ("<name>.tmp.<pid>") are not tokens.
        if (name.empty() || name[0] == '.' || name.find(".tmp.") != std::string::npos) continue;
        if (!entry.is_regular_file(error)) continue;
        auto token = file::read(entry.path().string());
        if (!token) {
            GGL_LOGW("cannot read the SVCUID of %s: %s", name.c_str(), token.error().message.c_str());
            continue;
        }
        std::string text = *token;
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
        if (text.size() < kMinTokenSize) continue;
        component_by_token_[text] = name;
    }
    GGL_LOGD("%zu SVCUID tokens in %s", component_by_token_.size(), directory_.c_str());
    return component_by_token_.size();
}

std::optional<std::string> SvcuidRegistry::component_of(std::string_view token) {
    if (changed_since_read()) {
        reload();
    }
    auto it = component_by_token_.find(std::string(token));
    if (it == component_by_token_.end()) {
        return std::nullopt;
    }
    return it->second;
}

} // namespace ggl::ipc
