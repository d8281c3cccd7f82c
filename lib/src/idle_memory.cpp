// Handing back what an idle daemon does not need resident (idle_memory.hpp).
#include "ggl/idle_memory.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <climits>
#include <cstddef>
#include <cstdio>

namespace ggl {

namespace {

struct Mapping {
    unsigned long start = 0;
    unsigned long end = 0;
    bool candidate = false;  // file-backed and not writable
    unsigned long rss_kb = 0;
    unsigned long anonymous_kb = 0;
};

// Only pages that the file holds unchanged: a mapping nobody can write (code, read-only
// data, symbol tables) with no anonymous page in it. A private mapping's page is either
// the file's page-cache page or, once written, the process's own copy, counted as
// Anonymous; a relocated read-only segment (RELRO) has such copies and is skipped whole,
// so nothing that differs from the file is ever dropped. (Private_Dirty is no guide: it
// also counts page-cache pages not yet written back, as in a just-installed binary.)
bool releasable(const Mapping& mapping) {
    return mapping.candidate && mapping.rss_kb > 0 && mapping.anonymous_kb == 0;
}

} // namespace

void release_clean_file_pages() {
    // Chosen first and released after the scan: releasing while reading smaps would
    // drop libc's code that the scan then runs again, and faults back in. On the stack,
    // so that no allocator code runs after the release either.
    constexpr size_t kMost = 256;  // a daemon has about 60; beyond this, released at once
    Mapping chosen[kMost];
    size_t count = 0;
    auto choose = [&](const Mapping& each) {
        if (count < kMost) {
            chosen[count++] = each;
        } else {
            ::madvise(reinterpret_cast<void*>(each.start), each.end - each.start, MADV_DONTNEED);
        }
    };
    std::FILE* smaps = std::fopen("/proc/self/smaps", "re");
    if (!smaps) {
        return;
    }
    Mapping mapping;
    char line[PATH_MAX + 128];
    while (std::fgets(line, sizeof line, smaps)) {
        unsigned long start = 0;
        unsigned long end = 0;
        char perms[5] = {};
        int path_at = 0;
        // A mapping's header: start-end perms offset dev inode [path]; its fields follow.
        if (std::sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, perms, &path_at) == 3 && path_at > 0) {
            if (releasable(mapping)) {
                choose(mapping);
            }
            mapping = Mapping{start, end, line[path_at] == '/' && perms[1] != 'w' && perms[3] == 'p'};
            continue;
        }
        unsigned long kb = 0;
        if (std::sscanf(line, "Rss: %lu kB", &kb) == 1) {
            mapping.rss_kb = kb;
        } else if (std::sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
            mapping.anonymous_kb = kb;
        }
    }
    std::fclose(smaps);
    if (releasable(mapping)) {
        choose(mapping);
    }
    for (size_t i = 0; i < count; ++i) {
        ::madvise(reinterpret_cast<void*>(chosen[i].start), chosen[i].end - chosen[i].start, MADV_DONTNEED);
    }
}

void release_idle_memory() {
    ::malloc_trim(0);
    release_clean_file_pages();
}

} // namespace ggl
