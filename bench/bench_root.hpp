// The temporary ggl root a benchmark runs its daemons in.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ggl::bench {

// Makes /tmp/ggl-bench-<name>.XXXXXX and points this process's environment (and so the
// daemons it starts) at it: runtime directory and root, the configuration directory and
// database inside, logs at warn. Returns the directory; exits 1 when it cannot be made.
inline std::string make_bench_root(const std::string& name) {
    std::string pattern = "/tmp/ggl-bench-" + name + ".XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        std::perror(("bench-" + name + ": mkdtemp").c_str());
        std::exit(1);
    }
    const std::string& dir = pattern;
    ::setenv("GGL_RUNTIME_DIR", dir.c_str(), 1);
    ::setenv("GGL_ROOT", dir.c_str(), 1);
    ::setenv("GGL_CONFIG_DIR", (dir + "/etc").c_str(), 1);
    ::setenv("GGL_CONFIG_DB", (dir + "/config.db").c_str(), 1);
    ::setenv("GGL_LOG_LEVEL", "warn", 1);
    return dir;
}

} // namespace ggl::bench
