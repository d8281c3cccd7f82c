// SHA-256 (FIPS 180-4) over a stream of chunks, and base64 (RFC 4648) of the digest: what
// Greengrass recipes' artifact digests are. Our own so that ggdeploymentd does not map
// libcrypto, whose relocations alone cost it about 2.4 MB of PSS.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ggl {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    // The digest of everything passed to update; the object is spent afterwards.
    std::array<uint8_t, 32> finish();

private:
    void compress(const uint8_t* block);

    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t total_bytes_ = 0;
};

// Standard base64 with '=' padding.
std::string base64_encode(const uint8_t* data, size_t size);

} // namespace ggl
