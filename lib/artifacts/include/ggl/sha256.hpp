// SHA-256 over a stream of chunks, through OpenSSL's EVP interface (libcrypto): what
// Greengrass recipes' artifact digests are (base64 of it: ggl/text.hpp's base64_encode).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

struct evp_md_ctx_st;

namespace ggl {

class Sha256 {
public:
    // Aborts when libcrypto cannot set up a digest (out of memory, or no SHA-256 provider).
    Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    ~Sha256();

    void update(const void* data, size_t size);
    // The digest of everything passed to update; the object is spent afterwards.
    std::array<uint8_t, 32> finish();

private:
    struct Free {
        void operator()(evp_md_ctx_st* context) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> context_;
};

} // namespace ggl
