// The bounds a ZIP artifact must stay within: part of an artifact install request
// (artifact_install_request.hpp), enforced by the extraction (zip_archive.hpp).
#pragma once

#include <cstdint>

namespace ggl::store {

// Bounds an archive must stay within; checked against the central directory before
// anything is written, and again against the bytes actually read and inflated.
struct ZipLimits {
    uint64_t max_total_bytes = 4ull << 30; // sum of the uncompressed sizes
    uint64_t max_entries = 100000;
    uint64_t max_ratio = 1000; // uncompressed / compressed size of one entry (zip bomb guard)
};

} // namespace ggl::store
