// The rules of `ggl check` (cli/ggl/check_rules.cpp): space limits, the clock, the
// device certificate and key (generated in memory here), and the two printed forms.
#include "check_rules.hpp"

#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

using namespace ggl;
using check::Finding;
using check::Status;

namespace {

constexpr int64_t kDay = 86400;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

KeyPtr generate_ec_key() {
    KeyPtr key(EVP_EC_gen("P-256"));
    REQUIRE(key);
    return key;
}

KeyPtr generate_rsa_key() {
    KeyPtr key(EVP_RSA_gen(2048));
    REQUIRE(key);
    return key;
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(size));
}

std::string key_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    return bio_text(bio.get());
}

// A self-signed certificate for key, valid from now + from_seconds to now + to_seconds.
std::string certificate_pem(EVP_PKEY* key, const std::string& common_name, int64_t from_seconds, int64_t to_seconds) {
    std::unique_ptr<X509, X509Free> certificate(X509_new());
    REQUIRE(certificate);
    X509_set_version(certificate.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), static_cast<long>(from_seconds));
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), static_cast<long>(to_seconds));
    X509_NAME* name = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(certificate.get(), name);
    X509_set_pubkey(certificate.get(), key);
    REQUIRE(X509_sign(certificate.get(), key, EVP_sha256()) > 0);
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    REQUIRE(PEM_write_bio_X509(bio.get(), certificate.get()) == 1);
    return bio_text(bio.get());
}

} // namespace

TEST_CASE("plenty of free space is fine, little is a warning, almost none is an error") {
    const auto& limits = check::kDiskSpaceLimits;
    CHECK(check::grade_space(100 * kGiB, 50 * kGiB, limits) == Status::Ok);
    // Below 10% is a warning even when it is many megabytes...
    CHECK(check::grade_space(100 * kGiB, 9 * kGiB, limits) == Status::Warning);
    // ... and below 100 MiB is a warning even when it is most of a small disk.
    CHECK(check::grade_space(128 * kMiB, 99 * kMiB, limits) == Status::Warning);
    CHECK(check::grade_space(128 * kMiB, 101 * kMiB, limits) == Status::Ok);
    // Below 1% or below 10 MiB is an error.
    CHECK(check::grade_space(2000 * kGiB, 19 * kGiB, limits) == Status::Error);
    CHECK(check::grade_space(50 * kMiB, 9 * kMiB, limits) == Status::Error);
    CHECK(check::grade_space(100 * kGiB, 0, limits) == Status::Error);
}

TEST_CASE("inodes are graded by share and by count, and a filesystem without a limit is fine") {
    const auto& limits = check::kInodeLimits;
    CHECK(check::grade_space(0, 0, limits) == Status::Ok);
    CHECK(check::grade_space(1'000'000, 500'000, limits) == Status::Ok);
    CHECK(check::grade_space(1'000'000, 50'000, limits) == Status::Warning);
    CHECK(check::grade_space(1'000'000, 5'000, limits) == Status::Error);
    CHECK(check::grade_space(5'000, 900, limits) == Status::Warning);
    CHECK(check::grade_space(5'000, 99, limits) == Status::Error);
}

TEST_CASE("sizes read in binary units") {
    CHECK(check::format_bytes(512) == "512 B");
    CHECK(check::format_bytes(20 * 1024) == "20 KiB");
    CHECK(check::format_bytes(312 * kMiB) == "312 MiB");
    CHECK(check::format_bytes(3 * kGiB / 2) == "1.5 GiB");
}

TEST_CASE("a clock before 2024 or before the build is an error, an unsynchronized one a warning") {
    const int64_t build = 1'790'000'000; // 2026-09-21
    Finding before_2024 = check::grade_clock({0, 0, true});
    CHECK(before_2024.status == Status::Error);
    CHECK(before_2024.detail.find("1970-01-01 00:00:00 UTC") != std::string::npos);
    CHECK_FALSE(before_2024.remedy.empty());

    Finding before_build = check::grade_clock({build - kDay, build, true});
    CHECK(before_build.status == Status::Error);
    CHECK(before_build.detail.find("before this ggl was built (2026-09-21") != std::string::npos);

    Finding unsynchronized = check::grade_clock({build + kDay, build, false});
    CHECK(unsynchronized.status == Status::Warning);
    CHECK(unsynchronized.remedy.find("timedatectl set-ntp true") != std::string::npos);

    CHECK(check::grade_clock({build + kDay, build, true}).status == Status::Ok);
    Finding unknown = check::grade_clock({build + kDay, 0, std::nullopt});
    CHECK(unknown.status == Status::Ok);
    CHECK(unknown.detail.find("unknown") != std::string::npos);
}

TEST_CASE("a private key matches the certificate issued for it and no other") {
    KeyPtr device_key = generate_ec_key();
    KeyPtr other_key = generate_ec_key();
    KeyPtr rsa_key = generate_rsa_key();
    std::string device_certificate = certificate_pem(device_key.get(), "dev-42", 0, 365 * kDay);
    std::string rsa_certificate = certificate_pem(rsa_key.get(), "dev-rsa", 0, 365 * kDay);

    auto same = check::key_matches_certificate(device_certificate, key_pem(device_key.get()));
    REQUIRE(same);
    CHECK(*same);
    auto other = check::key_matches_certificate(device_certificate, key_pem(other_key.get()));
    REQUIRE(other);
    CHECK_FALSE(*other);
    auto rsa = check::key_matches_certificate(rsa_certificate, key_pem(rsa_key.get()));
    REQUIRE(rsa);
    CHECK(*rsa);
    // A key of another type cannot match.
    auto mixed = check::key_matches_certificate(rsa_certificate, key_pem(device_key.get()));
    REQUIRE(mixed);
    CHECK_FALSE(*mixed);
}

TEST_CASE("a key or certificate that is not PEM is a parse error naming which one") {
    KeyPtr key = generate_ec_key();
    std::string certificate = certificate_pem(key.get(), "dev-42", 0, kDay);
    auto bad_key = check::key_matches_certificate(certificate, "not a key");
    REQUIRE_FALSE(bad_key);
    CHECK(bad_key.error().code == ErrorCode::Parse);
    CHECK(bad_key.error().message.find("key") != std::string::npos);
    auto bad_certificate = check::key_matches_certificate(key_pem(key.get()), key_pem(key.get()));
    REQUIRE_FALSE(bad_certificate);
    CHECK(bad_certificate.error().message.find("certificate") != std::string::npos);
    CHECK_FALSE(check::read_certificate(""));
    CHECK(check::count_certificates("garbage").value() == 0);
}

TEST_CASE("an encrypted private key is refused rather than prompted for") {
    KeyPtr key = generate_ec_key();
    std::string certificate = certificate_pem(key.get(), "dev-42", 0, kDay);
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    const char* pass = "secret";
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                     const_cast<char*>(pass)) == 1);
    auto result = check::key_matches_certificate(certificate, bio_text(bio.get()));
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::Parse);
}

TEST_CASE("a certificate's subject and validity are read, and graded against now") {
    KeyPtr key = generate_ec_key();
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    auto info = check::read_certificate(certificate_pem(key.get(), "dev-42", -kDay, 365 * kDay));
    REQUIRE(info);
    CHECK(info->subject == "CN=dev-42");
    CHECK(info->not_before >= now - kDay - 5);
    CHECK(info->not_before <= now - kDay + 5);
    CHECK(info->not_after >= now + 365 * kDay - 5);
    CHECK(check::grade_validity(*info, now) == Status::Ok);
    // Within 30 days of the end: a warning; past it, or before the start: an error.
    CHECK(check::grade_validity(*info, info->not_after - 29 * kDay) == Status::Warning);
    CHECK(check::grade_validity(*info, info->not_after - 31 * kDay) == Status::Ok);
    CHECK(check::grade_validity(*info, info->not_after + 1) == Status::Error);
    CHECK(check::grade_validity(*info, info->not_before - 1) == Status::Error);

    auto expired = check::read_certificate(certificate_pem(key.get(), "old", -10 * kDay, -kDay));
    REQUIRE(expired);
    CHECK(check::grade_validity(*expired, now) == Status::Error);
}

TEST_CASE("a CA bundle's certificates are counted") {
    KeyPtr first = generate_ec_key();
    KeyPtr second = generate_ec_key();
    std::string bundle =
        certificate_pem(first.get(), "Root 1", 0, kDay) + certificate_pem(second.get(), "Root 2", 0, kDay);
    CHECK(check::count_certificates(bundle).value() == 2);
    CHECK(check::count_certificates(certificate_pem(first.get(), "Root 1", 0, kDay)).value() == 1);
}

TEST_CASE("any error makes the exit status 1; warnings and skipped checks do not") {
    std::vector<Finding> findings{
        {"a", Status::Ok, "", ""}, {"b", Status::Warning, "", "do b"}, {"c", Status::Skipped, "", ""}};
    CHECK(check::exit_status(findings) == 0);
    findings.push_back({"d", Status::Error, "", "do d"});
    CHECK(check::exit_status(findings) == 1);
    CHECK(check::exit_status({}) == 0);
}

TEST_CASE("findings print one line each, remedies indented below warnings and errors") {
    std::vector<Finding> findings{{"thing name", Status::Ok, "dev-42", "never shown"},
                                  {"endpoints", Status::Warning, "not set", "ggl config set X HOST"},
                                  {"private key", Status::Error, "does not match", "use the right key"},
                                  {"components", Status::Skipped, "gghealthd does not answer", ""}};
    CHECK(check::render_human(findings, check::Symbols::Unicode) == "\u2713 thing name: dev-42\n"
                                                                    "\u203c endpoints: not set\n"
                                                                    "    \u2192 ggl config set X HOST\n"
                                                                    "\u00d7 private key: does not match\n"
                                                                    "    \u2192 use the right key\n"
                                                                    "\u2013 components: gghealthd does not answer\n"
                                                                    "\n"
                                                                    "4 checks: 1 ok, 1 warning, 1 error, 1 skipped\n");
    std::string ascii = check::render_human(findings, check::Symbols::Ascii);
    CHECK(ascii.find("[ OK ] thing name: dev-42\n") == 0);
    CHECK(ascii.find("[WARN] endpoints: not set\n    -> ggl config set X HOST\n") != std::string::npos);
    CHECK(ascii.find("[FAIL] private key") != std::string::npos);
    CHECK(ascii.find("[SKIP] components") != std::string::npos);
    for (unsigned char c : ascii) {
        CHECK(c < 0x80);
    }
}

TEST_CASE("findings as JSON carry check, status, detail and a remedy or null") {
    Object list =
        check::to_object({{"clock", Status::Ok, "fine", ""}, {"root path", Status::Error, "missing", "mkdir"}});
    REQUIRE(list.is_list());
    REQUIRE(list.as_list().size() == 2);
    const Map& ok = list.as_list()[0].as_map();
    CHECK(string_field(ok, "check") == "clock");
    CHECK(string_field(ok, "status") == "ok");
    CHECK(string_field(ok, "detail") == "fine");
    REQUIRE(ok.find("remedy") != nullptr);
    CHECK(ok.find("remedy")->is_null());
    const Map& error = list.as_list()[1].as_map();
    CHECK(string_field(error, "status") == "error");
    CHECK(string_field(error, "remedy") == "mkdir");
}
