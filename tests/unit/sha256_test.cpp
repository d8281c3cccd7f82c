// Unit tests of SHA-256 (OpenSSL EVP) and the base64 of digests against the published test
// vectors (FIPS 180-2, RFC 4648).
#include "ggl/sha256.hpp"
#include "ggl/text.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace ggl;

namespace {

std::string hex_digest_of(std::string_view text) {
    Sha256 hash;
    hash.update(text.data(), text.size());
    auto digest = hash.finish();
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (uint8_t byte : digest) {
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
    }
    return out;
}

std::string base64_of(std::string_view text) { return base64_encode(text); }

} // namespace

TEST_CASE("SHA-256 of the FIPS 180-2 messages") {
    CHECK(hex_digest_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_digest_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 56 bytes: the padding needs a second block.
    CHECK(hex_digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex_digest_of(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 fed in uneven chunks equals the digest of the whole") {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += static_cast<char>(i * 7 + 3);
    Sha256 whole;
    whole.update(text.data(), text.size());
    auto expected = whole.finish();
    for (size_t chunk : {1u, 3u, 63u, 64u, 65u, 127u, 500u}) {
        Sha256 pieces;
        for (size_t at = 0; at < text.size(); at += chunk) {
            pieces.update(text.data() + at, std::min(chunk, text.size() - at));
        }
        CHECK(pieces.finish() == expected);
    }
}

TEST_CASE("base64 of the RFC 4648 vectors, and a digest as recipes write it") {
    CHECK(base64_of("") == "");
    CHECK(base64_of("f") == "Zg==");
    CHECK(base64_of("fo") == "Zm8=");
    CHECK(base64_of("foo") == "Zm9v");
    CHECK(base64_of("foob") == "Zm9vYg==");
    CHECK(base64_of("fooba") == "Zm9vYmE=");
    CHECK(base64_of("foobar") == "Zm9vYmFy");
    Sha256 empty;
    auto digest = empty.finish();
    CHECK(base64_of(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())) ==
          "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}
