// Temporary directories and the generated ZIP fixtures shared by the store tests.
#pragma once

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ggl::test {

// The SHA-256 of "hello world", base64, as a recipe's Digest writes it.
inline constexpr const char* kHelloWorldDigest = "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=";

// The archives of tests/fixtures/zip/make_zips.py, written once per test binary.
inline const std::filesystem::path& zip_fixtures() {
    static TempDir dir;
    static bool made = [] {
        std::string command = std::string("/usr/bin/python3 ") + GGL_ZIP_FIXTURE_SCRIPT + " " + dir.path.string();
        return std::system(command.c_str()) == 0;
    }();
    REQUIRE(made);
    return dir.path;
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

inline mode_t mode_of(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

inline ino_t inode_of(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    return info.st_ino;
}

inline bool is_empty_dir(const std::filesystem::path& path) {
    return std::filesystem::is_directory(path) && std::filesystem::is_empty(path);
}

} // namespace ggl::test
