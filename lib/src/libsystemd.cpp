// Loading libsystemd when first needed (libsystemd.hpp).
#include "libsystemd.hpp"

#include "ggl/dynamic_library.hpp"

namespace ggl::systemd {
namespace {

constexpr const char* kSoname = "libsystemd.so.0";

const Result<Libsystemd>& loaded() {
    static const Result<Libsystemd> library = []() -> Result<Libsystemd> {
        auto opened = dynamic_library::open(kSoname);
        if (!opened) {
            return std::move(opened).error();
        }
        void* handle = *opened;
        Libsystemd table;
        std::string missing;
        GGL_LIBSYSTEMD_FUNCTIONS(GGL_DYNAMIC_FUNCTION_RESOLVE)
        if (!missing.empty()) {
            return dynamic_library::missing_functions(kSoname, missing);
        }
        return table;
    }();
    return library;
}

} // namespace

Result<void> load_libsystemd() {
    if (const auto& library = loaded(); !library) {
        return library.error();
    }
    return {};
}

const Libsystemd& sd() { return *loaded(); }

} // namespace ggl::systemd
