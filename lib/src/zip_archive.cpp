// A ZIP reader that extracts into a temporary directory and renames it into place.
#include "ggl/zip_archive.hpp"

#include "ggl/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::store {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflated = 8;
constexpr uint16_t kMethodAes = 99;
constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagStrongEncryption = 0x0040;
constexpr uint8_t kHostUnix = 3;
// The whole central directory is read into memory; this bounds that allocation.
constexpr uint64_t kMaxCentralDirectory = 256ull << 20;
constexpr size_t kChunk = 64 * 1024;

uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const unsigned char* p) {
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
           (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const unsigned char* p) {
    return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

// An entry name as it may appear in a message: control characters escaped (\x0a), so a
// hostile name cannot forge log lines.
std::string printable(std::string_view name) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f) {
            out += '\\';
            out += 'x';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

struct Entry {
    std::string name;      // as stored
    std::string path;      // relative path, no trailing '/'
    bool directory = false;
    uint16_t flags = 0;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressed = 0;
    uint64_t uncompressed = 0;
    uint64_t local_offset = 0;
    uint64_t data_offset = 0;  // filled from the local header
    mode_t mode = 0644;
};

class Extractor {
public:
    Extractor(const fs::path& archive, const fs::path& destination, const ZipLimits& limits,
              const std::function<mode_t(mode_t)>& file_mode)
        : archive_(archive), destination_(destination), limits_(limits), file_mode_(file_mode) {}

    Result<ZipSummary> run();

private:
    Error fail(ErrorCode code, const std::string& what) const {
        return make_error(code, archive_.string() + ": " + what);
    }
    Error fail_entry(ErrorCode code, const Entry& entry, const std::string& what) const {
        return make_error(code, archive_.string() + ": entry \"" + printable(entry.name) + "\": " + what);
    }
    Error io_error(const std::string& what, int error) const {
        return fail(ErrorCode::Failure, what + ": " + std::strerror(error));
    }

    Result<void> read_exact(uint64_t offset, void* buffer, size_t size) const;
    Result<void> read_directory();
    Result<void> parse_central_directory(const std::vector<unsigned char>& directory, uint64_t count);
    Result<void> check_entry_name(Entry& entry) const;
    Result<void> read_local_headers();
    Result<void> extract_all(const fs::path& root);
    Result<void> extract_file(int directory_fd, const Entry& entry);
    Result<void> copy_data(const Entry& entry, int out);

    fs::path archive_;
    fs::path destination_;
    ZipLimits limits_;
    const std::function<mode_t(mode_t)>& file_mode_;
    UniqueFd fd_;
    uint64_t size_ = 0;
    uint64_t directory_offset_ = 0;  // where the central directory starts: file data ends here
    std::vector<Entry> entries_;
    ZipSummary summary_;
};

Result<void> Extractor::read_exact(uint64_t offset, void* buffer, size_t size) const {
    if (offset > size_ || size > size_ - offset) {
        return fail(ErrorCode::Parse, "truncated archive (a record at offset " + std::to_string(offset) +
                                          " runs past the end of the file)");
    }
    auto* out = static_cast<unsigned char*>(buffer);
    while (size > 0) {
        ssize_t got = ::pread(fd_.get(), out, size, static_cast<off_t>(offset));
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_error("cannot read", errno);
        }
        if (got == 0) {
            return fail(ErrorCode::Parse, "truncated archive (the file shrank while it was read)");
        }
        out += got;
        offset += static_cast<uint64_t>(got);
        size -= static_cast<size_t>(got);
    }
    return {};
}

Result<void> Extractor::read_directory() {
    // The end of central directory record sits in the last 22 + 65535 bytes (its comment
    // is at most 65535 bytes); the last candidate whose comment ends the file wins.
    uint64_t window = std::min<uint64_t>(size_, kEndSize + 0xffff);
    if (size_ < kEndSize) {
        return fail(ErrorCode::Parse, "not a ZIP archive (too short for an end of central directory record)");
    }
    std::vector<unsigned char> tail(window);
    if (auto read = read_exact(size_ - window, tail.data(), tail.size()); !read) {
        return read;
    }
    std::optional<size_t> found;
    for (size_t i = window - kEndSize + 1; i-- > 0;) {
        if (le32(&tail[i]) == kEndSignature && i + kEndSize + le16(&tail[i + 20]) == window) {
            found = i;
            break;
        }
    }
    if (!found) {
        return fail(ErrorCode::Parse, "not a ZIP archive (no end of central directory record)");
    }
    const unsigned char* end = &tail[*found];
    uint64_t end_offset = size_ - window + *found;
    uint16_t disk = le16(end + 4), directory_disk = le16(end + 6);
    uint64_t disk_entries = le16(end + 8), count = le16(end + 10);
    uint64_t directory_size = le32(end + 12), directory_offset = le32(end + 16);
    uint64_t directory_end = end_offset;

    bool zip64 = disk == 0xffff || directory_disk == 0xffff || disk_entries == 0xffff || count == 0xffff ||
                 directory_size == 0xffffffff || directory_offset == 0xffffffff;
    unsigned char locator[kZip64LocatorSize] = {};
    if (end_offset >= kZip64LocatorSize) {
        if (auto read = read_exact(end_offset - kZip64LocatorSize, locator, sizeof locator); !read) {
            return read;
        }
    }
    if (le32(locator) == kZip64LocatorSignature) {
        zip64 = true;
        if (le32(locator + 4) != 0 || le32(locator + 16) > 1) {
            return fail(ErrorCode::Unsupported, "multi-disk (split or spanned) archives are not supported");
        }
        uint64_t record_offset = le64(locator + 8);
        unsigned char record[kZip64EndSize];
        if (record_offset > end_offset - kZip64LocatorSize ||
            end_offset - kZip64LocatorSize - record_offset < kZip64EndSize) {
            return fail(ErrorCode::Parse, "corrupt ZIP64 end of central directory locator");
        }
        if (auto read = read_exact(record_offset, record, sizeof record); !read) {
            return read;
        }
        if (le32(record) != kZip64EndSignature) {
            return fail(ErrorCode::Parse, "corrupt archive (no ZIP64 end of central directory record)");
        }
        disk = le32(record + 16) == 0 ? 0 : 1;
        directory_disk = le32(record + 20) == 0 ? 0 : 1;
        disk_entries = le64(record + 24);
        count = le64(record + 32);
        directory_size = le64(record + 40);
        directory_offset = le64(record + 48);
        directory_end = record_offset;
    } else if (zip64) {
        return fail(ErrorCode::Parse, "corrupt archive (ZIP64 fields without a ZIP64 locator)");
    }
    if (disk != 0 || directory_disk != 0 || disk_entries != count) {
        return fail(ErrorCode::Unsupported, "multi-disk (split or spanned) archives are not supported");
    }
    if (count > limits_.max_entries) {
        return fail(ErrorCode::Range, "too many entries (" + std::to_string(count) + "; the limit is " +
                                          std::to_string(limits_.max_entries) + ")");
    }
    if (directory_offset > directory_end || directory_size != directory_end - directory_offset) {
        return fail(ErrorCode::Parse, "corrupt archive (the central directory does not end where the end record "
                                      "begins: truncated, or data prepended)");
    }
    if (directory_size > kMaxCentralDirectory || count > directory_size / kCentralHeaderSize) {
        return fail(ErrorCode::Parse, "corrupt archive (central directory size " + std::to_string(directory_size) +
                                          " does not fit " + std::to_string(count) + " entries)");
    }
    std::vector<unsigned char> directory(directory_size);
    if (auto read = read_exact(directory_offset, directory.data(), directory.size()); !read) {
        return read;
    }
    directory_offset_ = directory_offset;
    return parse_central_directory(directory, count);
}

Result<void> Extractor::parse_central_directory(const std::vector<unsigned char>& directory, uint64_t count) {
    size_t at = 0;
    entries_.reserve(count);
    for (uint64_t index = 0; index < count; ++index) {
        if (directory.size() - at < kCentralHeaderSize || le32(&directory[at]) != kCentralHeaderSignature) {
            return fail(ErrorCode::Parse, "corrupt central directory at entry " + std::to_string(index + 1));
        }
        const unsigned char* h = &directory[at];
        size_t name_size = le16(h + 28), extra_size = le16(h + 30), comment_size = le16(h + 32);
        if (directory.size() - at - kCentralHeaderSize < name_size + extra_size + comment_size) {
            return fail(ErrorCode::Parse, "corrupt central directory at entry " + std::to_string(index + 1));
        }
        Entry entry;
        uint8_t host = h[5];
        entry.flags = le16(h + 8);
        entry.method = le16(h + 10);
        entry.crc = le32(h + 16);
        entry.compressed = le32(h + 20);
        entry.uncompressed = le32(h + 24);
        uint16_t start_disk = le16(h + 34);
        uint32_t external = le32(h + 38);
        entry.local_offset = le32(h + 42);
        entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_size);

        // ZIP64 extra field: the 64-bit values of exactly the fields saturated above, in order.
        const unsigned char* extra = h + kCentralHeaderSize + name_size;
        for (size_t e = 0; e + 4 <= extra_size;) {
            uint16_t id = le16(extra + e), size = le16(extra + e + 2);
            if (e + 4 + size > extra_size) {
                return fail_entry(ErrorCode::Parse, entry, "corrupt extra field");
            }
            if (id == kZip64ExtraId) {
                const unsigned char* field = extra + e + 4;
                size_t left = size;
                auto take = [&](uint64_t& value) -> bool {
                    if (left < 8) return false;
                    value = le64(field);
                    field += 8;
                    left -= 8;
                    return true;
                };
                bool ok = (entry.uncompressed != 0xffffffff || take(entry.uncompressed)) &&
                          (entry.compressed != 0xffffffff || take(entry.compressed)) &&
                          (entry.local_offset != 0xffffffff || take(entry.local_offset));
                if (!ok) {
                    return fail_entry(ErrorCode::Parse, entry, "corrupt ZIP64 extra field");
                }
            }
            e += 4 + size;
        }
        if (start_disk != 0 && start_disk != 0xffff) {
            return fail_entry(ErrorCode::Unsupported, entry, "entry on another disk of a multi-disk archive");
        }
        if ((entry.flags & (kFlagEncrypted | kFlagStrongEncryption)) || entry.method == kMethodAes) {
            return fail_entry(ErrorCode::Unsupported, entry, "encrypted entries are not supported");
        }

        // Type and mode: Unix hosts keep st_mode in the high half of the external attributes.
        uint32_t unix_mode = host == kHostUnix ? external >> 16 : 0;
        uint32_t type = unix_mode & S_IFMT;
        bool slash = !entry.name.empty() && entry.name.back() == '/';
        if (type == S_IFLNK) {
            return fail_entry(ErrorCode::Invalid, entry, "symbolic links are not allowed in artifacts");
        }
        if (type != 0 && type != S_IFREG && type != S_IFDIR) {
            return fail_entry(ErrorCode::Invalid, entry, "special files (devices, FIFOs, sockets) are not allowed");
        }
        // The trailing '/' is what every writer sets; the DOS directory attribute is not consulted.
        entry.directory = slash || type == S_IFDIR;
        if (type == S_IFREG && slash) {
            return fail_entry(ErrorCode::Invalid, entry, "a regular file whose name ends with '/'");
        }
        // Keep exec bits; drop setuid/setgid/sticky and write access for group and others.
        entry.mode = (unix_mode & 0777) != 0 ? static_cast<mode_t>(unix_mode & 0755) | 0600 : 0644;

        if (auto checked = check_entry_name(entry); !checked) {
            return checked;
        }
        if (entry.directory) {
            if (entry.uncompressed != 0) {
                return fail_entry(ErrorCode::Invalid, entry, "a directory entry with data");
            }
        } else {
            if (entry.method != kMethodStored && entry.method != kMethodDeflated) {
                return fail_entry(ErrorCode::Unsupported, entry,
                                  "compression method " + std::to_string(entry.method) +
                                      " is not supported (only stored and deflated)");
            }
            if (entry.method == kMethodStored && entry.compressed != entry.uncompressed) {
                return fail_entry(ErrorCode::Parse, entry, "a stored entry whose sizes differ");
            }
            if (entry.uncompressed > limits_.max_total_bytes - summary_.total_bytes) {
                return fail_entry(ErrorCode::Range, entry,
                                  "the archive expands to more than " + std::to_string(limits_.max_total_bytes) +
                                      " bytes");
            }
            uint64_t ratio_base = std::max<uint64_t>(entry.compressed, 1);
            if (entry.uncompressed / ratio_base > limits_.max_ratio ||
                (entry.uncompressed / ratio_base == limits_.max_ratio && entry.uncompressed % ratio_base != 0)) {
                return fail_entry(ErrorCode::Range, entry,
                                  "compression ratio above " + std::to_string(limits_.max_ratio) + " (" +
                                      std::to_string(entry.uncompressed) + " bytes from " +
                                      std::to_string(entry.compressed) + "): a zip bomb?");
            }
            summary_.total_bytes += entry.uncompressed;
        }
        entries_.push_back(std::move(entry));
        at += kCentralHeaderSize + name_size + extra_size + comment_size;
    }
    if (at != directory.size()) {
        return fail(ErrorCode::Parse, "corrupt central directory (" + std::to_string(directory.size() - at) +
                                          " bytes after the last entry)");
    }

    // Duplicates, and a name used both as a file and as a directory.
    std::set<std::string_view> names, directories;
    for (const Entry& entry : entries_) {
        if (!names.insert(entry.path).second) {
            return fail_entry(ErrorCode::Invalid, entry, "duplicate name in the archive");
        }
        for (size_t slash = entry.path.find('/'); slash != std::string::npos; slash = entry.path.find('/', slash + 1)) {
            directories.insert(std::string_view(entry.path).substr(0, slash));
        }
    }
    for (const Entry& entry : entries_) {
        if (!entry.directory && directories.count(entry.path)) {
            return fail_entry(ErrorCode::Invalid, entry, "a file whose name is also used as a directory");
        }
    }
    return {};
}

Result<void> Extractor::check_entry_name(Entry& entry) const {
    std::string_view name = entry.name;
    if (name.empty()) {
        return fail_entry(ErrorCode::Invalid, entry, "empty name");
    }
    if (name.front() == '/') {
        return fail_entry(ErrorCode::Invalid, entry, "absolute path");
    }
    if (name.find('\\') != std::string_view::npos) {
        return fail_entry(ErrorCode::Invalid, entry, "backslash in the name (not a portable separator)");
    }
    if (entry.directory && name.back() == '/') {
        name.remove_suffix(1);
    }
    size_t start = 0;
    while (true) {
        size_t slash = name.find('/', start);
        std::string_view component = name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
        if (component == "..") {
            return fail_entry(ErrorCode::Invalid, entry, "\"..\" in the path (it would escape the destination)");
        }
        if (!is_safe_path_segment(component)) {
            return fail_entry(ErrorCode::Invalid, entry,
                              "unsafe path component \"" + printable(component) +
                                  "\" (empty, \".\", control character or longer than 255 bytes)");
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    entry.path.assign(name);
    return {};
}

Result<void> Extractor::read_local_headers() {
    for (Entry& entry : entries_) {
        unsigned char header[kLocalHeaderSize];
        if (entry.local_offset > directory_offset_ || directory_offset_ - entry.local_offset < kLocalHeaderSize) {
            return fail_entry(ErrorCode::Parse, entry, "local header outside the archive's data");
        }
        if (auto read = read_exact(entry.local_offset, header, sizeof header); !read) {
            return read;
        }
        if (le32(header) != kLocalHeaderSignature) {
            return fail_entry(ErrorCode::Parse, entry, "no local header where the central directory points");
        }
        size_t name_size = le16(header + 26), extra_size = le16(header + 28);
        std::string local_name(name_size, '\0');
        if (auto read = read_exact(entry.local_offset + kLocalHeaderSize, local_name.data(), name_size); !read) {
            return read;
        }
        // Two different names for one entry would let tools disagree about what is extracted.
        if (local_name != entry.name) {
            return fail_entry(ErrorCode::Invalid, entry,
                              "the local header names it \"" + printable(local_name) + "\"");
        }
        if (le16(header + 8) != entry.method) {
            return fail_entry(ErrorCode::Parse, entry, "the local header's compression method differs");
        }
        entry.data_offset = entry.local_offset + kLocalHeaderSize + name_size + extra_size;
        if (entry.data_offset > directory_offset_ || entry.compressed > directory_offset_ - entry.data_offset) {
            return fail_entry(ErrorCode::Parse, entry, "data runs past the end of the archive's data (truncated?)");
        }
    }
    // Each entry's data must end before the next entry's header begins: overlapping
    // entries are how small archives expand to terabytes.
    std::vector<const Entry*> by_offset;
    for (const Entry& entry : entries_) {
        by_offset.push_back(&entry);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](const Entry* a, const Entry* b) { return a->local_offset < b->local_offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        if (by_offset[i - 1]->data_offset + by_offset[i - 1]->compressed > by_offset[i]->local_offset) {
            return fail_entry(ErrorCode::Invalid, *by_offset[i], "its data overlaps another entry's");
        }
    }
    return {};
}

Result<void> Extractor::copy_data(const Entry& entry, int out) {
    std::vector<unsigned char> input(kChunk), output(kChunk);
    uint64_t offset = entry.data_offset, left = entry.compressed, written = 0;
    uLong crc = crc32(0, nullptr, 0);
    auto write_all = [&](const unsigned char* data, size_t size) -> Result<void> {
        written += size;
        if (written > entry.uncompressed) {
            return fail_entry(ErrorCode::Parse, entry,
                              "expands beyond its declared size of " + std::to_string(entry.uncompressed) + " bytes");
        }
        crc = crc32(crc, data, static_cast<uInt>(size));
        while (size > 0) {
            ssize_t put = ::write(out, data, size);
            if (put < 0) {
                if (errno == EINTR) continue;
                return fail_entry(ErrorCode::Failure, entry, std::string("cannot write: ") + std::strerror(errno));
            }
            data += put;
            size -= static_cast<size_t>(put);
        }
        return {};
    };

    if (entry.method == kMethodStored) {
        while (left > 0) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(left, kChunk));
            if (auto read = read_exact(offset, input.data(), n); !read) return read;
            if (auto put = write_all(input.data(), n); !put) return put;
            offset += n;
            left -= n;
        }
    } else {
        z_stream stream{};
        if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) {
            return fail_entry(ErrorCode::Nomem, entry, "cannot initialise zlib");
        }
        struct End {
            z_stream* s;
            ~End() { inflateEnd(s); }
        } end{&stream};
        int status = Z_OK;
        while (status != Z_STREAM_END) {
            if (stream.avail_in == 0) {
                if (left == 0) {
                    return fail_entry(ErrorCode::Parse, entry, "deflate stream ends early (truncated or corrupt)");
                }
                size_t n = static_cast<size_t>(std::min<uint64_t>(left, kChunk));
                if (auto read = read_exact(offset, input.data(), n); !read) return read;
                offset += n;
                left -= n;
                stream.next_in = input.data();
                stream.avail_in = static_cast<uInt>(n);
            }
            stream.next_out = output.data();
            stream.avail_out = static_cast<uInt>(output.size());
            status = inflate(&stream, Z_NO_FLUSH);
            if (status != Z_OK && status != Z_STREAM_END) {
                std::string why = stream.msg ? stream.msg : "error " + std::to_string(status);
                return fail_entry(ErrorCode::Parse, entry, "corrupt deflate data (" + why + ")");
            }
            size_t produced = output.size() - stream.avail_out;
            if (auto put = write_all(output.data(), produced); !put) return put;
        }
    }
    if (written != entry.uncompressed) {
        return fail_entry(ErrorCode::Parse, entry,
                          "holds " + std::to_string(written) + " bytes, not the declared " +
                              std::to_string(entry.uncompressed));
    }
    if (crc != entry.crc) {
        char text[64];
        std::snprintf(text, sizeof text, "CRC-32 mismatch (expected %08x, got %08lx)", entry.crc, crc);
        return fail_entry(ErrorCode::Parse, entry, text);
    }
    return {};
}

Result<void> Extractor::extract_file(int directory_fd, const Entry& entry) {
    // The parent directories exist already (created in name order); O_EXCL and
    // O_NOFOLLOW refuse anything that is not a fresh file of our own.
    UniqueFd out(::openat(directory_fd, entry.path.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) {
        return fail_entry(ErrorCode::Failure, entry, std::string("cannot create: ") + std::strerror(errno));
    }
    if (auto copied = copy_data(entry, out.get()); !copied) {
        return copied;
    }
    mode_t mode = file_mode_ ? file_mode_(entry.mode) : entry.mode;
    if (::fchmod(out.get(), mode) != 0 || ::fsync(out.get()) != 0) {
        return fail_entry(ErrorCode::Failure, entry, std::string("cannot finish: ") + std::strerror(errno));
    }
    ++summary_.files;
    return {};
}

Result<void> Extractor::extract_all(const fs::path& root) {
    UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) {
        return io_error("cannot open " + root.string(), errno);
    }
    // Every directory an entry needs, explicit or implied, made before any file.
    std::set<std::string> directories;
    for (const Entry& entry : entries_) {
        for (size_t slash = entry.path.find('/'); slash != std::string::npos; slash = entry.path.find('/', slash + 1)) {
            directories.insert(entry.path.substr(0, slash));
        }
        if (entry.directory) {
            directories.insert(entry.path);
        }
    }
    for (const std::string& directory : directories) {  // sorted: parents first
        if (::mkdirat(root_fd.get(), directory.c_str(), 0755) != 0) {
            return fail(ErrorCode::Failure, "cannot create directory \"" + printable(directory) +
                                                "\": " + std::strerror(errno));
        }
    }
    summary_.directories = directories.size();
    summary_.total_bytes = 0;
    for (const Entry& entry : entries_) {
        if (!entry.directory) {
            if (auto extracted = extract_file(root_fd.get(), entry); !extracted) {
                return extracted;
            }
            summary_.total_bytes += entry.uncompressed;
        }
    }
    if (::fsync(root_fd.get()) != 0) {
        return io_error("cannot sync " + root.string(), errno);
    }
    return {};
}

// Removes what it holds unless released: the temporary tree, and parents the call made.
struct Cleanup {
    std::vector<fs::path> paths;
    ~Cleanup() {
        std::error_code ignored;
        for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
            fs::remove_all(*it, ignored);
        }
    }
};

Result<ZipSummary> Extractor::run() {
    fd_.reset(::open(archive_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) {
        int error = errno;
        return make_error(error == ENOENT ? ErrorCode::Noentry : ErrorCode::Failure,
                          "cannot open " + archive_.string() + ": " + std::strerror(error));
    }
    struct stat info {};
    if (::fstat(fd_.get(), &info) != 0) {
        return io_error("cannot stat", errno);
    }
    if (!S_ISREG(info.st_mode)) {
        return fail(ErrorCode::Invalid, "not a regular file");
    }
    size_ = static_cast<uint64_t>(info.st_size);
    if (auto read = read_directory(); !read) {
        return read.error();
    }
    if (auto local = read_local_headers(); !local) {
        return local.error();
    }

    std::error_code error;
    if (fs::symlink_status(destination_, error).type() != fs::file_type::not_found) {
        return make_error(ErrorCode::Conflict, destination_.string() + " already exists");
    }
    fs::path parent = destination_.parent_path();
    if (parent.empty()) {
        parent = ".";
    }
    Cleanup cleanup;
    // Parents this call creates are removed again on failure, outermost last.
    std::vector<fs::path> missing;
    for (fs::path p = parent; !p.empty() && !fs::exists(p, error); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
            return io_error("cannot create " + it->string(), errno);
        }
        cleanup.paths.push_back(*it);
    }
    std::string pattern = (parent / ("." + destination_.filename().string() + ".tmp-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return io_error("cannot create a temporary directory beside " + destination_.string(), errno);
    }
    fs::path temporary = pattern;
    cleanup.paths.push_back(temporary);
    // mkdtemp made it 0700: nobody else sees a file before its final mode is set.
    if (auto extracted = extract_all(temporary); !extracted) {
        return extracted.error();
    }
    if (::chmod(temporary.c_str(), 0755) != 0) {
        return io_error("cannot chmod " + temporary.string(), errno);
    }
    if (::rename(temporary.c_str(), destination_.c_str()) != 0) {
        int code = errno;
        return make_error(code == EEXIST || code == ENOTEMPTY ? ErrorCode::Conflict : ErrorCode::Failure,
                          "cannot rename the extracted tree to " + destination_.string() + ": " +
                              std::strerror(code));
    }
    cleanup.paths.clear();
    UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (parent_fd) {
        ::fsync(parent_fd.get());
    }
    return summary_;
}

} // namespace

bool is_safe_path_segment(std::string_view segment) {
    if (segment.empty() || segment.size() > 255 || segment == "." || segment == "..") {
        return false;
    }
    return std::none_of(segment.begin(), segment.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte == '/' || byte < 0x20 || byte == 0x7f;
    });
}

Result<ZipSummary> extract_zip(const fs::path& archive, const fs::path& destination, const ZipLimits& limits,
                               const std::function<mode_t(mode_t)>& file_mode) {
    // "out/x/" names out/x: the temporary sibling is made from the last component.
    fs::path target = destination.has_filename() ? destination : destination.parent_path();
    Extractor extractor(archive, target, limits, file_mode);
    return extractor.run();
}

} // namespace ggl::store
