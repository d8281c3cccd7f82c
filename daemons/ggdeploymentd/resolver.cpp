// Dependency resolution: a depth-first search for the highest versions that satisfy the
// groups' roots and every chosen recipe's dependencies.
#include "resolver.hpp"

#include "ggl/unit_writer.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <set>

namespace ggl::deployment {
namespace {

struct Requirement {
    std::string origin; // "group G" or "com.example.A 1.0.0"
    std::string origin_component; // empty for a group
    std::string text;
    VersionRange range;
};

struct Requirements {
    std::map<std::string, std::vector<Requirement>> by_component;
    std::vector<std::string> order; // first-seen order, for stable messages

    void add(const std::string& component, Requirement requirement) {
        auto [it, inserted] = by_component.try_emplace(component);
        if (inserted) {
            order.push_back(component);
        }
        it->second.push_back(std::move(requirement));
    }
};

// "com.example.A 1.0.0 (required by com.example.Root 2.0.0, required by group G)"
std::string chain_of(const std::string& component, const Requirements& requirements,
                     const std::map<std::string, const Candidate*>& chosen) {
    std::string chain;
    std::set<std::string> seen;
    std::string current = component;
    while (seen.insert(current).second) {
        auto it = requirements.by_component.find(current);
        if (it == requirements.by_component.end() || it->second.empty()) {
            break;
        }
        const Requirement& first = it->second.front();
        chain += chain.empty() ? "required by " : ", required by ";
        chain += first.origin;
        if (first.origin_component.empty() || !chosen.count(first.origin_component)) {
            break;
        }
        current = first.origin_component;
    }
    return chain;
}

std::string describe_requirements(const std::string& component, const Requirements& requirements,
                                  const std::map<std::string, const Candidate*>& chosen) {
    std::string text;
    for (const Requirement& requirement : requirements.by_component.at(component)) {
        if (!text.empty()) {
            text += "; ";
        }
        text += "\"" + requirement.text + "\" from " + requirement.origin;
        if (!requirement.origin_component.empty()) {
            std::string chain = chain_of(requirement.origin_component, requirements, chosen);
            if (!chain.empty()) {
                text += " (" + chain + ")";
            }
        }
    }
    return text;
}

std::string available_versions(const std::vector<Candidate>& versions) {
    std::vector<SemVer> sorted;
    for (const Candidate& candidate : versions) {
        sorted.push_back(candidate.version());
    }
    std::sort(sorted.begin(), sorted.end());
    std::string text;
    for (const SemVer& version : sorted) {
        text += (text.empty() ? "" : ", ") + version.to_string();
    }
    return text;
}

Result<Requirements> gather(const GroupRoots& roots, const std::map<std::string, const Candidate*>& chosen) {
    Requirements requirements;
    std::deque<std::string> pending;
    for (const auto& [group, components] : roots) {
        for (const auto& [component, text] : components) {
            auto range = VersionRange::parse(text);
            if (!range) {
                return make_error(ErrorCode::Invalid, "group " + group + ": the version requirement \"" + text +
                                                          "\" of " + component +
                                                          " is invalid: " + range.error().message);
            }
            requirements.add(component, Requirement{"group " + group, "", text, std::move(*range)});
            pending.push_back(component);
        }
    }
    std::set<std::string> expanded;
    while (!pending.empty()) {
        std::string component = std::move(pending.front());
        pending.pop_front();
        auto it = chosen.find(component);
        if (it == chosen.end() || !expanded.insert(component).second) {
            continue;
        }
        const Recipe& recipe = *it->second->recipe;
        std::string origin = recipe.name + " " + recipe.version.to_string();
        for (const Dependency& dependency : recipe.dependencies) {
            requirements.add(dependency.name,
                             Requirement{origin, recipe.name, dependency.requirement_text, dependency.requirement});
            pending.push_back(dependency.name);
        }
    }
    return requirements;
}

Result<Resolution> in_dependency_order(const std::map<std::string, const Candidate*>& chosen,
                                       const Requirements& requirements) {
    Resolution order;
    std::map<std::string, int> mark; // 1: on the current path, 2: done
    std::vector<std::string> path;
    std::optional<Error> failure;
    std::function<void(const std::string&)> visit = [&](const std::string& component) {
        if (failure) {
            return;
        }
        int& state = mark[component];
        if (state == 2) {
            return;
        }
        path.push_back(component);
        if (state == 1) {
            auto start = std::find(path.begin(), path.end(), component);
            std::string cycle;
            for (auto it = start; it != path.end(); ++it) {
                cycle += (cycle.empty() ? "" : " -> ") + *it;
            }
            failure = make_error(ErrorCode::Invalid, "dependency cycle: " + cycle);
            return;
        }
        state = 1;
        const Candidate* candidate = chosen.at(component);
        for (const Dependency& dependency : candidate->recipe->dependencies) {
            if (chosen.count(dependency.name)) {
                visit(dependency.name);
            }
        }
        path.pop_back();
        mark[component] = 2;
        ResolvedComponent resolved{candidate, {}};
        for (const Requirement& requirement : requirements.by_component.at(component)) {
            resolved.required_by.push_back(requirement.origin);
        }
        order.push_back(std::move(resolved));
    };
    for (const std::string& component : requirements.order) {
        if (chosen.count(component)) {
            visit(component);
        }
    }
    if (failure) {
        return std::move(*failure);
    }
    return order;
}

} // namespace

namespace {

// Depth-first search over versions, highest first: choose a version for the first
// required component that has none, recurse; when nothing fits, go back and try the
// next version of an earlier choice. Requirements only grow along a path, so a path
// that conflicts can be abandoned at once.
class Search {
public:
    Search(const GroupRoots& roots, const CandidateIndex& candidates) : roots_(roots), candidates_(candidates) {}

    Result<Resolution> run() {
        std::map<std::string, const Candidate*> chosen;
        auto found = step(chosen);
        if (found) {
            return found;
        }
        if (first_conflict_) {
            return std::move(*first_conflict_);
        }
        return std::move(found).error();
    }

private:
    Result<Resolution> step(std::map<std::string, const Candidate*>& chosen) {
        if (++steps_ > kMaxSteps) {
            return make_error(ErrorCode::Conflict, "resolution gave up after trying " + std::to_string(kMaxSteps) +
                                                       " combinations of versions");
        }
        auto requirements = gather(roots_, chosen);
        if (!requirements) {
            return std::move(requirements).error();
        }
        const std::string* next = nullptr;
        for (const std::string& component : requirements->order) {
            if (is_builtin_component(component)) {
                continue;
            }
            const auto& wanted = requirements->by_component.at(component);
            if (auto it = chosen.find(component); it != chosen.end()) {
                bool still_fits = std::all_of(wanted.begin(), wanted.end(), [&](const Requirement& requirement) {
                    return requirement.range.satisfied_by(it->second->version());
                });
                if (!still_fits) {
                    remember_conflict(component, *requirements, chosen);
                    return make_error(ErrorCode::Conflict, "conflict");
                }
                continue;
            }
            if (next == nullptr) {
                next = &component;
            }
        }
        if (next == nullptr) {
            return in_dependency_order(chosen, *requirements);
        }
        const std::string component = *next;
        auto available = candidates_.find(component);
        if (available == candidates_.end() || available->second.empty()) {
            // No version of anything else can conjure a recipe: stop searching.
            missing_ = make_error(ErrorCode::Noentry, "no recipe for " + component + " (" +
                                                          describe_requirements(component, *requirements, chosen) +
                                                          "): add it to the recipe directory");
            return *missing_;
        }
        std::vector<const Candidate*> ordered;
        for (const Candidate& candidate : available->second) {
            ordered.push_back(&candidate);
        }
        std::stable_sort(ordered.begin(), ordered.end(), [](const Candidate* a, const Candidate* b) {
            if (a->version() == b->version()) return a->in_store && !b->in_store;
            return b->version() < a->version();
        });
        const auto& wanted = requirements->by_component.at(component);
        bool any = false;
        for (const Candidate* candidate : ordered) {
            bool fits = std::all_of(wanted.begin(), wanted.end(), [&](const Requirement& requirement) {
                return requirement.range.satisfied_by(candidate->version());
            });
            if (!fits) {
                continue;
            }
            any = true;
            chosen[component] = candidate;
            auto found = step(chosen);
            if (found || missing_ || found.error().code != ErrorCode::Conflict || steps_ > kMaxSteps) {
                return found;
            }
            chosen.erase(component);
        }
        if (!any) {
            remember_conflict(component, *requirements, chosen);
        }
        return make_error(ErrorCode::Conflict, "conflict");
    }

    void remember_conflict(const std::string& component, const Requirements& requirements,
                           const std::map<std::string, const Candidate*>& chosen) {
        if (first_conflict_) {
            return;
        }
        auto available = candidates_.find(component);
        first_conflict_ = make_error(
            ErrorCode::Conflict,
            "no version of " + component + " satisfies every requirement: " +
                describe_requirements(component, requirements, chosen) + "; available: " +
                (available == candidates_.end() ? std::string("none") : available_versions(available->second)));
    }

    static constexpr int kMaxSteps = 10000;
    const GroupRoots& roots_;
    const CandidateIndex& candidates_;
    int steps_ = 0;
    std::optional<Error> first_conflict_;
    std::optional<Error> missing_;
};

} // namespace

Result<Resolution> resolve(const GroupRoots& roots, const CandidateIndex& candidates) {
    return Search(roots, candidates).run();
}

} // namespace ggl::deployment
