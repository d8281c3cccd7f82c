// SemVer 2.0.0 parsing and precedence, and npm-style requirement ranges reduced to comparator sets.
#include "ggl/semver.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace ggl {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_identifier_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }

bool is_numeric(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

// Quotes text for an error message; control bytes are shown as \xNN.
std::string quoted(std::string_view s) {
    constexpr char digits[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            out += "\\x";
            out += digits[u >> 4];
            out += digits[u & 0xF];
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (;;) {
        size_t at = s.find(sep);
        parts.push_back(s.substr(0, at));
        if (at == std::string_view::npos) {
            return parts;
        }
        s.remove_prefix(at + 1);
    }
}

// Each function below returns an empty string on success, else what is wrong.

std::string parse_number(std::string_view part, uint64_t& out) {
    if (part.empty()) {
        return "empty numeric part";
    }
    if (!is_numeric(part)) {
        return quoted(part) + " is not a number";
    }
    if (part.size() > 1 && part[0] == '0') {
        return "leading zero in " + quoted(part);
    }
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    if (ec != std::errc{} || end != part.data() + part.size()) {
        return quoted(part) + " is too large";
    }
    return {};
}

std::string parse_identifiers(std::string_view text, bool prerelease, std::vector<std::string>& out) {
    const char* what = prerelease ? "prerelease" : "build metadata";
    for (std::string_view id : split(text, '.')) {
        if (id.empty()) {
            return std::string("empty ") + what + " identifier";
        }
        if (!std::all_of(id.begin(), id.end(), is_identifier_char)) {
            return std::string("invalid character in ") + what + " identifier " + quoted(id);
        }
        if (prerelease && is_numeric(id) && id.size() > 1 && id[0] == '0') {
            return "leading zero in prerelease identifier " + quoted(id);
        }
        out.emplace_back(id);
    }
    return {};
}

// Splits "core-pre+build" and parses the qualifiers.
std::string parse_qualifiers(std::string_view text, std::string_view& core, std::vector<std::string>& prerelease,
                             std::vector<std::string>& build) {
    size_t plus = text.find('+');
    if (plus != std::string_view::npos) {
        std::string problem = parse_identifiers(text.substr(plus + 1), false, build);
        if (!problem.empty()) {
            return problem;
        }
        text = text.substr(0, plus);
    }
    size_t dash = text.find('-');
    if (dash != std::string_view::npos) {
        std::string problem = parse_identifiers(text.substr(dash + 1), true, prerelease);
        if (!problem.empty()) {
            return problem;
        }
        text = text.substr(0, dash);
    }
    core = text;
    return {};
}

int compare_identifiers(std::string_view a, std::string_view b) {
    bool a_num = is_numeric(a);
    bool b_num = is_numeric(b);
    if (a_num && b_num) {
        // Numeric identifiers may exceed 64 bits; compare them as digit strings.
        a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
        b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
        if (a.size() != b.size()) {
            return a.size() < b.size() ? -1 : 1;
        }
        return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
    }
    if (a_num != b_num) {
        return a_num ? -1 : 1;
    }
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
}

// A version as a range writes it: parts may be missing or wildcards (nullopt).
struct Partial {
    std::optional<uint64_t> major;
    std::optional<uint64_t> minor;
    std::optional<uint64_t> patch;
    std::vector<std::string> prerelease;

    bool full() const { return patch.has_value(); }
    SemVer lower() const { return SemVer{*major, minor.value_or(0), patch.value_or(0), prerelease, {}}; }
};

std::string parse_partial(std::string_view text, Partial& out) {
    std::string_view core;
    std::vector<std::string> build;
    std::string problem = parse_qualifiers(text, core, out.prerelease, build);
    if (!problem.empty()) {
        return problem;
    }
    std::vector<std::string_view> parts = split(core, '.');
    if (parts.size() > 3) {
        return "more than three numeric parts";
    }
    std::optional<uint64_t>* fields[] = {&out.major, &out.minor, &out.patch};
    bool wildcard = false;
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string_view part = parts[i];
        if (part == "x" || part == "X" || part == "*") {
            wildcard = true;
            continue;
        }
        uint64_t value = 0;
        problem = parse_number(part, value);
        if (!problem.empty()) {
            return is_numeric(part) || part.empty() ? problem : quoted(part) + " is not a number, x or *";
        }
        if (wildcard) {
            return "a number after a wildcard";
        }
        // The range forms add one to a part; keep that from wrapping around.
        if (value == std::numeric_limits<uint64_t>::max()) {
            return quoted(part) + " is too large";
        }
        *fields[i] = value;
    }
    if ((!out.prerelease.empty() || !build.empty()) && !out.full()) {
        return "a prerelease or build needs major.minor.patch";
    }
    return {};
}

using Op = VersionRange::Op;
using Comparator = VersionRange::Comparator;
using ComparatorSet = std::vector<Comparator>;

SemVer version(uint64_t major, uint64_t minor, uint64_t patch) { return SemVer{major, minor, patch, {}, {}}; }

// The lowest version of major.minor.patch: below every prerelease of it, so "<2.0.0-0"
// excludes 2.0.0-beta as well as 2.0.0.
SemVer floor_of(uint64_t major, uint64_t minor, uint64_t patch) { return SemVer{major, minor, patch, {"0"}, {}}; }

void add_nothing(ComparatorSet& set) { set.push_back({Op::Lt, floor_of(0, 0, 0)}); }

// The releases a partial stands for: 1 is 1.x.x, 1.2 is 1.2.x.
void add_x_range(ComparatorSet& set, const Partial& p) {
    if (!p.major) {
        return;
    }
    if (!p.minor) {
        set.push_back({Op::Ge, version(*p.major, 0, 0)});
        set.push_back({Op::Lt, floor_of(*p.major + 1, 0, 0)});
    } else if (!p.patch) {
        set.push_back({Op::Ge, version(*p.major, *p.minor, 0)});
        set.push_back({Op::Lt, floor_of(*p.major, *p.minor + 1, 0)});
    } else {
        set.push_back({Op::Eq, p.lower()});
    }
}

void add_primitive(ComparatorSet& set, Op op, const Partial& p) {
    if (p.full()) {
        set.push_back({op, p.lower()});
        return;
    }
    if (!p.major) {
        // >* and <* admit nothing; >=*, <=* and =* admit everything.
        if (op == Op::Gt || op == Op::Lt) {
            add_nothing(set);
        }
        return;
    }
    uint64_t major = *p.major;
    uint64_t minor = p.minor.value_or(0);
    switch (op) {
    case Op::Eq: add_x_range(set, p); return;
    case Op::Ge: set.push_back({Op::Ge, version(major, minor, 0)}); return;
    case Op::Gt: set.push_back({Op::Ge, p.minor ? version(major, minor + 1, 0) : version(major + 1, 0, 0)}); return;
    case Op::Lt: set.push_back({Op::Lt, floor_of(major, minor, 0)}); return;
    case Op::Le: set.push_back({Op::Lt, p.minor ? floor_of(major, minor + 1, 0) : floor_of(major + 1, 0, 0)}); return;
    }
}

// ~1.2.3 allows patch updates; ~1 allows minor updates.
void add_tilde(ComparatorSet& set, const Partial& p) {
    if (!p.major) {
        return;
    }
    set.push_back({Op::Ge, p.lower()});
    set.push_back({Op::Lt, p.minor ? floor_of(*p.major, *p.minor + 1, 0) : floor_of(*p.major + 1, 0, 0)});
}

// ^ allows updates that do not change the leftmost non-zero part.
void add_caret(ComparatorSet& set, const Partial& p) {
    if (!p.major) {
        return;
    }
    uint64_t major = *p.major;
    set.push_back({Op::Ge, p.lower()});
    if (major != 0 || !p.minor) {
        set.push_back({Op::Lt, floor_of(major + 1, 0, 0)});
    } else if (*p.minor != 0 || !p.patch) {
        set.push_back({Op::Lt, floor_of(0, *p.minor + 1, 0)});
    } else {
        set.push_back({Op::Lt, floor_of(0, 0, *p.patch + 1)});
    }
}

void add_hyphen(ComparatorSet& set, const Partial& from, const Partial& to) {
    if (from.major) {
        set.push_back({Op::Ge, from.lower()});
    }
    if (!to.major) {
        return;
    }
    if (!to.minor) {
        set.push_back({Op::Lt, floor_of(*to.major + 1, 0, 0)});
    } else if (!to.patch) {
        set.push_back({Op::Lt, floor_of(*to.major, *to.minor + 1, 0)});
    } else {
        set.push_back({Op::Le, to.lower()});
    }
}

enum class Prefix { None, Eq, Lt, Le, Gt, Ge, Tilde, Caret };

struct PrefixName {
    std::string_view text;
    Prefix prefix;
};

// Longest first, so that ">=" is not read as ">".
constexpr PrefixName prefixes[] = {
    {"<=", Prefix::Le}, {">=", Prefix::Ge}, {"~>", Prefix::Tilde}, {"<", Prefix::Lt},
    {">", Prefix::Gt},  {"=", Prefix::Eq},  {"~", Prefix::Tilde},  {"^", Prefix::Caret},
};

Prefix take_prefix(std::string_view& token) {
    for (const PrefixName& p : prefixes) {
        if (token.starts_with(p.text)) {
            token.remove_prefix(p.text.size());
            return p.prefix;
        }
    }
    return Prefix::None;
}

bool is_operator_only(std::string_view token) {
    return std::any_of(std::begin(prefixes), std::end(prefixes), [&](const PrefixName& p) { return p.text == token; });
}

// One comparator token ("^1.2", ">=1.0.0-rc.1") into set; the problem otherwise.
std::string add_token(ComparatorSet& set, std::string_view token) {
    std::string_view rest = token;
    Prefix prefix = take_prefix(rest);
    if (rest.starts_with('v')) {
        rest.remove_prefix(1);
    }
    if (rest.empty()) {
        return "no version after " + quoted(token);
    }
    Partial p;
    std::string problem = parse_partial(rest, p);
    if (!problem.empty()) {
        return problem;
    }
    switch (prefix) {
    case Prefix::None:
    case Prefix::Eq: add_primitive(set, Op::Eq, p); break;
    case Prefix::Lt: add_primitive(set, Op::Lt, p); break;
    case Prefix::Le: add_primitive(set, Op::Le, p); break;
    case Prefix::Gt: add_primitive(set, Op::Gt, p); break;
    case Prefix::Ge: add_primitive(set, Op::Ge, p); break;
    case Prefix::Tilde: add_tilde(set, p); break;
    case Prefix::Caret: add_caret(set, p); break;
    }
    return {};
}

std::vector<std::string_view> split_whitespace(std::string_view s) {
    std::vector<std::string_view> tokens;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
            ++i;
        }
        size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') {
            ++i;
        }
        if (i > start) {
            tokens.push_back(s.substr(start, i - start));
        }
    }
    return tokens;
}

// Reports a problem with the offending token in the text of a whole requirement.
Error range_error(std::string_view text, const std::string& problem, std::string_view token) {
    std::string message = "invalid version requirement " + quoted(text) + ": " + problem;
    if (!token.empty()) {
        message += " in " + quoted(token);
    }
    return make_error(ErrorCode::Parse, std::move(message));
}

std::string_view op_text(Op op) {
    switch (op) {
    case Op::Eq: return "";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    }
    return "";
}

bool holds(const Comparator& c, const SemVer& v) {
    std::weak_ordering order = v <=> c.version;
    switch (c.op) {
    case Op::Eq: return order == 0;
    case Op::Lt: return order < 0;
    case Op::Le: return order <= 0;
    case Op::Gt: return order > 0;
    case Op::Ge: return order >= 0;
    }
    return false;
}

bool set_admits(const ComparatorSet& set, const SemVer& v) {
    if (!std::all_of(set.begin(), set.end(), [&](const Comparator& c) { return holds(c, v); })) {
        return false;
    }
    if (!v.is_prerelease()) {
        return true;
    }
    return std::any_of(set.begin(), set.end(), [&](const Comparator& c) {
        return c.version.is_prerelease() && c.version.major == v.major && c.version.minor == v.minor &&
               c.version.patch == v.patch;
    });
}

} // namespace

Result<SemVer> SemVer::parse(std::string_view text) {
    auto invalid = [&](const std::string& problem) {
        return make_error(ErrorCode::Parse, "invalid version " + quoted(text) + ": " + problem);
    };
    SemVer v;
    std::string_view core;
    std::string problem = parse_qualifiers(text, core, v.prerelease, v.build);
    if (!problem.empty()) {
        return invalid(problem);
    }
    std::vector<std::string_view> parts = split(core, '.');
    if (parts.size() != 3) {
        return invalid("expected major.minor.patch");
    }
    uint64_t* fields[] = {&v.major, &v.minor, &v.patch};
    for (size_t i = 0; i < 3; ++i) {
        problem = parse_number(parts[i], *fields[i]);
        if (!problem.empty()) {
            return invalid(problem);
        }
    }
    return v;
}

std::string SemVer::to_string() const {
    std::string out = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    for (size_t i = 0; i < prerelease.size(); ++i) {
        out += i == 0 ? '-' : '.';
        out += prerelease[i];
    }
    for (size_t i = 0; i < build.size(); ++i) {
        out += i == 0 ? '+' : '.';
        out += build[i];
    }
    return out;
}

std::weak_ordering operator<=>(const SemVer& a, const SemVer& b) {
    if (auto c = a.major <=> b.major; c != 0) {
        return c;
    }
    if (auto c = a.minor <=> b.minor; c != 0) {
        return c;
    }
    if (auto c = a.patch <=> b.patch; c != 0) {
        return c;
    }
    // A release ranks above its prereleases.
    if (a.prerelease.empty() && b.prerelease.empty()) {
        return std::weak_ordering::equivalent;
    }
    if (a.prerelease.empty() || b.prerelease.empty()) {
        return a.prerelease.empty() ? std::weak_ordering::greater : std::weak_ordering::less;
    }
    size_t n = std::min(a.prerelease.size(), b.prerelease.size());
    for (size_t i = 0; i < n; ++i) {
        int c = compare_identifiers(a.prerelease[i], b.prerelease[i]);
        if (c != 0) {
            return c < 0 ? std::weak_ordering::less : std::weak_ordering::greater;
        }
    }
    return a.prerelease.size() <=> b.prerelease.size();
}

bool operator==(const SemVer& a, const SemVer& b) { return (a <=> b) == 0; }

Result<VersionRange> VersionRange::parse(std::string_view text) {
    VersionRange range;
    if (text.find_first_not_of(" \t") == std::string_view::npos) {
        range.sets_.emplace_back();
        return range;
    }
    std::vector<std::string_view> alternatives;
    for (std::string_view rest = text;;) {
        size_t bar = rest.find("||");
        alternatives.push_back(rest.substr(0, bar));
        if (bar == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(bar + 2);
    }
    for (std::string_view alternative : alternatives) {
        std::vector<std::string_view> raw = split_whitespace(alternative);
        if (raw.empty()) {
            return range_error(text, "empty alternative next to \"||\"", {});
        }
        // ">= 1.2.3" is one comparator: an operator standing alone takes the next token.
        std::vector<std::string> tokens;
        for (size_t i = 0; i < raw.size(); ++i) {
            if (is_operator_only(raw[i])) {
                if (i + 1 == raw.size()) {
                    return range_error(text, "no version after " + quoted(raw[i]), {});
                }
                tokens.push_back(std::string(raw[i]) + std::string(raw[i + 1]));
                ++i;
            } else {
                tokens.emplace_back(raw[i]);
            }
        }
        ComparatorSet set;
        bool hyphen = tokens.size() == 3 && tokens[1] == "-";
        if (hyphen) {
            Partial from;
            Partial to;
            for (auto [token, partial] : {std::pair{&tokens[0], &from}, std::pair{&tokens[2], &to}}) {
                std::string_view body = *token;
                if (body.starts_with('v')) {
                    body.remove_prefix(1);
                }
                std::string problem = parse_partial(body, *partial);
                if (!problem.empty()) {
                    return range_error(text, problem, *token);
                }
            }
            add_hyphen(set, from, to);
        } else {
            for (const std::string& token : tokens) {
                if (token == "-") {
                    return range_error(text, "\"-\" must stand between exactly two versions", {});
                }
                std::string problem = add_token(set, token);
                if (!problem.empty()) {
                    return range_error(text, problem, token);
                }
            }
        }
        range.sets_.push_back(std::move(set));
    }
    return range;
}

bool VersionRange::satisfied_by(const SemVer& version) const {
    return std::any_of(sets_.begin(), sets_.end(), [&](const ComparatorSet& set) { return set_admits(set, version); });
}

std::optional<SemVer> VersionRange::highest_match(const std::vector<SemVer>& candidates) const {
    const SemVer* best = nullptr;
    for (const SemVer& candidate : candidates) {
        if (satisfied_by(candidate) && (best == nullptr || candidate > *best)) {
            best = &candidate;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    return *best;
}

std::string VersionRange::to_string() const {
    std::string out;
    for (size_t i = 0; i < sets_.size(); ++i) {
        if (i > 0) {
            out += " || ";
        }
        if (sets_[i].empty()) {
            out += '*';
        }
        for (size_t k = 0; k < sets_[i].size(); ++k) {
            if (k > 0) {
                out += ' ';
            }
            out += op_text(sets_[i][k].op);
            out += sets_[i][k].version.to_string();
        }
    }
    return out;
}

} // namespace ggl
