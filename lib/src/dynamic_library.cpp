// Loading a library when first needed (ggl/dynamic_library.hpp).
#include "ggl/dynamic_library.hpp"

#include <dlfcn.h>

namespace ggl::dynamic_library {

Result<void*> open(const char* soname) {
    void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return make_error(ErrorCode::Unsupported,
                          std::string("cannot load ") + soname + ": " + (why != nullptr ? why : "unknown error"));
    }
    return handle;
}

void* symbol(void* handle, const char* name, std::string& missing) {
    void* address = ::dlsym(handle, name);
    if (address == nullptr) {
        missing += (missing.empty() ? "" : ", ") + std::string(name);
    }
    return address;
}

Error missing_functions(const char* soname, const std::string& missing) {
    return make_error(ErrorCode::Unsupported,
                      std::string(soname) + " lacks " + missing + " (a version older than the one ggl was built with)");
}

} // namespace ggl::dynamic_library
