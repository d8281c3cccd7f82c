// ZIP extraction on libarchive's ZIP reader (seekable mode: the central directory is
// authoritative), with ggl's rules on names, types, modes and sizes on top. Files are
// written here, under a temporary directory that is renamed into place.
#include "ggl/zip_archive.hpp"

#include "ggl/fd.hpp"
#include "ggl/text.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::store {

namespace fs = std::filesystem;

namespace {

constexpr size_t kBlockSize = 64 * 1024;
// The fixed part of a local file header: what must lie between one entry's data and the next's.
constexpr int64_t kLocalHeaderSize = 30;
// What libarchive's archive_errno() reports for damaged input (its private
// ARCHIVE_ERRNO_FILE_FORMAT and ARCHIVE_ERRNO_MISC on Linux); anything else is the system's.
constexpr int kErrnoFileFormat = EILSEQ;
constexpr int kErrnoMisc = -1;

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
    std::string name; // as the reader reports it (directories end with '/')
    std::string path; // relative path, no trailing '/'
    bool directory = false;
    bool stored = false; // not compressed: its data is exactly `size` bytes
    mode_t mode = 0644;
    uint64_t size = 0; // uncompressed, from the central directory
    int64_t data_start = 0; // offset of the entry's data in the archive
};

struct ArchiveFree {
    void operator()(archive* reader) const { archive_read_free(reader); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// Entry names flagged UTF-8 are converted by libarchive to the current locale's charset,
// which fails for any non-ASCII name in the C locale daemons run in: this thread reads
// under C.UTF-8 for the duration of the call (names without the flag stay raw bytes).
class Utf8Names {
public:
    Utf8Names() : locale_(newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0))) {
        if (locale_ != static_cast<locale_t>(0)) {
            previous_ = uselocale(locale_);
        }
    }
    ~Utf8Names() {
        if (locale_ != static_cast<locale_t>(0)) {
            uselocale(previous_);
            freelocale(locale_);
        }
    }
    Utf8Names(const Utf8Names&) = delete;
    Utf8Names& operator=(const Utf8Names&) = delete;

private:
    locale_t locale_;
    locale_t previous_ = static_cast<locale_t>(0);
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
    Error fail_entry(ErrorCode code, std::string_view name, const std::string& what) const {
        return make_error(code, archive_.string() + ": entry \"" + printable(name) + "\": " + what);
    }
    Error io_error(const std::string& what, int error) const {
        return fail(ErrorCode::Failure, what + ": " + std::strerror(error));
    }
    // What the reader reported, as an error of ours: damage is PARSE, the system's errors FAILURE.
    Error reader_error(archive* reader, const std::string& where) const;

    Result<ArchivePtr> open_reader();
    Result<void> read_entries();
    Result<void> check_entry(archive* reader, archive_entry* header, Entry& entry) const;
    Result<void> check_entry_name(Entry& entry) const;
    Result<void> check_archive() const;
    Result<void> extract_all(const fs::path& root);
    Result<void> extract_file(archive* reader, int directory_fd, const Entry& entry, const Entry* next);
    Result<void> copy_data(archive* reader, const Entry& entry, int out, const Entry* next);
    // `entry`'s local header lies inside the data of `before`.
    Error overlap(const Entry& entry, const Entry& before) const {
        return fail_entry(ErrorCode::Invalid, entry.name,
                          "its data overlaps another entry's (\"" + printable(before.name) + "\")");
    }

    fs::path archive_;
    fs::path destination_;
    ZipLimits limits_;
    const std::function<mode_t(mode_t)>& file_mode_;
    UniqueFd fd_;
    int64_t size_ = 0;
    uint64_t count_ = 0; // every entry, also those beyond limits_.max_entries
    std::vector<Entry> entries_;
    ZipSummary summary_;
};

Error Extractor::reader_error(archive* reader, const std::string& where) const {
    int code = archive_errno(reader);
    const char* text = archive_error_string(reader);
    std::string what = where + (text ? text : "unknown libarchive error");
    if (code == ENOMEM) {
        return make_error(ErrorCode::Nomem, archive_.string() + ": " + what);
    }
    bool damage = code == 0 || code == kErrnoFileFormat || code == kErrnoMisc;
    return make_error(damage ? ErrorCode::Parse : ErrorCode::Failure, archive_.string() + ": " + what);
}

Result<ArchivePtr> Extractor::open_reader() {
    if (::lseek(fd_.get(), 0, SEEK_SET) != 0) {
        return io_error("cannot seek", errno);
    }
    ArchivePtr reader(archive_read_new());
    if (!reader) {
        return fail(ErrorCode::Nomem, "cannot allocate a libarchive reader");
    }
    // Seekable only: the streaming reader would trust local headers in an archive whose
    // central directory is missing (truncated) or says otherwise.
    if (archive_read_support_format_zip_seekable(reader.get()) != ARCHIVE_OK) {
        return reader_error(reader.get(), "");
    }
    if (archive_read_open_fd(reader.get(), fd_.get(), kBlockSize) != ARCHIVE_OK) {
        if (archive_errno(reader.get()) == kErrnoFileFormat) {
            return fail(ErrorCode::Parse, "not a ZIP archive (no end of central directory record found: "
                                          "truncated, another format, or a multi-disk archive)");
        }
        return reader_error(reader.get(), "cannot read: ");
    }
    return reader;
}

// First pass: every header, checked before anything is written.
Result<void> Extractor::read_entries() {
    auto reader = open_reader();
    if (!reader) {
        return reader.error();
    }
    while (true) {
        archive_entry* header = nullptr;
        int status = archive_read_next_header(reader->get(), &header);
        if (status == ARCHIVE_EOF) {
            break;
        }
        // A warning is a damaged entry too (local header and central directory disagree,
        // a name that is not the UTF-8 it claims to be).
        if (status != ARCHIVE_OK) {
            const char* name = header ? archive_entry_pathname(header) : nullptr;
            return reader_error(reader->get(), name ? "entry \"" + printable(name) + "\": "
                                                    : "corrupt entry " + std::to_string(count_ + 1) + ": ");
        }
        if (++count_ > limits_.max_entries) {
            continue; // counted only, for the message below
        }
        Entry entry;
        if (auto checked = check_entry(reader->get(), header, entry); !checked) {
            return checked;
        }
        entries_.push_back(std::move(entry));
    }
    if (count_ > limits_.max_entries) {
        return fail(ErrorCode::Range, "too many entries (" + std::to_string(count_) + "; the limit is " +
                                          std::to_string(limits_.max_entries) + ")");
    }
    return check_archive();
}

Result<void> Extractor::check_entry(archive* reader, archive_entry* header, Entry& entry) const {
    const char* name = archive_entry_pathname(header);
    entry.name = name ? name : "";
    if (archive_entry_is_encrypted(header)) {
        return fail_entry(ErrorCode::Unsupported, entry.name, "encrypted entries are not supported");
    }
    mode_t type = archive_entry_filetype(header);
    if (type == AE_IFLNK) {
        return fail_entry(ErrorCode::Invalid, entry.name, "symbolic links are not allowed in artifacts");
    }
    if (type != AE_IFREG && type != AE_IFDIR) {
        return fail_entry(ErrorCode::Invalid, entry.name, "special files (devices, FIFOs, sockets) are not allowed");
    }
    // The reader marks names ending with '/' as directories and gives those a '/'.
    entry.directory = type == AE_IFDIR;
    if (auto checked = check_entry_name(entry); !checked) {
        return checked;
    }
    if (!archive_entry_size_is_set(header) || archive_entry_size(header) < 0) {
        return fail_entry(ErrorCode::Parse, entry.name, "no uncompressed size in the central directory");
    }
    entry.size = static_cast<uint64_t>(archive_entry_size(header));
    entry.data_start = archive_filter_bytes(reader, 0);
    // Keep exec bits; drop setuid/setgid/sticky and write access for group and others.
    // The reader gives files without Unix modes 0664, which becomes 0644 here.
    mode_t permissions = archive_entry_perm(header) & 0777;
    entry.mode = permissions != 0 ? (permissions & 0755) | 0600 : 0644;
    if (entry.directory) {
        if (entry.size != 0) {
            return fail_entry(ErrorCode::Invalid, entry.name, "a directory entry with data");
        }
        return {};
    }
    // The reader names the entry's method in the format name, "ZIP 2.0 (deflation)".
    std::string_view format = archive_format_name(reader) ? archive_format_name(reader) : "";
    size_t open = format.rfind('(');
    std::string_view method = open == std::string_view::npos || format.back() != ')'
                                  ? std::string_view("unknown")
                                  : format.substr(open + 1, format.size() - open - 2);
    if (method != "uncompressed" && method != "deflation") {
        return fail_entry(ErrorCode::Unsupported, entry.name,
                          "compression method " + std::string(method) + " is not supported (only stored and deflated)");
    }
    entry.stored = method == "uncompressed";
    return {};
}

Result<void> Extractor::check_entry_name(Entry& entry) const {
    std::string_view name = entry.name;
    if (name.empty()) {
        return fail_entry(ErrorCode::Invalid, entry.name, "empty name");
    }
    if (name.front() == '/') {
        return fail_entry(ErrorCode::Invalid, entry.name, "absolute path");
    }
    if (name.find('\\') != std::string_view::npos) {
        return fail_entry(ErrorCode::Invalid, entry.name, "backslash in the name (not a portable separator)");
    }
    if (entry.directory && name.back() == '/') {
        name.remove_suffix(1);
    }
    size_t start = 0;
    while (true) {
        size_t slash = name.find('/', start);
        std::string_view component = name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
        if (component == "..") {
            return fail_entry(ErrorCode::Invalid, entry.name, "\"..\" in the path (it would escape the destination)");
        }
        if (!is_safe_path_segment(component)) {
            return fail_entry(ErrorCode::Invalid, entry.name,
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

// The rules that span entries: sizes, ratios, layout, duplicates.
Result<void> Extractor::check_archive() const {
    // The reader visits entries in the order of their local headers; an entry's data
    // lies between its data start and the next entry's local header (or the end of the
    // file), so the gap between data starts bounds its compressed size before any byte
    // is inflated. Bounding each entry's ratio by that gap bounds the whole archive's
    // output by limits_.max_ratio times its size, however its entries overlap.
    uint64_t total = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
        const Entry& entry = entries_[i];
        const Entry* next = i + 1 < entries_.size() ? &entries_[i + 1] : nullptr;
        int64_t end = next ? next->data_start : size_;
        // A stored entry's size is its length in the archive; a compressed one's is
        // known once read (copy_data).
        if (next && (end - entry.data_start < kLocalHeaderSize ||
                     (entry.stored && entry.size > static_cast<uint64_t>(end - entry.data_start - kLocalHeaderSize)))) {
            return overlap(*next, entry);
        }
        if (entry.directory) {
            continue;
        }
        if (entry.size > limits_.max_total_bytes - total) {
            return fail_entry(ErrorCode::Range, entry.name,
                              "the archive expands to more than " + std::to_string(limits_.max_total_bytes) + " bytes");
        }
        total += entry.size;
        uint64_t room = static_cast<uint64_t>(std::max<int64_t>(end - entry.data_start, 1));
        if (entry.size / room > limits_.max_ratio ||
            (entry.size / room == limits_.max_ratio && entry.size % room != 0)) {
            return fail_entry(ErrorCode::Range, entry.name,
                              "compression ratio above " + std::to_string(limits_.max_ratio) + " (" +
                                  std::to_string(entry.size) + " bytes from at most " + std::to_string(room) +
                                  "): a zip bomb?");
        }
    }

    // Duplicates, and a name used both as a file and as a directory.
    std::set<std::string_view> names, directories;
    for (const Entry& entry : entries_) {
        if (!names.insert(entry.path).second) {
            return fail_entry(ErrorCode::Invalid, entry.name, "duplicate name in the archive");
        }
        for (size_t slash = entry.path.find('/'); slash != std::string::npos; slash = entry.path.find('/', slash + 1)) {
            directories.insert(std::string_view(entry.path).substr(0, slash));
        }
    }
    for (const Entry& entry : entries_) {
        if (!entry.directory && directories.count(entry.path)) {
            return fail_entry(ErrorCode::Invalid, entry.name, "a file whose name is also used as a directory");
        }
    }
    return {};
}

Result<void> Extractor::copy_data(archive* reader, const Entry& entry, int out, const Entry* next) {
    uint64_t written = 0;
    while (true) {
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int status = archive_read_data_block(reader, &block, &size, &offset);
        if (status == ARCHIVE_EOF) {
            break;
        }
        // Warnings included: a CRC-32 or size that disagrees with the central directory.
        if (status != ARCHIVE_OK) {
            return reader_error(reader, "entry \"" + printable(entry.name) + "\": ");
        }
        if (offset < 0 || static_cast<uint64_t>(offset) != written) {
            return fail_entry(ErrorCode::Parse, entry.name, "data out of sequence");
        }
        // Checked before each block is written: the bytes actually inflated stay within
        // the declared size, and so within the limits checked against it.
        if (size > entry.size - written) {
            return fail_entry(ErrorCode::Parse, entry.name,
                              "expands beyond its declared size of " + std::to_string(entry.size) + " bytes");
        }
        written += size;
        const auto* data = static_cast<const char*>(block);
        while (size > 0) {
            ssize_t put = ::write(out, data, size);
            if (put < 0) {
                if (errno == EINTR) continue;
                return fail_entry(ErrorCode::Failure, entry.name, std::string("cannot write: ") + std::strerror(errno));
            }
            data += put;
            size -= static_cast<size_t>(put);
        }
    }
    if (written != entry.size) {
        return fail_entry(ErrorCode::Parse, entry.name,
                          "holds " + std::to_string(written) + " bytes, not the declared " +
                              std::to_string(entry.size));
    }
    // The compressed bytes the reader consumed: they must end before the next local
    // header, and the ratio holds against them as well.
    int64_t data_end = archive_filter_bytes(reader, 0);
    if (data_end < entry.data_start) {
        return fail_entry(ErrorCode::Parse, entry.name, "the reader went backwards");
    }
    if (next && data_end > next->data_start - kLocalHeaderSize) {
        return overlap(*next, entry);
    }
    uint64_t compressed = std::max<uint64_t>(static_cast<uint64_t>(data_end - entry.data_start), 1);
    if (written / compressed > limits_.max_ratio ||
        (written / compressed == limits_.max_ratio && written % compressed != 0)) {
        return fail_entry(ErrorCode::Range, entry.name,
                          "compression ratio above " + std::to_string(limits_.max_ratio) + " (" +
                              std::to_string(written) + " bytes from " + std::to_string(compressed) + "): a zip bomb?");
    }
    return {};
}

Result<void> Extractor::extract_file(archive* reader, int directory_fd, const Entry& entry, const Entry* next) {
    // The parent directories exist already (created in name order); O_EXCL and
    // O_NOFOLLOW refuse anything that is not a fresh file of our own.
    UniqueFd out(
        ::openat(directory_fd, entry.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) {
        return fail_entry(ErrorCode::Failure, entry.name, std::string("cannot create: ") + std::strerror(errno));
    }
    if (auto copied = copy_data(reader, entry, out.get(), next); !copied) {
        return copied;
    }
    mode_t mode = file_mode_ ? file_mode_(entry.mode) : entry.mode;
    if (::fchmod(out.get(), mode) != 0 || ::fsync(out.get()) != 0) {
        return fail_entry(ErrorCode::Failure, entry.name, std::string("cannot finish: ") + std::strerror(errno));
    }
    ++summary_.files;
    summary_.total_bytes += entry.size;
    return {};
}

// Second pass: the same entries again, their data written under `root`.
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
    for (const std::string& directory : directories) { // sorted: parents first
        if (::mkdirat(root_fd.get(), directory.c_str(), 0755) != 0) {
            return fail(ErrorCode::Failure,
                        "cannot create directory \"" + printable(directory) + "\": " + std::strerror(errno));
        }
    }
    summary_.directories = directories.size();

    auto reader = open_reader();
    if (!reader) {
        return reader.error();
    }
    for (size_t i = 0; i < entries_.size(); ++i) {
        const Entry& entry = entries_[i];
        archive_entry* header = nullptr;
        int status = archive_read_next_header(reader->get(), &header);
        if (status != ARCHIVE_OK) {
            return status == ARCHIVE_EOF ? fail(ErrorCode::Parse, "the archive changed while it was read")
                                         : reader_error(reader->get(), "corrupt entry " + std::to_string(i + 1) + ": ");
        }
        const char* name = archive_entry_pathname(header);
        if (!name || entry.name != name || archive_filter_bytes(reader->get(), 0) != entry.data_start) {
            return fail(ErrorCode::Parse, "the archive changed while it was read");
        }
        if (!entry.directory) {
            const Entry* next = i + 1 < entries_.size() ? &entries_[i + 1] : nullptr;
            if (auto extracted = extract_file(reader->get(), root_fd.get(), entry, next); !extracted) {
                return extracted;
            }
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
    size_ = static_cast<int64_t>(info.st_size);
    Utf8Names utf8_names;
    if (auto read = read_entries(); !read) {
        return read.error();
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
                          "cannot rename the extracted tree to " + destination_.string() + ": " + std::strerror(code));
    }
    cleanup.paths.clear();
    UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (parent_fd) {
        ::fsync(parent_fd.get());
    }
    return summary_;
}

} // namespace

Result<ZipSummary> extract_zip(const fs::path& archive, const fs::path& destination, const ZipLimits& limits,
                               const std::function<mode_t(mode_t)>& file_mode) {
    // "out/x/" names out/x: the temporary sibling is made from the last component.
    fs::path target = destination.has_filename() ? destination : destination.parent_path();
    Extractor extractor(archive, target, limits, file_mode);
    return extractor.run();
}

} // namespace ggl::store
