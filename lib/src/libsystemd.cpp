// Loading libsystemd when first needed (libsystemd.hpp).
#include "libsystemd.hpp"

namespace ggl::systemd {

Libsystemd loaded_libsystemd;

Result<void> load_libsystemd() {
    static const Result<void> loaded =
        dynamic_library::load("libsystemd.so.0", [](void* handle, std::string& missing) {
            Libsystemd& table = loaded_libsystemd;
            GGL_LIBSYSTEMD_FUNCTIONS(GGL_DYNAMIC_FUNCTION_RESOLVE)
        });
    return loaded;
}

} // namespace ggl::systemd
