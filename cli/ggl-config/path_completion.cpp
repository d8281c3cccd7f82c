// Completion of configuration paths: the keys under the path typed so far, from
// ggconfigd or, with --db, from the database file (never created for this; the ggl
// executable hands such a completion over to ggl-config-db).
#include "config_verbs.hpp"

#include <filesystem>

namespace ggl::config_cli {
namespace {

Result<std::unique_ptr<ConfigAccess>> access_for(const cli::CompletionContext& context) {
    std::string db = context.option("--db");
    if (db.empty()) {
        return make_bus_access(cli::kCompletionTimeout);
    }
    std::error_code error;
    if (!std::filesystem::is_regular_file(db, error)) {
        return make_error(ErrorCode::Noentry, db);
    }
    return open_database_for_completion(db);
}

} // namespace

std::vector<cli::Candidate> config_path_candidates(const cli::CompletionContext& context) {
    // Only PATH, the first positional; --path gives the key as JSON instead.
    if (!context.positionals.empty() || !context.option("--path").empty()) {
        return {};
    }
    size_t slash = context.word.rfind('/');
    std::string parent = slash == std::string::npos ? std::string() : context.word.substr(0, slash);
    std::string prefix = slash == std::string::npos ? std::string() : context.word.substr(0, slash + 1);
    auto path = config::key_path_from_text(parent);
    auto access = path ? access_for(context) : Result<std::unique_ptr<ConfigAccess>>(path.error());
    auto tree = access ? (*access)->read(*path) : Result<Object>(access.error());
    std::vector<cli::Candidate> candidates;
    const Map* children = tree ? tree->if_map() : nullptr;
    if (children == nullptr) {
        return candidates;
    }
    for (const auto& [name, child] : *children) {
        // A key holding '/' cannot be written as PATH (it needs --path).
        if (name.find('/') == std::string::npos && !name.empty()) {
            candidates.push_back({prefix + name + (child.is_map() ? "/" : ""), {}});
        }
    }
    return candidates;
}

} // namespace ggl::config_cli
