// Where the external corpus of real Greengrass files (recipes, tlogs, a nucleus lite
// config) is read from, in place: $GGL_CORPUS_DIR when set, else the directory the build
// was configured with (../shared/corpus beside the checkout, GGL_DEFAULT_CORPUS_DIR).
// Test cases that read it are tagged [.corpus]: hidden from a plain run of the test
// binary, run by their own ctest entry through tests/with_corpus.sh, which reports them
// skipped when the directory is missing (tests/CMakeLists.txt, ggl_corpus_test).
#pragma once

#include <cstdlib>
#include <filesystem>

#ifndef GGL_DEFAULT_CORPUS_DIR
#error "GGL_DEFAULT_CORPUS_DIR is set by ggl_corpus_test() in tests/CMakeLists.txt"
#endif

namespace ggl::testing {

inline std::filesystem::path corpus_location() {
    const char* dir = std::getenv("GGL_CORPUS_DIR");
    return dir != nullptr && *dir != '\0' ? std::filesystem::path(dir) : std::filesystem::path(GGL_DEFAULT_CORPUS_DIR);
}

} // namespace ggl::testing
