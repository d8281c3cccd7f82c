// Loading libraries when first needed (ggl/dynamic_library.hpp): a table filled from a
// real library, and the errors that name a missing library or missing functions.
#include "ggl/dynamic_library.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

using namespace ggl;

namespace {

#define TEST_LIBC_FUNCTIONS(F) F(strlen) F(atoi)

struct Libc {
    TEST_LIBC_FUNCTIONS(GGL_DYNAMIC_FUNCTION_POINTER)
};

} // namespace

TEST_CASE("a table is filled from the library, typed by its declarations") {
    Libc table;
    auto loaded = dynamic_library::load("libc.so.6", [&table](void* handle, std::string& missing) {
        TEST_LIBC_FUNCTIONS(GGL_DYNAMIC_FUNCTION_RESOLVE)
    });
    REQUIRE(loaded.ok());
    REQUIRE(table.strlen != nullptr);
    CHECK(table.strlen("four") == 4);
    CHECK(table.atoi("42") == 42);
}

TEST_CASE("a library that cannot be loaded is UNSUPPORTED, naming it") {
    auto loaded = dynamic_library::load("libggl-no-such-library.so.9", [](void*, std::string&) {
        FAIL("nothing is resolved from a library that did not load");
    });
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().code == ErrorCode::Unsupported);
    CHECK_THAT(loaded.error().message, Catch::StartsWith("cannot load libggl-no-such-library.so.9: "));
}

TEST_CASE("functions a library lacks are named, all of them") {
    auto loaded = dynamic_library::load("libc.so.6", [](void* handle, std::string& missing) {
        CHECK(dynamic_library::symbol(handle, "strlen", missing) != nullptr);
        CHECK(dynamic_library::symbol(handle, "ggl_no_such_function", missing) == nullptr);
        CHECK(dynamic_library::symbol(handle, "ggl_nor_this_one", missing) == nullptr);
    });
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().code == ErrorCode::Unsupported);
    CHECK_THAT(loaded.error().message, Catch::StartsWith("libc.so.6 lacks ggl_no_such_function, ggl_nor_this_one"));
}
