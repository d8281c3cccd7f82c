// What ggl adds on CLI11 (lib/cli command_line.cpp): the checks with ggl's messages,
// one-line usage errors with exit status 2 pointing at the verb's --help, a verb
// required, --help shaped as ggl's and --version; and that CLI11 accepts the getopt_long
// forms the commands document.
#include "ggl/cli/command_line.hpp"
#include "ggl/cli/error_report.hpp"

#include "command_line_capture.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace ggl;

namespace {

// A program shaped like the ggl commands: a global option, verbs with options and
// positionals of each kind.
struct Program {
    CLI::App app{"A test program.", "prog"};
    std::string db;
    double timeout = 10;
    bool verbose = false, all = false;
    uint64_t count = 0;
    int level = 0;
    int64_t stamp = -1;
    std::string format = "yaml", service, method, output, check;
    std::vector<std::string> files, adds;
    cli::OutputFormat output_format = cli::OutputFormat::Human;
    CLI::App* call = nullptr;
    CLI::App* load = nullptr;

    Program() {
        app.add_option("--db", db, "Database")->type_name("PATH");
        call = app.add_subcommand("call", "Call a method");
        call->add_option("--timeout", timeout, "Seconds")->type_name("SECONDS")->check(cli::positive_seconds());
        call->add_flag("-v,--verbose", verbose, "Say more");
        call->add_flag("-a,--all", all, "All of them");
        call->add_option("-n,--count", count, "How many")->type_name("N")->check(cli::positive_integer());
        call->add_option("--level", level, "Level")->check(cli::integer_in(1, 5));
        call->add_option("--stamp", stamp, "Stamp")->check(cli::non_negative_integer());
        call->add_option("--format", format, "yaml or json")
            ->type_name("FORMAT")
            ->check(cli::choices({"yaml", "json"}));
        call->add_option("-c,--add", adds, "Repeatable")->type_name("NAME=VERSION")->allow_extra_args(false);
        cli::add_output_option(*call, output_format);
        call->add_option("SERVICE", service, "Service name")->required();
        call->add_option("METHOD", method, "Method name")->required();
        load = app.add_subcommand("load", "Load files");
        load->add_option("FILE", files, "Files to load")->required();
        load->add_option("-o,--output", output, "Where")->type_name("DIR");
        load->add_option("--check", check, "Compare")->type_name("DIR");
        load->get_option("--check")->excludes(load->get_option("--output"));
        app.add_subcommand("secret", "Not listed")->group("");
    }
};

using Outcome = testing::ParseOutcome;

// Parses words as prog's arguments, capturing what it prints.
Outcome parse(Program& program, std::vector<std::string> words) {
    cli::set_program_label("prog");
    return testing::capture_parse("prog", std::move(words), [&](int argc, char** argv) {
        return cli::parse_command_line(program.app, argc, argv);
    });
}

} // namespace

TEST_CASE("options take values in every getopt_long form") {
    Program p;
    Outcome o = parse(p, {"--db=x.db", "call", "--timeout", "1.5", "-n3", "-va", "--format=json", "-c", "a=1",
                          "--add=b=2", "--stamp", "0", "svc", "m"});
    REQUIRE_FALSE(o.status);
    CHECK(o.err.empty());
    CHECK(p.db == "x.db");
    CHECK(p.timeout == 1.5);
    CHECK(p.count == 3);
    CHECK(p.verbose);
    CHECK(p.all);
    CHECK(p.format == "json");
    CHECK(p.adds == std::vector<std::string>{"a=1", "b=2"});
    CHECK(p.stamp == 0);
    CHECK(p.service == "svc");
    CHECK(p.method == "m");
    CHECK(p.app.got_subcommand(p.call));
    CHECK(p.app.get_option("--db")->count() == 1);
}

TEST_CASE("a repeatable option takes one value each time it is given") {
    Program p;
    REQUIRE_FALSE(parse(p, {"call", "-c", "a=1", "s", "m"}).status);
    CHECK(p.adds == std::vector<std::string>{"a=1"});
    CHECK(p.service == "s");
    CHECK(p.method == "m");
}

TEST_CASE("'--' ends the options; '-' and negative numbers are values") {
    Program p;
    REQUIRE_FALSE(parse(p, {"call", "--", "-svc", "--method"}).status);
    CHECK(p.service == "-svc");
    CHECK(p.method == "--method");
    Program q;
    REQUIRE_FALSE(parse(q, {"call", "-", "-5"}).status);
    CHECK(q.service == "-");
    CHECK(q.method == "-5");
}

TEST_CASE("a flag takes =true or =false, and a valueless flag passes its =VALUE on") {
    Program p;
    REQUIRE_FALSE(parse(p, {"call", "--verbose=false", "--json", "s", "m"}).status);
    CHECK_FALSE(p.verbose);
    CHECK(p.output_format == cli::OutputFormat::JsonPretty);
    Program q;
    REQUIRE_FALSE(parse(q, {"call", "--json=short", "s", "m"}).status);
    CHECK(q.output_format == cli::OutputFormat::JsonShort);
    Program r;
    Outcome bad = parse(r, {"call", "--verbose=maybe", "s", "m"});
    CHECK(bad.status == 2);
    CHECK(bad.err ==
          "prog: error: --verbose: takes no value but true or false, not 'maybe' (see 'prog call --help')\n");
}

TEST_CASE("each mistake is one line that names it and points at the verb's --help") {
    auto error_of = [](std::vector<std::string> words) {
        Program p;
        Outcome o = parse(p, std::move(words));
        CHECK(o.status == 2);
        CHECK(o.out.empty());
        return o.err;
    };
    CHECK(error_of({}) == "prog: error: no verb given (see 'prog --help')\n");
    CHECK(error_of({"frobnicate"}) == "prog: error: unknown verb 'frobnicate' (see 'prog --help')\n");
    CHECK(error_of({"call", "s"}) == "prog: error: METHOD is required (see 'prog call --help')\n");
    CHECK(error_of({"call", "s", "m", "extra"}) ==
          "prog: error: unexpected argument 'extra' (see 'prog call --help')\n");
    CHECK(error_of({"call", "s", "m", "{\"a\": 1}", "more"}) ==
          "prog: error: unexpected argument '{\"a\": 1}' (see 'prog call --help')\n");
    CHECK(error_of({"call", "s", "m", "--no=1", "more"}) ==
          "prog: error: unknown option '--no' (see 'prog call --help')\n");
    CHECK(error_of({"call", "--nope", "s", "m"}) == "prog: error: unknown option '--nope' (see 'prog call --help')\n");
    CHECK(error_of({"call", "-x", "s", "m"}) == "prog: error: unknown option '-x' (see 'prog call --help')\n");
    CHECK(error_of({"call", "s", "m", "--timeout"}) ==
          "prog: error: --timeout needs a value (see 'prog call --help')\n");
    CHECK(error_of({"call", "s", "m", "-n"}) == "prog: error: --count needs a value (see 'prog call --help')\n");
    CHECK(error_of({"call", "--timeout", "0", "s", "m"}) ==
          "prog: error: --timeout: must be a positive number of seconds, not '0' (see 'prog call --help')\n");
    CHECK(error_of({"call", "--timeout", "1e300", "s", "m"}).find("not '1e300'") != std::string::npos);
    CHECK(error_of({"call", "-n", "0", "s", "m"}) ==
          "prog: error: --count: must be a whole number above zero, not '0' (see 'prog call --help')\n");
    CHECK(error_of({"call", "--count", "1.5", "s", "m"}).find("--count: must be a whole number above zero") !=
          std::string::npos);
    CHECK(error_of({"call", "--count", "99999999999999999999", "s", "m"}).find("--count: ") != std::string::npos);
    CHECK(error_of({"call", "--level", "6", "s", "m"}) ==
          "prog: error: --level: must be a whole number from 1 to 5, not '6' (see 'prog call --help')\n");
    CHECK(error_of({"call", "--stamp", "-1", "s", "m"}).find("--stamp: must be a whole number, zero or more") !=
          std::string::npos);
    CHECK(error_of({"call", "--format", "xml", "s", "m"}) ==
          "prog: error: --format: must be one of yaml, json; not 'xml' (see 'prog call --help')\n");
    CHECK(error_of({"call", "--json=yaml", "s", "m"}).find("--json=yaml") != std::string::npos);
    CHECK(error_of({"load", "-o", "a", "--check", "b", "f"}) ==
          "prog: error: --output cannot be used with --check (see 'prog load --help')\n");
    CHECK(error_of({"load"}) == "prog: error: FILE is required (see 'prog load --help')\n");
}

TEST_CASE("--help prints the command's help and ends with 0, whatever else is missing") {
    Program p;
    Outcome o = parse(p, {"call", "--help"});
    REQUIRE(o.status == 0);
    CHECK(o.err.empty());
    CHECK(o.out.starts_with("Call a method\nUsage: prog call [OPTIONS] SERVICE METHOD\n"));
    CHECK(o.out.find("\nPositionals:\n  SERVICE REQUIRED            Service name\n") != std::string::npos);
    CHECK(o.out.find("\n  -h,--help                   Print this help message and exit\n") != std::string::npos);
    CHECK(o.out.find("\n  --timeout SECONDS           Seconds\n") != std::string::npos);
    CHECK(o.out.find("\n  -c,--add NAME=VERSION ...   Repeatable\n") != std::string::npos);
    CHECK(o.out.find("\n  --json [=pretty|short]      Print JSON for scripts") != std::string::npos);

    Program q;
    Outcome top = parse(q, {"-h"});
    REQUIRE(top.status == 0);
    CHECK(top.out.find("Usage: prog [OPTIONS] VERB\n") != std::string::npos);
    CHECK(top.out.find(
              "\nVerbs:\n  call                        Call a method\n  load                        Load files\n") !=
          std::string::npos);
    CHECK(top.out.find("secret") == std::string::npos);
    CHECK(top.out.find("--version") != std::string::npos);
    // CLI11's own help() is the same text: the formatter is ggl's.
    CHECK(q.app.help() == top.out);
    CHECK(q.call->help() == cli::help_text(*q.call));
}

TEST_CASE("a long option name pushes its description to the next line") {
    CLI::App app{"Long.", "prog"};
    std::string value;
    app.add_option("--a-very-long-option-name", value, "Described")->type_name("VALUE");
    CHECK(cli::help_text(app).find("\n  --a-very-long-option-name VALUE\n                              Described\n") !=
          std::string::npos);
}

TEST_CASE("--version prints the program's version") {
    Program p;
    Outcome o = parse(p, {"--version"});
    REQUIRE(o.status == 0);
    CHECK(o.out == std::string("prog ") + GGL_VERSION + "\n");
}

TEST_CASE("a daemon's command line: options only, defaults kept, anything else refused") {
    CLI::App app{"Serves tests.", "testd"};
    size_t queue = 1000;
    app.add_option("--queue", queue, "Messages queued (1 to 5000; default 1000)")
        ->type_name("N")
        ->check(cli::integer_in(1, 5000));
    auto run = [&app](std::vector<std::string> words) {
        words.insert(words.begin(), "testd");
        std::vector<char*> argv;
        for (std::string& word : words) argv.push_back(word.data());
        return cli::parse_command_line(app, static_cast<int>(argv.size()), argv.data());
    };
    CHECK_FALSE(run({}));
    CHECK(queue == 1000);
    CHECK_FALSE(run({"--queue=5000"}));
    CHECK(queue == 5000);
    CHECK(run({"extra"}) == 2);
    for (const char* bad : {"0", "5001", "-1", "12x", "", "99999999999999999999999"}) {
        CHECK(run({"--queue", bad}) == 2);
    }
    CHECK(queue == 5000);
    CHECK(cli::help_text(app).starts_with("Serves tests.\nUsage: testd [OPTIONS]\n"));
    CHECK(cli::help_text(app).find("\n  --queue N                   Messages queued (1 to 5000; default 1000)\n") !=
          std::string::npos);
}
