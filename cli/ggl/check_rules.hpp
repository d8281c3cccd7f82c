// The rules of `ggl check`: its findings, how disk space, the clock and the device
// certificate are graded, and the two ways findings are printed. No I/O beyond what it
// is given, so the unit tests exercise every rule.
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::check {

// Skipped: the check could not run because something it needs is missing, which
// another finding already reports; it never changes the exit status.
enum class Status { Ok, Warning, Error, Skipped };

// "ok", "warning", "error", "skipped" (the --json spelling).
std::string_view status_name(Status status);

struct Finding {
    std::string check; // what was checked: "thing name", "bus gg_config"
    Status status = Status::Ok;
    std::string detail; // what was found
    std::string remedy; // one line saying what to do; empty when there is nothing to do
};

// 1 when any finding is an error, else 0 (warnings allowed).
int exit_status(const std::vector<Finding>& findings);

// Limits of free space (or free inodes): below warn_* a warning, below error_* an error.
// Either limit (a share of the whole, or an absolute amount) triggers.
struct SpaceLimits {
    double warn_percent = 10;
    uint64_t warn_amount = 100ull << 20;
    double error_percent = 1;
    uint64_t error_amount = 10ull << 20;
};
inline constexpr SpaceLimits kDiskSpaceLimits{};
inline constexpr SpaceLimits kInodeLimits{10, 1000, 1, 100};

// Grades `available` units out of `total`. A filesystem that reports no total (no
// inode limit, as on btrfs) is fine.
Status grade_space(uint64_t total, uint64_t available, const SpaceLimits& limits);

// "1.5 GiB", "312 MiB", "20 KiB", "512 B".
std::string format_bytes(uint64_t bytes);

// The clock: an error when it reads before 2024 or before this program was built, a
// warning when the kernel says it is not synchronized (nullopt: unknown).
struct ClockFacts {
    int64_t now_seconds = 0; // CLOCK_REALTIME
    int64_t build_seconds = 0; // when this program was built; 0: unknown
    std::optional<bool> synchronized;
};
Finding grade_clock(const ClockFacts& facts);

// "2026-11-22 09:04:47 UTC".
std::string format_utc(int64_t seconds);

// The first certificate of a PEM text.
struct CertificateInfo {
    std::string subject; // one line, "CN=dev-42"
    int64_t not_before = 0; // seconds since the epoch
    int64_t not_after = 0;
};
// PARSE when the text holds no PEM certificate.
Result<CertificateInfo> read_certificate(std::string_view pem);
// The number of PEM certificates in the text (a CA bundle may hold several).
Result<size_t> count_certificates(std::string_view pem);
// Whether the PEM private key belongs to the first certificate of certificate_pem (their
// public keys are equal). PARSE naming which of the two could not be read; an encrypted
// key is PARSE too (the daemons cannot use it either).
Result<bool> key_matches_certificate(std::string_view certificate_pem, std::string_view key_pem);

// Expired or not yet valid: an error; expiring within warn_days: a warning.
inline constexpr int kCertificateWarnDays = 30;
Status grade_validity(const CertificateInfo& certificate, int64_t now_seconds, int warn_days = kCertificateWarnDays);

// How the status marks read: ✓ ‼ × – or, for terminals that are not UTF-8, [ OK ] [WARN]
// [FAIL] [SKIP].
enum class Symbols { Unicode, Ascii };

// One line per finding ("✓ thing name: dev-42"), the remedy of a warning or error
// indented on the next line, then a summary line.
std::string render_human(const std::vector<Finding>& findings, Symbols symbols);
// A list of {check, status, detail, remedy} (remedy null when there is none).
Object to_object(const std::vector<Finding>& findings);

} // namespace ggl::check
