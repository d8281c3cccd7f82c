// Unit tests of SemVer 2.0.0 parsing and precedence and of npm-style version requirements.
#include "ggl/semver.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using ggl::ErrorCode;
using ggl::SemVer;
using ggl::VersionRange;

namespace Catch {
template <>
struct StringMaker<SemVer> {
    static std::string convert(const SemVer& v) { return v.to_string(); }
};
} // namespace Catch

namespace {

SemVer v(std::string_view text) {
    ggl::Result<SemVer> parsed = SemVer::parse(text);
    INFO(text << ": " << (parsed ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    return *parsed;
}

VersionRange range(std::string_view text) {
    ggl::Result<VersionRange> parsed = VersionRange::parse(text);
    INFO(text << ": " << (parsed ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    return *parsed;
}

std::string range_error(std::string_view text) {
    ggl::Result<VersionRange> parsed = VersionRange::parse(text);
    INFO(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::Parse);
    return parsed.error().message;
}

bool satisfies(std::string_view version, std::string_view requirement) {
    return range(requirement).satisfied_by(v(version));
}

} // namespace

// ---------------------------------------------------------------------------------
// Versions

TEST_CASE("a version parses into its numbers, prerelease and build identifiers") {
    SemVer version = v("1.22.333-rc.1+build.5");
    CHECK(version.major == 1);
    CHECK(version.minor == 22);
    CHECK(version.patch == 333);
    CHECK(version.prerelease == std::vector<std::string>{"rc", "1"});
    CHECK(version.build == std::vector<std::string>{"build", "5"});
    CHECK(version.is_prerelease());
    CHECK_FALSE(v("1.0.0+x").is_prerelease());
}

TEST_CASE("to_string gives back the text a version was parsed from") {
    for (const char* text :
         {"0.0.0", "1.2.3", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
          "1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "18446744073709551615.0.0"}) {
        CHECK(v(text).to_string() == text);
    }
}

TEST_CASE("valid edge-case versions from the specification parse") {
    for (const char* text :
         {"1.0.0-0A.is.legal", "1.0.0-alpha.0valid", "1.0.0-x-y-z.--", "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
          "1.0.0+001", "1.0.0-rc.1+build.1", "2.0.0-rc.1+build.123", "1.2.3-0", "10.20.30"}) {
        INFO(text);
        CHECK(SemVer::parse(text).ok());
    }
}

TEST_CASE("invalid versions are rejected with the reason") {
    struct Case {
        const char* text;
        const char* reason;
    };
    for (const Case& c : std::initializer_list<Case>{
             {"", "expected major.minor.patch"},
             {"1", "expected major.minor.patch"},
             {"1.2", "expected major.minor.patch"},
             {"1.2.3.4", "expected major.minor.patch"},
             {"01.2.3", "leading zero in \"01\""},
             {"1.02.3", "leading zero in \"02\""},
             {"1.2.03", "leading zero in \"03\""},
             {"1.2.3-", "empty prerelease identifier"},
             {"1.2.3-01", "leading zero in prerelease identifier \"01\""},
             {"1.2.3-a..b", "empty prerelease identifier"},
             {"1.2.3-alpha_beta", "invalid character in prerelease identifier \"alpha_beta\""},
             {"1.2.3+", "empty build metadata identifier"},
             {"1.2.3+a+b", "invalid character in build metadata identifier \"a+b\""},
             {"v1.2.3", "\"v1\" is not a number"},
             {" 1.2.3", "\" 1\" is not a number"},
             {"1.2.3 ", "\"3 \" is not a number"},
             {"-1.2.3", "expected major.minor.patch"},
             {"1.2.x", "\"x\" is not a number"},
             {"a.b.c", "\"a\" is not a number"},
             {"1.2.-3", "empty numeric part"},
             {"1..3", "empty numeric part"},
             {"18446744073709551616.0.0", "\"18446744073709551616\" is too large"},
         }) {
        ggl::Result<SemVer> parsed = SemVer::parse(c.text);
        INFO(c.text);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == ErrorCode::Parse);
        CHECK(parsed.error().message == "invalid version \"" + std::string(c.text) + "\": " + c.reason);
    }
}

TEST_CASE("the specification's precedence chain is in increasing order") {
    std::vector<SemVer> chain;
    for (const char* text :
         {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
          "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0"}) {
        chain.push_back(v(text));
    }
    for (size_t i = 0; i < chain.size(); ++i) {
        for (size_t k = 0; k < chain.size(); ++k) {
            INFO(chain[i].to_string() << " vs " << chain[k].to_string());
            CHECK((chain[i] < chain[k]) == (i < k));
            CHECK((chain[i] == chain[k]) == (i == k));
            CHECK((chain[i] > chain[k]) == (i > k));
        }
    }
}

TEST_CASE("numeric prerelease identifiers compare as numbers, even beyond 64 bits") {
    CHECK(v("1.0.0-9") < v("1.0.0-10"));
    CHECK(v("1.0.0-99999999999999999999") > v("1.0.0-9999999999999999999"));
    CHECK(v("1.0.0-99999999999999999999") < v("1.0.0-a"));
    CHECK(v("1.0.0-0") < v("1.0.0-0.0"));
    CHECK(v("1.0.0-A") < v("1.0.0-a")); // ASCII order
}

TEST_CASE("build metadata takes no part in precedence") {
    CHECK(v("1.0.0+a") == v("1.0.0+b"));
    CHECK(v("1.0.0+a") == v("1.0.0"));
    CHECK_FALSE(v("1.0.0+z") < v("1.0.0+a"));
    CHECK(v("1.0.0-rc.1+z") < v("1.0.0+a"));
}

// ---------------------------------------------------------------------------------
// Requirements: what each form means, in comparator form (as node-semver reduces them)

TEST_CASE("each requirement form reduces to the comparators node-semver gives") {
    struct Case {
        const char* requirement;
        const char* comparators;
    };
    for (const Case& c : std::initializer_list<Case>{
             {"1.2.3", "1.2.3"},
             {"=1.2.3", "1.2.3"},
             {"v1.2.3", "1.2.3"},
             {"=v1.2.3", "1.2.3"},
             {"1.2.3+build", "1.2.3"},
             {"1.2.3-beta.1", "1.2.3-beta.1"},
             {">1.2.3", ">1.2.3"},
             {">=1.2.3", ">=1.2.3"},
             {"<1.2.3", "<1.2.3"},
             {"<=1.2.3", "<=1.2.3"},
             {"^1.2.3", ">=1.2.3 <2.0.0-0"},
             {"^0.2.3", ">=0.2.3 <0.3.0-0"},
             {"^0.0.3", ">=0.0.3 <0.0.4-0"},
             {"^1.2.3-beta.2", ">=1.2.3-beta.2 <2.0.0-0"},
             {"^0.0.3-beta", ">=0.0.3-beta <0.0.4-0"},
             {"^1.2", ">=1.2.0 <2.0.0-0"},
             {"^1.2.x", ">=1.2.0 <2.0.0-0"},
             {"^0.1", ">=0.1.0 <0.2.0-0"},
             {"^0.0", ">=0.0.0 <0.1.0-0"},
             {"^0.0.x", ">=0.0.0 <0.1.0-0"},
             {"^0.x", ">=0.0.0 <1.0.0-0"},
             {"^1", ">=1.0.0 <2.0.0-0"},
             {"^*", "*"},
             {"~1.2.3", ">=1.2.3 <1.3.0-0"},
             {"~1.2", ">=1.2.0 <1.3.0-0"},
             {"~1", ">=1.0.0 <2.0.0-0"},
             {"~0.2.3", ">=0.2.3 <0.3.0-0"},
             {"~1.2.3-beta.2", ">=1.2.3-beta.2 <1.3.0-0"},
             {"~>1.2", ">=1.2.0 <1.3.0-0"},
             {"~*", "*"},
             {"1.x", ">=1.0.0 <2.0.0-0"},
             {"1.X", ">=1.0.0 <2.0.0-0"},
             {"1.*", ">=1.0.0 <2.0.0-0"},
             {"1.x.x", ">=1.0.0 <2.0.0-0"},
             {"1", ">=1.0.0 <2.0.0-0"},
             {"1.2.*", ">=1.2.0 <1.3.0-0"},
             {"1.2.x", ">=1.2.0 <1.3.0-0"},
             {"1.2", ">=1.2.0 <1.3.0-0"},
             {"=1.2", ">=1.2.0 <1.3.0-0"},
             {"*", "*"},
             {"x", "*"},
             {"X", "*"},
             {"", "*"},
             {"   ", "*"},
             {"*.*.*", "*"},
             {">1", ">=2.0.0"},
             {">1.2", ">=1.3.0"},
             {">=1", ">=1.0.0"},
             {">=1.2", ">=1.2.0"},
             {"<1", "<1.0.0-0"},
             {"<1.2", "<1.2.0-0"},
             {"<=1", "<2.0.0-0"},
             {"<=1.2", "<1.3.0-0"},
             {">*", "<0.0.0-0"},
             {"<*", "<0.0.0-0"},
             {">=*", "*"},
             {"<=*", "*"},
             {"1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"},
             {"1.2 - 2.3.4", ">=1.2.0 <=2.3.4"},
             {"1.2.3 - 2.3", ">=1.2.3 <2.4.0-0"},
             {"1.2.3 - 2", ">=1.2.3 <3.0.0-0"},
             {"1.2.3-rc.1 - 2.0.0-beta", ">=1.2.3-rc.1 <=2.0.0-beta"},
             {"* - 2", "<3.0.0-0"},
             {"1 - *", ">=1.0.0"},
             {"* - *", "*"},
             {"v1 - v2", ">=1.0.0 <3.0.0-0"},
             {">=1.2.3 <2.0.0", ">=1.2.3 <2.0.0"},
             {">= 1.2.3 < 2.0.0", ">=1.2.3 <2.0.0"},
             {"  >=1.2.3\t<2.0.0  ", ">=1.2.3 <2.0.0"},
             {"^ 1.2.3", ">=1.2.3 <2.0.0-0"},
             {"^1.0.0 || ^2.0.0", ">=1.0.0 <2.0.0-0 || >=2.0.0 <3.0.0-0"},
             {"1.2.3||2.0.0", "1.2.3 || 2.0.0"},
             {"<1.0.0 || >=2.0.0 <3.0.0 || 5.x", "<1.0.0 || >=2.0.0 <3.0.0 || >=5.0.0 <6.0.0-0"},
             {"1.x || *", ">=1.0.0 <2.0.0-0 || *"},
         }) {
        INFO(c.requirement);
        CHECK(range(c.requirement).to_string() == c.comparators);
    }
}

TEST_CASE("the comparator form parses back to the same requirement") {
    for (const char* text : {"^1.2.3", "~0.2", "1.2.3 - 2", "<1.0.0 || >=2.0.0 <3.0.0-0", "*", ">*"}) {
        std::string once = range(text).to_string();
        CHECK(range(once).to_string() == once);
    }
}

TEST_CASE("requirements found in real Greengrass recipes parse") {
    for (const char* text : {">=0.0.0", ">=2.0.0 <3.0.0", "~2.0.0", "=0.9.0", "=1.0.0", ">0.0.0", "^2.0.3", "^1.1.0",
                             "~1.1.0", ">=2.14.0", ">=2.2.0 <2.5.0", "1.0.0", "~2.1.0"}) {
        INFO(text);
        CHECK(VersionRange::parse(text).ok());
    }
}

TEST_CASE("invalid requirements are rejected naming the offending token") {
    CHECK(range_error(">=1.2 foo") ==
          "invalid version requirement \">=1.2 foo\": \"foo\" is not a number, x or * in \"foo\"");
    CHECK(range_error("^1.2.a") ==
          "invalid version requirement \"^1.2.a\": \"a\" is not a number, x or * in \"^1.2.a\"");
    CHECK(range_error("^01.2") == "invalid version requirement \"^01.2\": leading zero in \"01\" in \"^01.2\"");
    CHECK_THAT(range_error("1.2.3.4"), Catch::Contains("more than three numeric parts in \"1.2.3.4\""));
    CHECK_THAT(range_error("1.x.3"), Catch::Contains("a number after a wildcard in \"1.x.3\""));
    CHECK_THAT(range_error("*.1"), Catch::Contains("a number after a wildcard"));
    CHECK_THAT(range_error("1.2-beta"),
               Catch::Contains("a prerelease or build needs major.minor.patch in \"1.2-beta\""));
    CHECK_THAT(range_error("1.x-beta"), Catch::Contains("a prerelease or build needs major.minor.patch"));
    CHECK_THAT(range_error("1.2.3-01"), Catch::Contains("leading zero in prerelease identifier \"01\""));
    CHECK_THAT(range_error(">="), Catch::Contains("no version after \">=\""));
    CHECK_THAT(range_error("1.0.0 >="), Catch::Contains("no version after \">=\""));
    CHECK_THAT(range_error(">=v"), Catch::Contains("no version after \">=v\""));
    CHECK_THAT(range_error("1.2.3 -"), Catch::Contains("\"-\" must stand between exactly two versions"));
    CHECK_THAT(range_error("1.2.3 - 2.0.0 - 3"), Catch::Contains("\"-\" must stand between exactly two versions"));
    CHECK_THAT(range_error("1.0.0 - x.y"), Catch::Contains("\"y\" is not a number, x or * in \"x.y\""));
    CHECK_THAT(range_error("1.0.0 ||"), Catch::Contains("empty alternative next to \"||\""));
    CHECK_THAT(range_error("|| 1.0.0"), Catch::Contains("empty alternative next to \"||\""));
    CHECK_THAT(range_error("1.0.0 | 2.0.0"), Catch::Contains("in \"|\""));
    CHECK_THAT(range_error(">>1.0.0"), Catch::Contains("in \">>1.0.0\""));
    CHECK_THAT(range_error("18446744073709551615"), Catch::Contains("is too large"));
    CHECK_THAT(range_error("99999999999999999999999"), Catch::Contains("is too large"));
    CHECK_THAT(range_error("1.0.0\x01"), Catch::Contains("\\x01"));
}

// ---------------------------------------------------------------------------------
// Requirements: which versions satisfy them

TEST_CASE("an exact requirement admits that version only, whatever its build metadata") {
    CHECK(satisfies("1.2.3", "1.2.3"));
    CHECK(satisfies("1.2.3+build.7", "=1.2.3"));
    CHECK_FALSE(satisfies("1.2.4", "1.2.3"));
    CHECK_FALSE(satisfies("1.2.3-beta", "1.2.3"));
    CHECK(satisfies("1.2.3-beta", "1.2.3-beta"));
}

TEST_CASE("comparison operators admit the versions on their side of the bound") {
    CHECK(satisfies("1.2.4", ">1.2.3"));
    CHECK_FALSE(satisfies("1.2.3", ">1.2.3"));
    CHECK(satisfies("1.2.3", ">=1.2.3"));
    CHECK_FALSE(satisfies("1.2.2", ">=1.2.3"));
    CHECK(satisfies("1.2.2", "<1.2.3"));
    CHECK_FALSE(satisfies("1.2.3", "<1.2.3"));
    CHECK(satisfies("1.2.3", "<=1.2.3"));
    CHECK_FALSE(satisfies("1.2.4", "<=1.2.3"));
    CHECK(satisfies("2.0.0", ">1.x"));
    CHECK_FALSE(satisfies("1.9.9", ">1.x"));
    CHECK(satisfies("1.9.9", "<=1.x"));
    CHECK_FALSE(satisfies("2.0.0", "<=1.x"));
    CHECK_FALSE(satisfies("0.0.0", "<*"));
    CHECK(satisfies("0.0.0", ">=*"));
}

TEST_CASE("a caret admits changes that keep the leftmost non-zero part") {
    CHECK(satisfies("1.2.3", "^1.2.3"));
    CHECK(satisfies("1.9.9", "^1.2.3"));
    CHECK_FALSE(satisfies("2.0.0", "^1.2.3"));
    CHECK_FALSE(satisfies("1.2.2", "^1.2.3"));
    CHECK(satisfies("0.2.9", "^0.2.3"));
    CHECK_FALSE(satisfies("0.3.0", "^0.2.3"));
    CHECK(satisfies("0.0.3", "^0.0.3"));
    CHECK_FALSE(satisfies("0.0.4", "^0.0.3"));
}

TEST_CASE("a tilde admits patch changes, or minor ones when only the major is given") {
    CHECK(satisfies("1.2.9", "~1.2.3"));
    CHECK_FALSE(satisfies("1.3.0", "~1.2.3"));
    CHECK_FALSE(satisfies("1.2.2", "~1.2.3"));
    CHECK(satisfies("1.9.0", "~1"));
    CHECK_FALSE(satisfies("2.0.0", "~1"));
}

TEST_CASE("wildcards and partial versions admit every release they leave open") {
    CHECK(satisfies("1.0.0", "1.x"));
    CHECK(satisfies("1.99.0", "1"));
    CHECK_FALSE(satisfies("2.0.0", "1.x"));
    CHECK_FALSE(satisfies("0.9.9", "1.x"));
    CHECK(satisfies("1.2.7", "1.2.*"));
    CHECK_FALSE(satisfies("1.3.0", "1.2"));
    CHECK(satisfies("0.0.0", "*"));
    CHECK(satisfies("99.0.0", ""));
}

TEST_CASE("a hyphen range includes both ends, and a partial upper end its whole range") {
    CHECK(satisfies("1.2.3", "1.2.3 - 2.3.4"));
    CHECK(satisfies("2.3.4", "1.2.3 - 2.3.4"));
    CHECK_FALSE(satisfies("2.3.5", "1.2.3 - 2.3.4"));
    CHECK_FALSE(satisfies("1.2.2", "1.2.3 - 2.3.4"));
    CHECK(satisfies("2.3.9", "1.2 - 2.3"));
    CHECK_FALSE(satisfies("2.4.0", "1.2 - 2.3"));
    CHECK(satisfies("1.2.0", "1.2 - 2.3"));
}

TEST_CASE("space-separated comparators must all hold") {
    CHECK(satisfies("1.4.9", ">=1.2.3 <1.5.0"));
    CHECK_FALSE(satisfies("1.5.0", ">=1.2.3 <1.5.0"));
    CHECK_FALSE(satisfies("1.2.2", ">=1.2.3 <1.5.0"));
    CHECK_FALSE(satisfies("1.5.0", ">=2.0.0 <1.0.0"));
}

TEST_CASE("alternatives separated by || need only one to hold") {
    CHECK(satisfies("0.9.0", "<1.0.0 || >=2.0.0"));
    CHECK_FALSE(satisfies("1.5.0", "<1.0.0 || >=2.0.0"));
    CHECK(satisfies("2.0.0", "<1.0.0 || >=2.0.0"));
    CHECK(satisfies("3.1.0", "^1.0.0 || ^2.0.0 || 3.1.x"));
}

TEST_CASE("a prerelease is admitted only by a comparator naming a prerelease of the same release") {
    CHECK(satisfies("1.2.3-alpha.7", ">=1.2.3-alpha.3"));
    CHECK_FALSE(satisfies("1.2.3-alpha.2", ">=1.2.3-alpha.3"));
    CHECK_FALSE(satisfies("3.4.5-alpha.9", ">=1.2.3-alpha.3"));
    CHECK(satisfies("3.4.5", ">=1.2.3-alpha.3"));
    CHECK(satisfies("1.2.3-beta.4", "^1.2.3-beta.2"));
    CHECK_FALSE(satisfies("1.2.4-beta", "^1.2.3-beta.2"));
    CHECK(satisfies("1.2.3-rc.1", "~1.2.3-beta"));
    CHECK_FALSE(satisfies("1.0.0-beta", "*"));
    CHECK_FALSE(satisfies("1.5.0-beta", "^1.0.0"));
    CHECK_FALSE(satisfies("2.0.0-beta", "<2.0.0"));
    CHECK_FALSE(satisfies("2.0.0-beta", "^1.0.0"));
    CHECK_FALSE(satisfies("2.0.0-0", "1.x"));
    CHECK(satisfies("1.2.3-beta", ">1.2.3-alpha <1.2.3"));
    // The rule applies per alternative: the second set names 2.0.0's prereleases.
    CHECK(satisfies("2.0.0-rc.1", "^1.0.0 || >=2.0.0-rc.0 <2.0.0"));
    CHECK_FALSE(satisfies("2.0.0-rc.1", "^1.0.0 || >=2.0.0"));
    CHECK(satisfies("1.2.3-rc.1", "1.2.3-beta - 1.2.3"));
}

TEST_CASE("highest_match picks the highest version that satisfies the requirement") {
    std::vector<SemVer> candidates;
    for (const char* text : {"1.0.0", "1.2.0", "1.10.0", "1.9.9-rc.1", "2.0.0", "2.1.0-beta", "0.9.0"}) {
        candidates.push_back(v(text));
    }
    CHECK(range("^1.0.0").highest_match(candidates) == v("1.10.0"));
    CHECK(range("~1.2").highest_match(candidates) == v("1.2.0"));
    CHECK(range("*").highest_match(candidates) == v("2.0.0"));
    CHECK(range(">=2.1.0-alpha").highest_match(candidates) == v("2.1.0-beta"));
    CHECK(range(">=2.0.0-alpha").highest_match(candidates) == v("2.0.0"));
    CHECK(range("<1.0.0 || 1.2.x").highest_match(candidates) == v("1.2.0"));
    CHECK_FALSE(range("^3").highest_match(candidates).has_value());
    CHECK_FALSE(range("^1").highest_match({}).has_value());
}

TEST_CASE("highest_match keeps the first of versions that differ only in build metadata") {
    std::vector<SemVer> candidates{v("1.0.0+a"), v("1.0.0+b"), v("0.5.0")};
    std::optional<SemVer> best = range("1.x").highest_match(candidates);
    REQUIRE(best.has_value());
    CHECK(best->to_string() == "1.0.0+a");
}
