// Unit tests of the heap trim (lib/heap): freed heap goes back to the kernel, and what is
// still allocated stays as written.
#include "ggl/heap.hpp"

#include <catch2/catch.hpp>

#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace ggl;

namespace {

// The process's resident anonymous memory (heap, stacks), from /proc/self/smaps_rollup,
// in kB (-1: not found).
long anonymous_kb() {
    std::ifstream rollup("/proc/self/smaps_rollup");
    for (std::string line; std::getline(rollup, line);) {
        long kb = 0;
        if (std::sscanf(line.c_str(), "Anonymous: %ld kB", &kb) == 1) {
            return kb;
        }
    }
    return -1;
}

} // namespace

TEST_CASE("trim_heap returns freed heap to the kernel, and keeps what is live") {
    // free() gives nothing back by itself (it would shrink the heap's top past 128 KiB of
    // free space): the freed memory then stays resident until a trim.
    REQUIRE(::mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1);
    long base = anonymous_kb();
    REQUIRE(base > 0);
    // 4 MiB in 16 KiB blocks: under the mmap threshold, so they come from the heap, and
    // written, so they are resident.
    constexpr size_t kBlock = 16 * 1024;
    constexpr size_t kBlocks = 256;
    std::vector<char*> blocks;
    blocks.reserve(kBlocks);
    for (size_t i = 0; i < kBlocks; ++i) {
        auto* block = static_cast<char*>(::malloc(kBlock));
        REQUIRE(block != nullptr);
        std::memset(block, 'h', kBlock);
        blocks.push_back(block);
    }
    // A live block, written, that the trim must leave as it is.
    auto* live = static_cast<char*>(::malloc(kBlock));
    REQUIRE(live != nullptr);
    std::memset(live, 'L', kBlock);
    for (char* block : blocks) {
        ::free(block);
    }
    struct mallinfo2 freed = ::mallinfo2();
    CHECK(freed.fordblks >= kBlock * kBlocks); // free, held by malloc
    long before = anonymous_kb();
    INFO("anonymous at start " << base << " kB, freed but held " << before << " kB");
    REQUIRE(before - base >= 3 * 1024); // still resident

    trim_heap();

    long after = anonymous_kb();
    INFO("after trim_heap " << after << " kB");
    CHECK(before - after >= 3 * 1024); // most of the 4 MiB is gone
    CHECK(after - base < 1024);
    // The live block is untouched, and the heap works on.
    CHECK(live[0] == 'L');
    CHECK(live[kBlock - 1] == 'L');
    std::string on_heap(100000, 'h');
    CHECK(on_heap[99999] == 'h');
    ::free(live);
    ::mallopt(M_TRIM_THRESHOLD, 128 * 1024); // glibc's default
}

TEST_CASE("trim_heap with nothing to give back changes nothing") {
    std::string kept(200000, 'k');
    trim_heap();
    trim_heap();
    CHECK(kept.size() == 200000);
    CHECK(kept.find_first_not_of('k') == std::string::npos);
}
