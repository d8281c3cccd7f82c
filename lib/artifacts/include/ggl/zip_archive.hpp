// Safe extraction of ZIP artifacts (Unarchive: ZIP) into the component store.
#pragma once

#include "ggl/error.hpp"
#include "ggl/zip_limits.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

namespace ggl::store {

struct ZipSummary {
    uint64_t files = 0;
    uint64_t directories = 0;
    uint64_t total_bytes = 0; // uncompressed bytes written
};

// Extracts `archive` into `destination`, which must not exist yet (CONFLICT if it does);
// its parent directories are created as needed.
//
// The archive is read with libarchive's ZIP reader in its seekable mode: the central
// directory lists the entries, each read once through its local header (whose name, up
// to a NUL, is the one extracted and checked), CRC-32s and sizes verified by the reader.
// Every header is read and checked before anything is written; the data is read in a
// second pass.
//
// Supported: stored (0) and deflated (8) entries, ZIP64, data descriptors, directory
// entries, names flagged UTF-8, Unix mode bits (exec bits kept; setuid, setgid, sticky
// and group/other write dropped; files without Unix modes get 0644, directories always
// get 0755). A name without '/' from a DOS host has its backslashes read as '/'.
// Rejected, with an error naming the archive and the entry: encrypted entries, other
// compression methods, archives without a readable central directory (truncated,
// multi-disk), absolute names, names with a backslash (other than above) or a control
// character, ".." or "." or empty components, duplicate names, a file that is
// also used as a directory, symbolic links and other special files (all of them, even
// ones pointing inside: a link extracted into the store could later be followed by a
// component or by a later extraction, and real Greengrass artifacts do not need them),
// entries whose data overlap the next entry's local header (the "overlapping files" zip
// bomb), CRC-32 mismatches, sizes that disagree with the central directory, and anything
// beyond `limits`. An entry's compressed size for the ratio is, before extraction, the
// span from its data to the next entry's (an upper bound), and then the bytes read.
//
// All-or-nothing: the archive is extracted into a temporary sibling of `destination`,
// synced, and renamed into place only when every entry succeeded; on failure nothing is
// left behind (parent directories created by the call included).
//
// `file_mode`, when given, maps the mode a file would get (above) to the one it gets;
// files are created 0600 and receive their final mode before anyone else can open them
// (the temporary tree stays 0700 until every file is written).
//
// Error codes: PARSE for a corrupt or truncated archive, INVALID for unsafe entries,
// RANGE for limits, UNSUPPORTED for encryption and methods, CONFLICT, FAILURE for I/O.
Result<ZipSummary> extract_zip(const std::filesystem::path& archive, const std::filesystem::path& destination,
                               const ZipLimits& limits = {}, const std::function<mode_t(mode_t)>& file_mode = {});

} // namespace ggl::store
