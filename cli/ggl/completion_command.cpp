// ggl __complete: the verb from the verb table, the rest from the verb's own parser (its
// command tree, through the verb's own __complete).
#include "front_verbs.hpp"

#include "ggl/cli/completion.hpp"
#include "ggl/cli/error_report.hpp"
#include "ggl/cli/exit_code.hpp"

#include <string>
#include <vector>

namespace ggl::front {

int run_completion(int count, char** words) {
    cli::silence_stderr();
    std::string word = count > 0 ? words[count - 1] : "";
    if (count <= 1) {
        std::vector<cli::Candidate> candidates;
        if (word.starts_with('-')) {
            candidates = {{"--help", "Print the verbs and exit"}, {"-h", "Print the verbs and exit"},
                          {"--version", "Print the version and exit"}};
        } else {
            for (const Verb& verb : verbs()) {
                candidates.push_back({std::string(verb.name), std::string(verb.summary)});
            }
        }
        cli::print_candidates(candidates, word, stdout);
        return cli::kExitOk;
    }

    std::string_view verb_name = words[0];
    // The verb sees `VERB-LABEL __complete WORDS...`, as if typed after the verb.
    std::string complete_verb(cli::kCompleteVerb);
    std::vector<char*> args{complete_verb.data()};
    for (int i = 1; i < count; ++i) {
        args.push_back(words[i]);
    }
    args.push_back(nullptr);
    const Verb* verb = find_verb(verb_name);
    if (verb == nullptr) {
        return cli::kExitOk;  // an unknown verb has no candidates
    }
    std::string label = "ggl " + std::string(verb->name);
    cli::set_program_label(label);
    args.insert(args.begin(), label.data());
    return verb->run(static_cast<int>(args.size()) - 1, args.data());
}

} // namespace ggl::front
