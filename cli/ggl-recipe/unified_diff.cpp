// A line-based unified diff (LCS), for `ggl recipe translate --check`; units are small.
#include "recipe_verbs.hpp"

#include <algorithm>
#include <sstream>

namespace ggl::recipe_cli {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        lines.push_back(line);
    }
    return lines;
}

struct Edit {
    char kind; // ' ', '-', '+'
    size_t old_line, new_line; // 0-based positions before this edit
    std::string text;
};

std::string range_text(size_t start, size_t count) {
    // diff -u numbers lines from 1; an empty range names the line before it.
    return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

} // namespace

std::string unified_diff(const std::string& old_name, const std::string& old_text, const std::string& new_name,
                         const std::string& new_text) {
    if (old_text == new_text) {
        return {};
    }
    std::vector<std::string> a = split_lines(old_text), b = split_lines(new_text);
    std::vector<std::vector<uint32_t>> common(a.size() + 1, std::vector<uint32_t>(b.size() + 1, 0));
    for (size_t i = a.size(); i-- > 0;) {
        for (size_t j = b.size(); j-- > 0;) {
            common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
        }
    }
    std::vector<Edit> edits;
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && j < b.size() && a[i] == b[j]) {
            edits.push_back({' ', i, j, a[i]});
            ++i, ++j;
        } else if (j < b.size() && (i == a.size() || common[i][j + 1] >= common[i + 1][j])) {
            edits.push_back({'+', i, j, b[j]});
            ++j;
        } else {
            edits.push_back({'-', i, j, a[i]});
            ++i;
        }
    }
    constexpr size_t kContext = 3;
    std::string out = "--- " + old_name + "\n+++ " + new_name + "\n";
    size_t k = 0;
    while (k < edits.size()) {
        while (k < edits.size() && edits[k].kind == ' ') ++k;
        if (k == edits.size()) break;
        size_t start = k >= kContext ? k - kContext : 0;
        size_t end = k;
        // Extend the hunk while changes are closer than twice the context.
        while (end < edits.size()) {
            if (edits[end].kind != ' ') {
                ++end;
                continue;
            }
            size_t run = end;
            while (run < edits.size() && edits[run].kind == ' ') ++run;
            if (run == edits.size() || run - end > 2 * kContext) {
                end = std::min(end + kContext, edits.size());
                break;
            }
            end = run;
        }
        size_t old_count = 0, new_count = 0;
        for (size_t e = start; e < end; ++e) {
            old_count += edits[e].kind != '+';
            new_count += edits[e].kind != '-';
        }
        out += "@@ -" + range_text(edits[start].old_line, old_count) + " +" +
               range_text(edits[start].new_line, new_count) + " @@\n";
        for (size_t e = start; e < end; ++e) {
            out += edits[e].kind + edits[e].text + "\n";
        }
        k = end;
    }
    return out;
}

} // namespace ggl::recipe_cli
