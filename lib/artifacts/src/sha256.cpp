// SHA-256 through OpenSSL's EVP digest interface.
#include "ggl/sha256.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace ggl {

namespace {

// EVP fails only when it cannot allocate or finds no SHA-256 implementation: nothing a
// caller could recover from, and a digest computed anyway would be wrong.
[[noreturn]] void digest_failed(const char* step) {
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    std::fprintf(stderr, "SHA-256: %s failed: %s\n", step, reason);
    std::abort();
}

} // namespace

void Sha256::Free::operator()(evp_md_ctx_st* context) const { EVP_MD_CTX_free(context); }

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) {
        digest_failed("EVP_DigestInit_ex");
    }
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
    if (EVP_DigestUpdate(context_.get(), data, size) != 1) {
        digest_failed("EVP_DigestUpdate");
    }
}

std::array<uint8_t, 32> Sha256::finish() {
    std::array<uint8_t, 32> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1 || size != digest.size()) {
        digest_failed("EVP_DigestFinal_ex");
    }
    return digest;
}

} // namespace ggl
