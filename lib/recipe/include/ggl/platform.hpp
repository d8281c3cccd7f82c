// The device platform (os, architecture, runtime, custom attributes) and manifest selection.
#pragma once

#include "ggl/error.hpp"
#include "ggl/recipe.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ggl {

// Attributes a manifest's Platform is matched against; keys lower-case.
struct Platform {
    std::vector<std::pair<std::string, std::string>> attributes;

    const std::string* find(std::string_view key) const;
    void set(std::string key, std::string value);
    // "os=linux, architecture=aarch64, ..."
    std::string to_string() const;
};

// This machine: os from uname (linux), architecture in Greengrass spelling (amd64,
// aarch64, arm, x86), architecture.detail (armv7l, ...), runtime aws_nucleus_lite.
Platform detect_platform();

// "os=linux,architecture=aarch64" applied over base; INVALID naming the bad item. An
// architecture is stored in Greengrass spelling (x86_64 → amd64, armv7l → arm, arm64 →
// aarch64); unless the spec gives architecture.detail, a machine name given as
// architecture becomes the detail (armv7l → architecture=arm, architecture.detail=armv7l),
// and a base detail of another architecture is dropped (it described this machine).
Result<Platform> parse_platform_overrides(std::string_view spec, Platform base);

// For a "/regex/" platform value, why the pattern does not compile; nullopt for a valid
// pattern or a plain value.
std::optional<std::string> platform_regex_error(std::string_view value);

// Whether a manifest's Platform admits the platform. A value is matched exactly
// (case-insensitively), "*" (and "all", as the Java nucleus) matches anything, "/re/"
// is a POSIX extended regular expression (with \d and \D as in ECMAScript) that must
// match the whole value. An attribute the platform
// lacks matches only "*". A manifest without a runtime matches any runtime.
bool platform_matches(const Manifest& manifest, const Platform& platform);

// The first matching manifest; NOENTRY naming the platform and the manifests seen.
Result<const Manifest*> select_manifest(const Recipe& recipe, const Platform& platform);

} // namespace ggl
