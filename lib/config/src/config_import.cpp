// A Greengrass v2 config.tlog replayed into the store, in one transaction.
#include "ggl/config_store.hpp"

namespace ggl::config {
namespace {

Result<TlogReport> replay(ConfigStore& store, const std::string& file, TlogParse& parse, std::vector<Change>* changes) {
    TlogReport report;
    report.problems = std::move(parse.problems);
    if (auto begun = store.begin(); !begun) {
        return std::move(begun).error();
    }
    for (const TlogEntry& entry : parse.entries) {
        Result<void> applied;
        switch (entry.kind) {
        case TlogEntry::Kind::Changed:
            applied = store.write(entry.key_path, entry.value, entry.timestamp, changes);
            break;
        case TlogEntry::Kind::Removed: applied = store.remove(entry.key_path, entry.timestamp, changes); break;
        case TlogEntry::Kind::InteriorAdded:
            applied = store.write(entry.key_path, Map{}, entry.timestamp, changes);
            break;
        case TlogEntry::Kind::Ignored: break;
        }
        if (!applied) {
            // Disk and lock failures end the import; a line the tree cannot take is reported.
            if (applied.error().code != ErrorCode::Conflict && applied.error().code != ErrorCode::Invalid) {
                store.rollback();
                return std::move(applied).error();
            }
            report.problems.push_back(file + ":" + std::to_string(entry.line) + ": " + applied.error().to_string());
            continue;
        }
        ++report.applied;
    }
    if (auto committed = store.commit(); !committed) {
        return std::move(committed).error();
    }
    return report;
}

} // namespace

Result<TlogReport> import_tlog(ConfigStore& store, const std::string& file, std::vector<Change>* changes) {
    auto parse = parse_tlog_file(file);
    if (!parse) {
        return std::move(parse).error();
    }
    return replay(store, file, *parse, changes);
}

Result<TlogReport> import_tlog_text(ConfigStore& store, const std::string& file, std::string_view text,
                                    std::vector<Change>* changes) {
    TlogParse parse = parse_tlog_text(file, text);
    return replay(store, file, parse, changes);
}

} // namespace ggl::config
