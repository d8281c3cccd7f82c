// Releasing what start-up left resident (startup_memory.hpp).
#include "ggl/startup_memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

namespace ggl {

void release_startup_memory() {
    ::malloc_trim(0);
    char exe[PATH_MAX];
    ssize_t length = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length <= 0) {
        return;
    }
    exe[length] = '\0';
    std::FILE* maps = std::fopen("/proc/self/maps", "re");
    if (!maps) {
        return;
    }
    char line[PATH_MAX + 128];
    while (std::fgets(line, sizeof line, maps)) {
        unsigned long start = 0;
        unsigned long end = 0;
        char perms[5] = {};
        int path_at = 0;
        // start-end perms offset dev inode path
        if (std::sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, perms, &path_at) != 3 || path_at <= 0) {
            continue;
        }
        std::string path = line + path_at;
        while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) {
            path.pop_back();
        }
        if (std::strcmp(perms, "r-xp") == 0 && path == exe) {
            ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
        }
    }
    std::fclose(maps);
}

} // namespace ggl
