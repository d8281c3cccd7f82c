// ggl::cli::ProgramOptions (lib/cli program_options.hpp), the command line of the daemons
// and recipe-runner: each kind of option parsed, ggl's range and rule errors (exit 2,
// one line), --help and --version (exit 0), unknown options and arguments refused.
#include "ggl/cli/error_report.hpp"
#include "ggl/cli/program_options.hpp"

#include "command_line_capture.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace ggl;

namespace {

struct Options {
    std::string socket, phase, name;
    size_t queue = 1000;
    size_t bytes = 4096;
    bool skipif = false;
    cli::ProgramOptions command_line{"testd", "Serves tests.", "Exit status: 0 served; 2 usage error."};

    Options() {
        command_line.text("--socket", socket, "Socket path", "PATH");
        command_line.text("--name", name, "The name", "NAME", true);
        command_line.text("--phase", phase, "run or stop", "PHASE", false, [](const std::string& value) -> std::string {
            if (value == "run" || value == "stop") return {};
            return "must be run or stop, not '" + value + "'";
        });
        command_line.integer("--queue", queue, "Messages queued (1 to 5000; default 1000)", "N", 1, 5000);
        command_line.integer("--bytes", bytes, "Bytes (1024 to 4294967296)", "BYTES", 1024, int64_t{1} << 32);
        command_line.flag("--skipif", skipif, "Only evaluate");
    }
};

using Outcome = testing::ParseOutcome;

// Parses words as testd's arguments, capturing what it prints.
Outcome parse(Options& options, std::vector<std::string> words) {
    cli::set_program_label("testd");
    return testing::capture_parse("testd", std::move(words),
                                  [&](int argc, char** argv) { return options.command_line.parse(argc, argv); });
}

std::string error_of(std::vector<std::string> words) {
    Options options;
    Outcome outcome = parse(options, std::move(words));
    CHECK(outcome.status == 2);
    CHECK(outcome.out.empty());
    return outcome.err;
}

} // namespace

TEST_CASE("ProgramOptions parses each kind of option and keeps the defaults of those not given") {
    Options options;
    Outcome outcome = parse(options, {"--name", "a"});
    REQUIRE_FALSE(outcome.status);
    CHECK(outcome.out.empty());
    CHECK(outcome.err.empty());
    CHECK(options.name == "a");
    CHECK(options.socket.empty());
    CHECK(options.queue == 1000);
    CHECK(options.bytes == 4096);
    CHECK_FALSE(options.skipif);

    Options all;
    outcome = parse(all, {"--name=b", "--socket", "/run/s", "--phase", "stop", "--queue=5000", "--bytes", "4294967296",
                          "--skipif"});
    REQUIRE_FALSE(outcome.status);
    CHECK(all.name == "b");
    CHECK(all.socket == "/run/s");
    CHECK(all.phase == "stop");
    CHECK(all.queue == 5000);
    CHECK(all.bytes == (size_t{1} << 32));
    CHECK(all.skipif);
}

TEST_CASE("ProgramOptions refuses out-of-range numbers, rule failures and unknown words in one line, exit 2") {
    CHECK(error_of({"--name", "a", "--queue", "0"}) ==
          "testd: error: --queue: must be a whole number from 1 to 5000, not '0' (see 'testd --help')\n");
    CHECK(error_of({"--name", "a", "--queue", "5001"}) ==
          "testd: error: --queue: must be a whole number from 1 to 5000, not '5001' (see 'testd --help')\n");
    CHECK(error_of({"--name", "a", "--queue=-1"}) ==
          "testd: error: --queue: must be a whole number from 1 to 5000, not '-1' (see 'testd --help')\n");
    CHECK(error_of({"--name", "a", "--bytes", "4294967297"})
              .find("--bytes: must be a whole number from 1024 to "
                    "4294967296, not '4294967297'") != std::string::npos);
    CHECK(error_of({"--name", "a", "--queue", "12x"}).find("--queue: ") != std::string::npos);
    CHECK(error_of({"--name", "a", "--phase", "walk"}) ==
          "testd: error: --phase: must be run or stop, not 'walk' (see 'testd --help')\n");
    CHECK(error_of({"--name", "a", "--nope"}) == "testd: error: unknown option '--nope' (see 'testd --help')\n");
    CHECK(error_of({"--name", "a", "extra"}).find("'extra'") != std::string::npos);
    CHECK(error_of({"--name"}) == "testd: error: --name needs a value (see 'testd --help')\n");
    CHECK(error_of({}).find("--name is required") != std::string::npos);
}

TEST_CASE("ProgramOptions --help prints the options and the footer, --version the version; both exit 0") {
    Options options;
    Outcome help = parse(options, {"--help"});
    REQUIRE(help.status == 0);
    CHECK(help.err.empty());
    CHECK(help.out.starts_with("Serves tests.\nUsage: testd [OPTIONS]\n"));
    CHECK(help.out.find("  --queue N ") != std::string::npos);
    CHECK(help.out.find("Messages queued (1 to 5000; default 1000)") != std::string::npos);
    CHECK(help.out.find("  --phase PHASE ") != std::string::npos);
    CHECK(help.out.find("  --skipif ") != std::string::npos);
    CHECK(help.out.find("Exit status: 0 served; 2 usage error.") != std::string::npos);

    Options other;
    Outcome version = parse(other, {"--version"});
    REQUIRE(version.status == 0);
    CHECK(version.out == std::string("testd ") + GGL_VERSION + "\n");
}
