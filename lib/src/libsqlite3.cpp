// Loading libsqlite3 when first needed (libsqlite3.hpp).
#include "libsqlite3.hpp"

namespace ggl::config {

Libsqlite3 loaded_libsqlite3;

Result<void> load_libsqlite3() {
    static const Result<void> loaded =
        dynamic_library::load("libsqlite3.so.0", [](void* handle, std::string& missing) {
            Libsqlite3& table = loaded_libsqlite3;
            GGL_LIBSQLITE3_FUNCTIONS(GGL_DYNAMIC_FUNCTION_RESOLVE)
        });
    return loaded;
}

} // namespace ggl::config
