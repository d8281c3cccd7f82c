// Unit tests of the idle release (lib/idle_memory): clean file pages go, and every page
// the process wrote, in a private file mapping or in relocated data, stays as written.
#include "ggl/idle_memory.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

using namespace ggl;

namespace {

// Relocated at start (a PIE's pointers): RELRO, pages the process wrote.
const char* const kRelocated[] = {"alpha", "beta", "gamma"};

// Rss of the mapping that holds addr, from /proc/self/smaps, in kB (-1: not found).
long rss_kb_of(const void* addr) {
    auto at = reinterpret_cast<unsigned long>(addr);
    std::ifstream smaps("/proc/self/smaps");
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        unsigned long start = 0;
        unsigned long end = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &start, &end) == 2 && line.find(' ') > line.find('-')) {
            inside = start <= at && at < end;
            continue;
        }
        long kb = 0;
        if (inside && std::sscanf(line.c_str(), "Rss: %ld kB", &kb) == 1) {
            return kb;
        }
    }
    return -1;
}

struct TempFile {
    std::string path;
    int fd = -1;
    explicit TempFile(size_t bytes, char fill) {
        char pattern[] = "/tmp/ggl-idle-memory.XXXXXX";
        fd = ::mkstemp(pattern);
        REQUIRE(fd >= 0);
        path = pattern;
        std::string content(bytes, fill);
        REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    }
    ~TempFile() {
        ::close(fd);
        ::unlink(path.c_str());
    }
};

} // namespace

TEST_CASE("the pages of a clean read-only file mapping are released and read back the same") {
    constexpr size_t kBytes = 256 * 1024;
    TempFile file(kBytes, 'c');
    void* map = ::mmap(nullptr, kBytes, PROT_READ, MAP_PRIVATE, file.fd, 0);
    REQUIRE(map != MAP_FAILED);
    auto* bytes = static_cast<const volatile char*>(map);
    long sum = 0;
    for (size_t i = 0; i < kBytes; i += 4096) {
        sum += bytes[i];
    }
    CHECK(sum == 'c' * static_cast<long>(kBytes / 4096));
    CHECK(rss_kb_of(map) == 256);

    release_clean_file_pages();
    CHECK(rss_kb_of(map) == 0);
    // Mapped again from the page cache at the next use, unchanged.
    CHECK(bytes[0] == 'c');
    CHECK(bytes[kBytes - 1] == 'c');
    ::munmap(map, kBytes);
}

TEST_CASE("a private file mapping the process wrote, now read-only, keeps what was written") {
    constexpr size_t kBytes = 64 * 1024;
    TempFile file(kBytes, 'f');
    void* map = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
    REQUIRE(map != MAP_FAILED);
    auto* bytes = static_cast<char*>(map);
    std::memcpy(bytes + 4096, "written", 8);
    // Read the rest too: clean page-cache pages beside the written one.
    volatile char untouched = bytes[8192];
    (void)untouched;
    REQUIRE(::mprotect(map, kBytes, PROT_READ) == 0);  // as RELRO after relocation
    long before = rss_kb_of(map);

    release_clean_file_pages();
    // The whole mapping is left: dropping it would lose "written" (the file has 'f').
    CHECK(rss_kb_of(map) == before);
    CHECK(std::string(bytes + 4096) == "written");
    ::munmap(map, kBytes);
}

TEST_CASE("relocated data and the code survive the release") {
    release_clean_file_pages();
    CHECK(std::string(kRelocated[0]) == "alpha");
    CHECK(std::string(kRelocated[2]) == "gamma");
    // The heap too (release_idle_memory also trims it).
    std::string on_heap(100000, 'h');
    release_idle_memory();
    CHECK(on_heap[99999] == 'h');
    CHECK(std::strlen(kRelocated[1]) == 4);
}
