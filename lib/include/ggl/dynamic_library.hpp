// Libraries that only some programs of the ggl executable use, loaded when first needed
// (dlopen) rather than by every process at start: libsystemd for the programs that talk
// to the service manager (lib/src/libsystemd.hpp), libsqlite3 for the configuration
// store (lib/src/libsqlite3.hpp), libcrypto for `ggl check`. Each user keeps a table of
// function pointers named after the functions, typed by the library's own declarations,
// and loads it once:
//
//     #define MY_FUNCTIONS(F) F(sd_bus_new) F(sd_bus_start)
//     struct Table { MY_FUNCTIONS(GGL_DYNAMIC_FUNCTION_POINTER) };
//     Table table;
//     static const Result<void> loaded = dynamic_library::load("libx.so.1",
//         [](void* handle, std::string& missing) { MY_FUNCTIONS(GGL_DYNAMIC_FUNCTION_RESOLVE) });
#pragma once

#include "ggl/error.hpp"

#include <string>
#include <utility>

namespace ggl::dynamic_library {

// dlopen(soname, RTLD_NOW | RTLD_LOCAL); the handle is never closed. UNSUPPORTED naming the
// library and why it could not be loaded.
Result<void*> open(const char* soname);

// The address of a function, or nullptr after adding its name to `missing`.
void* symbol(void* handle, const char* name, std::string& missing);

// UNSUPPORTED: "SONAME lacks F1, F2 (...)", for a table that could not be filled.
Error missing_functions(const char* soname, const std::string& missing);

// Opens soname and fills a table: resolve(handle, missing) runs GGL_DYNAMIC_FUNCTION_RESOLVE
// for each function. The error names the library, or the functions it lacks.
template <typename Resolve>
Result<void> load(const char* soname, Resolve&& resolve) {
    auto opened = open(soname);
    if (!opened) {
        return std::move(opened).error();
    }
    std::string missing;
    resolve(*opened, missing);
    if (!missing.empty()) {
        return missing_functions(soname, missing);
    }
    return {};
}

} // namespace ggl::dynamic_library

#define GGL_DYNAMIC_FUNCTION_POINTER(name) decltype(&::name) name = nullptr;
// In the resolve function of load(), with the table in scope as `table`.
#define GGL_DYNAMIC_FUNCTION_RESOLVE(name) \
    table.name = reinterpret_cast<decltype(&::name)>(::ggl::dynamic_library::symbol(handle, #name, missing));
