// The rules of `ggl check`: grading space, the clock and the device certificate, and
// printing findings for people and for scripts.
#include "check_rules.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <limits>
#include <memory>

namespace ggl::check {
namespace {

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

constexpr int64_t kSecondsPerDay = 86400;
// 2024-01-01 00:00:00 UTC: no device running this code can honestly be earlier.
constexpr int64_t kEarliestSaneTime = 1704067200;

BioPtr memory_bio(std::string_view text) {
    if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
        return nullptr;
    }
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Never prompts for a pass phrase: an encrypted key fails to load.
int no_pass_phrase(char*, int, int, void*) { return 0; }

X509Ptr first_certificate(std::string_view pem) {
    BioPtr bio = memory_bio(pem);
    if (!bio) return nullptr;
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, no_pass_phrase, nullptr));
}

std::optional<int64_t> seconds_of(const ASN1_TIME* time) {
    struct tm parts {};
    if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
        return std::nullopt;
    }
    return static_cast<int64_t>(::timegm(&parts));
}

std::string subject_of(const X509* certificate) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0,
                                   XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
        return "";
    }
    char* data = nullptr;
    // BIO_get_mem_data(), a macro over BIO_ctrl().
    long size = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data);
    return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

std::string plural(size_t n, std::string_view one) {
    return std::to_string(n) + " " + std::string(one) + (n == 1 ? "" : "s");
}

} // namespace

std::string_view status_name(Status status) {
    switch (status) {
    case Status::Ok: return "ok";
    case Status::Warning: return "warning";
    case Status::Error: return "error";
    case Status::Skipped: return "skipped";
    }
    return "error";
}

int exit_status(const std::vector<Finding>& findings) {
    for (const Finding& finding : findings) {
        if (finding.status == Status::Error) return 1;
    }
    return 0;
}

Status grade_space(uint64_t total, uint64_t available, const SpaceLimits& limits) {
    if (total == 0) {
        return Status::Ok;
    }
    double percent = 100.0 * static_cast<double>(available) / static_cast<double>(total);
    if (percent < limits.error_percent || available < limits.error_amount) {
        return Status::Error;
    }
    if (percent < limits.warn_percent || available < limits.warn_amount) {
        return Status::Warning;
    }
    return Status::Ok;
}

std::string format_bytes(uint64_t bytes) {
    constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(kUnits)) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    if (unit == 0) {
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    } else {
        std::snprintf(text, sizeof text, value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
    }
    return text;
}

std::string format_utc(int64_t seconds) {
    time_t when = static_cast<time_t>(seconds);
    struct tm parts {};
    if (::gmtime_r(&when, &parts) == nullptr) {
        return std::to_string(seconds) + " s since the epoch";
    }
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
    return text;
}

Finding grade_clock(const ClockFacts& facts) {
    Finding finding{"clock", Status::Ok, format_utc(facts.now_seconds), ""};
    constexpr const char* kSetTime =
        "set the time (timedatectl set-time 'YYYY-MM-DD hh:mm:ss') and enable NTP (timedatectl set-ntp true)";
    if (facts.now_seconds < kEarliestSaneTime) {
        finding.status = Status::Error;
        finding.detail += ": before 2024, so certificates will not verify";
        finding.remedy = kSetTime;
    } else if (facts.build_seconds > 0 && facts.now_seconds < facts.build_seconds) {
        finding.status = Status::Error;
        finding.detail += ": before this ggl was built (" + format_utc(facts.build_seconds) + ")";
        finding.remedy = kSetTime;
    } else if (facts.synchronized.has_value() && !*facts.synchronized) {
        finding.status = Status::Warning;
        finding.detail += ", not synchronized (NTP)";
        finding.remedy =
            "enable time synchronization: timedatectl set-ntp true (systemd-timesyncd or another NTP client)";
    } else if (facts.synchronized.has_value()) {
        finding.detail += ", synchronized";
    } else {
        finding.detail += " (whether it is synchronized is unknown)";
    }
    return finding;
}

Result<CertificateInfo> read_certificate(std::string_view pem) {
    X509Ptr certificate = first_certificate(pem);
    if (!certificate) {
        return make_error(ErrorCode::Parse, "no PEM certificate in it");
    }
    auto not_before = seconds_of(X509_get0_notBefore(certificate.get()));
    auto not_after = seconds_of(X509_get0_notAfter(certificate.get()));
    if (!not_before || !not_after) {
        return make_error(ErrorCode::Parse, "the certificate's validity dates cannot be read");
    }
    return CertificateInfo{subject_of(certificate.get()), *not_before, *not_after};
}

Result<size_t> count_certificates(std::string_view pem) {
    BioPtr bio = memory_bio(pem);
    if (!bio) return 0;
    size_t count = 0;
    while (X509Ptr certificate{PEM_read_bio_X509(bio.get(), nullptr, no_pass_phrase, nullptr)}) {
        ++count;
    }
    return count;
}

Result<bool> key_matches_certificate(std::string_view certificate_pem, std::string_view key_pem) {
    X509Ptr certificate = first_certificate(certificate_pem);
    if (!certificate) {
        return make_error(ErrorCode::Parse, "the certificate holds no PEM certificate");
    }
    BioPtr bio = memory_bio(key_pem);
    KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass_phrase, nullptr) : nullptr);
    if (!key) {
        return make_error(ErrorCode::Parse, "the key holds no PEM private key (or an encrypted one)");
    }
    EVP_PKEY* public_key = X509_get0_pubkey(certificate.get());
    if (public_key == nullptr) {
        return make_error(ErrorCode::Parse, "the certificate's public key cannot be read");
    }
    // 1: equal; 0: different; negative: different types, which cannot match either.
    return EVP_PKEY_eq(public_key, key.get()) == 1;
}

Status grade_validity(const CertificateInfo& certificate, int64_t now_seconds, int warn_days) {
    if (now_seconds < certificate.not_before || now_seconds > certificate.not_after) {
        return Status::Error;
    }
    if (certificate.not_after - now_seconds < static_cast<int64_t>(warn_days) * kSecondsPerDay) {
        return Status::Warning;
    }
    return Status::Ok;
}

std::string render_human(const std::vector<Finding>& findings, Symbols symbols) {
    bool unicode = symbols == Symbols::Unicode;
    auto mark = [&](Status status) -> const char* {
        switch (status) {
        case Status::Ok: return unicode ? "\u2713" : "[ OK ]";
        case Status::Warning: return unicode ? "\u203c" : "[WARN]";
        case Status::Error: return unicode ? "\u00d7" : "[FAIL]";
        case Status::Skipped: return unicode ? "\u2013" : "[SKIP]";
        }
        return "?";
    };
    std::string text;
    size_t counts[4] = {};
    for (const Finding& finding : findings) {
        ++counts[static_cast<size_t>(finding.status)];
        text += mark(finding.status);
        text += ' ';
        text += finding.check;
        if (!finding.detail.empty()) {
            text += ": " + finding.detail;
        }
        text += '\n';
        if (!finding.remedy.empty() && (finding.status == Status::Warning || finding.status == Status::Error)) {
            text += unicode ? "    \u2192 " : "    -> ";
            text += finding.remedy + '\n';
        }
    }
    text += "\n" + plural(findings.size(), "check") + ": " + std::to_string(counts[0]) + " ok, " +
            plural(counts[1], "warning") + ", " + plural(counts[2], "error");
    if (counts[3] > 0) {
        text += ", " + std::to_string(counts[3]) + " skipped";
    }
    text += '\n';
    return text;
}

Object to_object(const std::vector<Finding>& findings) {
    List list;
    for (const Finding& finding : findings) {
        list.push_back(Map{{"check", finding.check},
                           {"status", status_name(finding.status)},
                           {"detail", finding.detail},
                           {"remedy", finding.remedy.empty() ? Object() : Object(finding.remedy)}});
    }
    return list;
}

} // namespace ggl::check
