// Platform detection and manifest selection (first match wins, as in Greengrass v2).
#include "ggl/platform.hpp"
#include "ggl/text.hpp"

#include <regex.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

namespace ggl {
namespace {

std::string trimmed(std::string_view text) {
    size_t start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        return {};
    }
    size_t end = text.find_last_not_of(" \t");
    return std::string(text.substr(start, end - start + 1));
}

// Greengrass names architectures as the JVM does (os.arch), not as uname does.
std::string greengrass_architecture(std::string_view machine) {
    if (machine == "x86_64") return "amd64";
    if (machine == "aarch64" || machine == "arm64") return "aarch64";
    if (machine.starts_with("arm")) return "arm";
    if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686") return "x86";
    return std::string(machine);
}

// A "/re/" value's pattern, compiled as a POSIX extended regular expression (the C
// library's regcomp) that must match the whole value. ECMAScript's \d and \D, which
// POSIX lacks, become [0-9] and [^0-9] (0-9 inside brackets); \w, \W, \s, \S and \b
// the C library knows. Constructs POSIX has not (lookaround, lazy quantifiers,
// backreferences by name) are compile errors, which fail the recipe.
class WholeMatch {
public:
    explicit WholeMatch(std::string_view pattern) {
        std::string anchored = "^(" + posix_pattern(pattern) + ")$";
        int rc = ::regcomp(&compiled_, anchored.c_str(), REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char message[256];
            ::regerror(rc, &compiled_, message, sizeof message);
            error_ = message;
        }
    }
    WholeMatch(const WholeMatch&) = delete;
    WholeMatch& operator=(const WholeMatch&) = delete;
    ~WholeMatch() {
        if (error_.empty()) ::regfree(&compiled_);
    }

    // Empty when the pattern compiled.
    const std::string& error() const { return error_; }
    bool matches(const std::string& value) const {
        return error_.empty() && ::regexec(&compiled_, value.c_str(), 0, nullptr, 0) == 0;
    }

private:
    static std::string posix_pattern(std::string_view pattern) {
        std::string out;
        bool in_brackets = false;
        for (size_t i = 0; i < pattern.size(); ++i) {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.size()) {
                char next = pattern[++i];
                if (next == 'd') {
                    out += in_brackets ? "0-9" : "[0-9]";
                } else if (next == 'D' && !in_brackets) {
                    out += "[^0-9]";
                } else {
                    out += c;
                    out += next;
                }
                continue;
            }
            if (!in_brackets && c == '[') {
                in_brackets = true;
                out += c;
                // A ']' first in the brackets (after an optional '^') is a member.
                if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
                if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
                continue;
            }
            if (in_brackets && c == ']') in_brackets = false;
            out += c;
        }
        return out;
    }

    regex_t compiled_{};
    std::string error_;
};

bool value_matches(const std::string& wanted, const std::string* actual) {
    if (wanted == "*" || ascii_lowercase(wanted) == "all") {
        return true;
    }
    if (actual == nullptr) {
        return false;
    }
    if (wanted.size() >= 2 && wanted.front() == '/' && wanted.back() == '/') {
        // A pattern that does not compile matches nothing (the loader rejected the recipe).
        return WholeMatch(std::string_view(wanted).substr(1, wanted.size() - 2)).matches(*actual);
    }
    if (ascii_lowercase(wanted) == ascii_lowercase(*actual)) {
        return true;
    }
    // x86_64 is what recipes written for uname say; the JVM says amd64.
    static const std::pair<const char*, const char*> kAliases[] = {{"x86_64", "amd64"}, {"arm64", "aarch64"}};
    for (auto [alias, canonical] : kAliases) {
        if (ascii_lowercase(wanted) == alias && *actual == canonical) {
            return true;
        }
    }
    return false;
}

} // namespace

std::optional<std::string> platform_regex_error(std::string_view value) {
    if (value.size() < 2 || value.front() != '/' || value.back() != '/') {
        return std::nullopt;
    }
    WholeMatch pattern(value.substr(1, value.size() - 2));
    if (!pattern.error().empty()) {
        return pattern.error();
    }
    return std::nullopt;
}

const std::string* Platform::find(std::string_view key) const {
    for (const auto& [name, value] : attributes) {
        if (name == key) {
            return &value;
        }
    }
    return nullptr;
}

void Platform::set(std::string key, std::string value) {
    for (auto& [name, existing] : attributes) {
        if (name == key) {
            existing = std::move(value);
            return;
        }
    }
    attributes.emplace_back(std::move(key), std::move(value));
}

std::string Platform::to_string() const {
    std::string out;
    for (const auto& [name, value] : attributes) {
        out += (out.empty() ? "" : ", ") + name + "=" + value;
    }
    return out;
}

Platform detect_platform() {
    Platform platform;
    struct utsname names {};
    std::string system = "linux";
    std::string machine = "x86_64";
    if (::uname(&names) == 0) {
        system = ascii_lowercase(names.sysname);
        machine = names.machine;
    }
    platform.set("os", system);
    platform.set("architecture", greengrass_architecture(machine));
    platform.set("architecture.detail", machine);
    platform.set("runtime", "aws_nucleus_lite");
    return platform;
}

Result<Platform> parse_platform_overrides(std::string_view spec, Platform base) {
    std::optional<std::string> architecture; // as given
    bool detail_given = false;
    while (!spec.empty()) {
        size_t comma = spec.find(',');
        std::string item = trimmed(spec.substr(0, comma));
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        size_t equals = item.find('=');
        if (equals == std::string::npos || trimmed(item.substr(0, equals)).empty()) {
            return make_error(ErrorCode::Invalid, "platform item \"" + item + "\" is not KEY=VALUE");
        }
        std::string key = ascii_lowercase(trimmed(item.substr(0, equals)));
        std::string value = trimmed(item.substr(equals + 1));
        if (key == "architecture") {
            architecture = value;
            value = greengrass_architecture(ascii_lowercase(value));
        }
        detail_given = detail_given || key == "architecture.detail";
        base.set(std::move(key), std::move(value));
    }
    // Another device's architecture: this machine's architecture.detail does not describe
    // it. A machine name (armv7l, x86_64) says what the detail is; a Greengrass name (arm)
    // does not, and the detail is dropped (a manifest that wants one then does not match).
    if (architecture && !detail_given) {
        const std::string* was = base.find("architecture.detail");
        std::string normalized = greengrass_architecture(ascii_lowercase(*architecture));
        bool machine_name = ascii_lowercase(*architecture) != normalized;
        if (machine_name) {
            base.set("architecture.detail", ascii_lowercase(*architecture));
        } else if (was != nullptr && greengrass_architecture(*was) != normalized) {
            std::erase_if(base.attributes,
                          [](const auto& attribute) { return attribute.first == "architecture.detail"; });
        }
    }
    return base;
}

bool platform_matches(const Manifest& manifest, const Platform& platform) {
    return std::all_of(manifest.platform.begin(), manifest.platform.end(), [&](const auto& requirement) {
        return value_matches(requirement.second, platform.find(requirement.first));
    });
}

Result<const Manifest*> select_manifest(const Recipe& recipe, const Platform& platform) {
    for (const Manifest& manifest : recipe.manifests) {
        if (platform_matches(manifest, platform)) {
            return &manifest;
        }
    }
    std::string seen;
    for (const Manifest& manifest : recipe.manifests) {
        std::string attributes;
        for (const auto& [key, value] : manifest.platform) {
            attributes += (attributes.empty() ? "" : ", ") + key + "=" + value;
        }
        seen += (seen.empty() ? "" : "; ") + (attributes.empty() ? std::string("any") : attributes);
    }
    return make_error(ErrorCode::Noentry,
                      "no manifest matches the platform (" + platform.to_string() + "); the manifests want: " + seen);
}

} // namespace ggl
