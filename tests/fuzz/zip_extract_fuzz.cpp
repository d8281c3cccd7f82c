// libFuzzer target: arbitrary bytes as a ZIP artifact through extract_zip, which must refuse
// or extract without crashing, and leave nothing behind when it refuses.
#include "ggl/zip_archive.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;

namespace {

const fs::path& work_dir() {
    static const fs::path dir = [] {
        std::string pattern = (fs::temp_directory_path() / "ggl-zip-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::abort();
        }
        return fs::path(pattern);
    }();
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const fs::path archive = work_dir() / "input.zip";
    const fs::path destination = work_dir() / "out";
    int fd = ::open(archive.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) {
        std::abort();
    }
    ::close(fd);
    ggl::store::ZipLimits limits;
    limits.max_total_bytes = 16 << 20; // keep each run small; the ratio guard stays as shipped
    auto result = ggl::store::extract_zip(archive, destination, limits);
    std::error_code error;
    if (!result.ok() && fs::exists(destination, error)) {
        std::abort(); // a refused archive left its destination behind
    }
    fs::remove_all(destination, error);
    // Only the input may remain: no temporary trees of failed extractions.
    size_t entries = 0;
    for (auto it = fs::directory_iterator(work_dir(), error); !error && it != fs::directory_iterator(); ++it) {
        ++entries;
    }
    if (entries != 1) {
        std::abort();
    }
    return 0;
}
