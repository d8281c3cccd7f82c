// SemVer 2.0.0 versions and npm-style version requirements (ComponentVersion, VersionRequirement).
#pragma once

#include "ggl/error.hpp"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl {

struct SemVer {
    uint64_t major = 0;
    uint64_t minor = 0;
    uint64_t patch = 0;
    // Dot-separated identifiers after '-' and after '+'.
    std::vector<std::string> prerelease;
    std::vector<std::string> build;

    // Strict SemVer 2.0.0: "1.2.3", "1.0.0-rc.1+build.5". No leading 'v', no spaces,
    // no leading zeros in numeric parts or numeric prerelease identifiers; each part
    // must fit 64 bits. PARSE error naming the problem otherwise.
    static Result<SemVer> parse(std::string_view text);

    std::string to_string() const;
    bool is_prerelease() const { return !prerelease.empty(); }

    // Precedence as SemVer 2.0.0 §11 defines it. Build metadata takes no part, so
    // 1.0.0+a == 1.0.0+b (the ordering is weak: equal versions may print differently).
    friend std::weak_ordering operator<=>(const SemVer& a, const SemVer& b);
    friend bool operator==(const SemVer& a, const SemVer& b);
};

// A requirement as npm and Greengrass VersionRequirement write it:
//   1.2.3  =1.2.3  >1.2.3  >=1.2  <2  <=1.x  ^1.2.3  ~1.2  1.x  1.2.*  *  x  (empty)
//   1.2.3 - 2.3   (hyphen range, partial ends allowed)
//   >=1.2.3 <2.0.0   (space: all must hold)   ^1.0.0 || ^2.0.0   (any alternative)
// Whitespace between an operator and its version and a leading 'v' are accepted, as
// node-semver does; "~>" means "~".
//
// Prerelease versions follow node-semver: 1.3.0-beta satisfies a set of comparators
// only if every comparator holds and at least one comparator of the same set names a
// prerelease of 1.3.0 itself. So ">=1.3.0-alpha" admits 1.3.0-beta but not 1.4.0-beta,
// and "*" or "^1.0.0" admit no prerelease at all: a requirement opts in to
// prereleases of one release explicitly.
class VersionRange {
public:
    enum class Op { Eq, Lt, Le, Gt, Ge };
    struct Comparator {
        Op op = Op::Eq;
        SemVer version;
    };

    // PARSE error naming the offending token, e.g.
    // invalid version requirement ">=1.2 foo": "foo" is not a version
    static Result<VersionRange> parse(std::string_view text);

    bool satisfied_by(const SemVer& version) const;
    // The highest candidate that satisfies the requirement; of candidates with equal
    // precedence (differing only in build metadata) the first one listed.
    std::optional<SemVer> highest_match(const std::vector<SemVer>& candidates) const;

    // The requirement in comparator form, e.g. "^1.2.3 || 3" is
    // ">=1.2.3 <2.0.0-0 || >=3.0.0 <4.0.0-0"; a set with no comparator prints "*".
    std::string to_string() const;

    // Alternatives (OR) of comparator sets (AND); an empty set admits every release.
    const std::vector<std::vector<Comparator>>& alternatives() const { return sets_; }

private:
    std::vector<std::vector<Comparator>> sets_;
};

} // namespace ggl
