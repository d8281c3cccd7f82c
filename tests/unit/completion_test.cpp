// Shell completion read off a CLI11 app (lib/cli completion.cpp).
#include "ggl/cli/command_line.hpp"
#include "ggl/cli/completion.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace ggl;

namespace {

// A program shaped like the ggl commands: global options, verbs, positionals.
struct Program {
    CLI::App app{"test program", "prog"};
    std::string db, format, service, method, dir;
    std::vector<std::string> files;
    bool json = false;
    int count = 0;

    Program() {
        app.add_option("--db", db)->type_name("PATH");
        CLI::App* call = app.add_subcommand("call", "Call a method");
        call->group("Verbs");
        call->add_flag("-v,--verbose", json, "Say more");
        call->add_option("-n,--count", count, "How many")->type_name("N");
        call->add_option("--format", format, "yaml or json")->check(cli::choices({"yaml", "json"}));
        call->add_flag("--json", json, "JSON")->option_text("[=pretty|short]");
        call->add_option("SERVICE", service, "Service name")
            ->check(cli::completer([](const cli::CompletionContext& context) {
                // Echoes what it was told, so the test sees the context.
                return std::vector<cli::Candidate>{{"svc-a", "db=" + context.option("--db")}, {"svc-b", {}}};
            }));
        call->add_option("METHOD", method, "Method name");
        CLI::App* load = app.add_subcommand("load", "Load files");
        load->group("Verbs");
        load->add_option("FILE", files, "Files to load");
        load->add_option("-o,--output", dir, "Where")->type_name("DIR");
        CLI::App* hidden = app.add_subcommand("secret", "Not listed");
        hidden->group("");
    }

    std::vector<std::string> complete(std::vector<std::string> words) {
        char* text = nullptr;
        size_t size = 0;
        std::FILE* out = open_memstream(&text, &size);
        cli::print_completions(app, words, out);
        std::fclose(out);
        std::vector<std::string> lines;
        std::string all(text, size);
        std::free(text);
        for (size_t start = 0; start < all.size();) {
            size_t end = all.find('\n', start);
            lines.push_back(all.substr(start, end - start));
            start = end + 1;
        }
        return lines;
    }
};

using Lines = std::vector<std::string>;

} // namespace

TEST_CASE("completion offers the listed verbs that start with the word") {
    Program program;
    CHECK(program.complete({""}) == Lines{"call\tCall a method", "load\tLoad files"});
    CHECK(program.complete({"ca"}) == Lines{"call\tCall a method"});
    CHECK(program.complete({"secret"}).empty());
}

TEST_CASE("completion offers a verb's options, long and short") {
    Program program;
    Lines options = program.complete({"call", "-"});
    CHECK(std::find(options.begin(), options.end(), "--verbose\tSay more") != options.end());
    CHECK(std::find(options.begin(), options.end(), "-n\tHow many") != options.end());
    CHECK(std::find(options.begin(), options.end(), "--help\tPrint this help message and exit") != options.end());
    CHECK(program.complete({"call", "--c"}) == Lines{"--count\tHow many"});
}

TEST_CASE("completion offers an option's choices, also after '='") {
    Program program;
    CHECK(program.complete({"call", "--format", ""}) == Lines{"yaml", "json"});
    CHECK(program.complete({"call", "--format=j"}) == Lines{"--format=json"});
    CHECK(program.complete({"call", "--json=s"}) == Lines{"--json=short"});
}

TEST_CASE("a positional's completer sees the options given before it") {
    Program program;
    CHECK(program.complete({"--db", "x.db", "call", "svc-"}) == Lines{"svc-a\tdb=x.db", "svc-b"});
    // A short option's value is not taken for the positional.
    CHECK(program.complete({"call", "-n", "3", "s"}) == Lines{"svc-a\tdb=", "svc-b"});
    CHECK(program.complete({"call", "-n3", "s"}) == Lines{"svc-a\tdb=", "svc-b"});
}

TEST_CASE("a positional without candidates gets a hint, files and directories go to the shell") {
    Program program;
    CHECK(program.complete({"call", "svc-a", ""}) == Lines{":hint METHOD: Method name"});
    CHECK(program.complete({"load", "-o", ""}) == Lines{":dirs"});
    CHECK(program.complete({"--db", ""}) == Lines{":files"});
    Program marked;
    marked.app.get_subcommand("load")->get_option("FILE")->check(cli::file_names());
    CHECK(marked.complete({"load", "a.yaml", ""}) == Lines{":files"});
}

TEST_CASE("after '--' every word is a positional") {
    Program program;
    CHECK(program.complete({"call", "--", "-"}).empty());
}
