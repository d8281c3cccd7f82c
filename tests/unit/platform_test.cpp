// Unit tests of platform matching and manifest selection (first match wins).
#include "ggl/platform.hpp"

#include <catch2/catch.hpp>

using namespace ggl;

namespace {

Manifest manifest_with(std::vector<std::pair<std::string, std::string>> platform) {
    Manifest manifest;
    manifest.platform = std::move(platform);
    return manifest;
}

Platform linux_amd64() {
    return *parse_platform_overrides("os=linux,architecture=amd64,architecture.detail=x86_64,runtime=aws_nucleus_lite",
                                     Platform{});
}

} // namespace

TEST_CASE("exact values match case-insensitively") {
    CHECK(platform_matches(manifest_with({{"os", "Linux"}}), linux_amd64()));
    CHECK_FALSE(platform_matches(manifest_with({{"os", "windows"}}), linux_amd64()));
}

TEST_CASE("* and all match anything, even an attribute the device lacks") {
    CHECK(platform_matches(manifest_with({{"os", "*"}, {"gpu", "*"}}), linux_amd64()));
    CHECK(platform_matches(manifest_with({{"os", "all"}}), linux_amd64()));
}

TEST_CASE("a missing attribute matches only a wildcard") {
    CHECK_FALSE(platform_matches(manifest_with({{"gpu", "nvidia"}}), linux_amd64()));
}

TEST_CASE("regex values must match the whole attribute") {
    CHECK(platform_matches(manifest_with({{"architecture", "/amd64|aarch64/"}}), linux_amd64()));
    CHECK_FALSE(platform_matches(manifest_with({{"architecture", "/amd/"}}), linux_amd64()));
    CHECK(platform_matches(manifest_with({{"os", "/lin.*/"}}), linux_amd64()));
}

TEST_CASE("regex values: POSIX extended syntax, with ECMAScript's \\d") {
    auto matches = [](const char* pattern) {
        return platform_matches(manifest_with({{"architecture", pattern}}), linux_amd64());
    };
    CHECK(matches("/(x86|amd)64/"));
    CHECK(matches("/amd\\d+/"));
    CHECK(matches("/amd[\\d]{2}/"));
    CHECK(matches("/[a-z]+\\d\\d/"));
    CHECK_FALSE(matches("/amd\\D+/"));
    CHECK(matches("/\\w+/"));
    CHECK(matches("/a.?m.*/"));
    CHECK_FALSE(matches("/md64/")); // the whole value, not a part of it
    CHECK_FALSE(matches("/amd64x|arm/"));
    CHECK_FALSE(matches("/AMD64/")); // case matters in a pattern
    CHECK_FALSE(matches("/(?=amd)amd64/")); // lookahead does not compile: matches nothing
    CHECK(platform_regex_error("/(?=amd)amd64/").has_value());
    CHECK(platform_regex_error("/[/").has_value());
    CHECK(platform_regex_error("/a{2,1}/").has_value());
    CHECK_FALSE(platform_regex_error("/[]a]+/").has_value());
    CHECK_FALSE(platform_regex_error("/x86|aarch64|amd64|arm/").has_value());
    CHECK_FALSE(platform_regex_error("plain").has_value());
}

TEST_CASE("x86_64 in a recipe names the amd64 architecture") {
    CHECK(platform_matches(manifest_with({{"architecture", "x86_64"}}), linux_amd64()));
}

TEST_CASE("a manifest without runtime matches any runtime; a named one must agree") {
    CHECK(platform_matches(manifest_with({{"os", "linux"}}), linux_amd64()));
    CHECK(platform_matches(manifest_with({{"runtime", "aws_nucleus_lite"}}), linux_amd64()));
    CHECK_FALSE(platform_matches(manifest_with({{"runtime", "aws_nucleus_classic"}}), linux_amd64()));
}

TEST_CASE("the first matching manifest wins") {
    Recipe recipe;
    recipe.manifests = {manifest_with({{"os", "windows"}}), manifest_with({{"os", "linux"}}), manifest_with({})};
    recipe.manifests[1].name = "second";
    auto selected = select_manifest(recipe, linux_amd64());
    REQUIRE(selected);
    CHECK((*selected)->name == "second");
}

TEST_CASE("no matching manifest names the platform and what the manifests want") {
    Recipe recipe;
    recipe.manifests = {manifest_with({{"os", "windows"}})};
    auto selected = select_manifest(recipe, linux_amd64());
    REQUIRE_FALSE(selected);
    CHECK(selected.error().code == ErrorCode::Noentry);
    CHECK(selected.error().message.find("os=windows") != std::string::npos);
    CHECK(selected.error().message.find("os=linux") != std::string::npos);
}

TEST_CASE("--platform overrides parse and replace detected attributes") {
    auto platform = parse_platform_overrides(" os = linux , Architecture=aarch64,gpu=nvidia", detect_platform());
    REQUIRE(platform);
    CHECK(*platform->find("architecture") == "aarch64");
    CHECK(*platform->find("gpu") == "nvidia");
    CHECK(*platform->find("runtime") == "aws_nucleus_lite");
    CHECK_FALSE(parse_platform_overrides("os", Platform{}));
    CHECK_FALSE(parse_platform_overrides("=linux", Platform{}));
}

TEST_CASE("another device's architecture does not keep this machine's architecture.detail") {
    Platform here = linux_amd64();
    auto arm = parse_platform_overrides("architecture=arm", here);
    REQUIRE(arm);
    CHECK(*arm->find("architecture") == "arm");
    CHECK(arm->find("architecture.detail") == nullptr);
    CHECK(arm->to_string() == "os=linux, architecture=arm, runtime=aws_nucleus_lite");

    // A machine name is the detail, in Greengrass spelling the architecture.
    auto armv7 = parse_platform_overrides("architecture=armv7l", here);
    REQUIRE(armv7);
    CHECK(*armv7->find("architecture") == "arm");
    CHECK(*armv7->find("architecture.detail") == "armv7l");
    Manifest arm_only = manifest_with({{"os", "linux"}, {"architecture", "arm"}, {"architecture.detail", "armv7l"}});
    CHECK(platform_matches(arm_only, *armv7));
    CHECK_FALSE(platform_matches(arm_only, *arm));
    CHECK_FALSE(platform_matches(arm_only, here));

    auto given = parse_platform_overrides("architecture=aarch64,architecture.detail=custom", here);
    REQUIRE(given);
    CHECK(*given->find("architecture.detail") == "custom");
    auto same = parse_platform_overrides("architecture=amd64", here);
    REQUIRE(same);
    CHECK(*same->find("architecture.detail") == "x86_64");
    auto uname = parse_platform_overrides("Architecture=X86_64", Platform{});
    REQUIRE(uname);
    CHECK(*uname->find("architecture") == "amd64");
    CHECK(*uname->find("architecture.detail") == "x86_64");
}

TEST_CASE("the detected platform uses Greengrass architecture names") {
    Platform platform = detect_platform();
    REQUIRE(platform.find("os"));
    CHECK(*platform.find("os") == "linux");
    REQUIRE(platform.find("architecture"));
    CHECK(*platform.find("architecture") != "x86_64");
}
