// Unit tests of a daemon's command line (ggl/daemon_options.hpp).
#include "ggl/daemon_options.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using ggl::DaemonOptions;

namespace {

struct Daemon {
    size_t queue = 1000;
    std::string socket;
    DaemonOptions options{"testd", "1.2.3", "Serves tests."};

    Daemon() {
        options.add_number("queue", queue, 1, 5000, "Messages queued");
        options.add_string("socket", socket, "Socket path");
    }

    DaemonOptions::Outcome run(std::vector<const char*> args) {
        args.insert(args.begin(), "testd");
        return options.evaluate(static_cast<int>(args.size()), args.data());
    }
};

} // namespace

TEST_CASE("no arguments: the daemon goes on with its defaults") {
    Daemon d;
    CHECK(d.run({}).exit_code == -1);
    CHECK(d.queue == 1000);
    CHECK(d.socket.empty());
}

TEST_CASE("values are taken as --name VALUE and as --name=VALUE") {
    Daemon d;
    CHECK(d.run({"--queue", "42", "--socket=/run/x.sock"}).exit_code == -1);
    CHECK(d.queue == 42);
    CHECK(d.socket == "/run/x.sock");
    CHECK(d.run({"--queue=5000", "--socket", ""}).exit_code == -1);
    CHECK(d.queue == 5000);
    CHECK(d.socket.empty());
}

TEST_CASE("--help lists every option with its range and default; --version prints the version") {
    Daemon d;
    auto help = d.run({"--socket", "/x", "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.text, Catch::StartsWith("Serves tests.\nUsage: testd [OPTIONS]"));
    CHECK_THAT(help.text, Catch::Contains("--queue N"));
    CHECK_THAT(help.text, Catch::Contains("Messages queued (1 to 5000; default 1000)"));
    CHECK_THAT(help.text, Catch::Contains("--socket VALUE"));
    CHECK(d.run({"-h"}).exit_code == 0);
    auto version = d.run({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.text == "testd 1.2.3\n");
}

TEST_CASE("usage errors exit 2 and name the option and what was wrong") {
    Daemon d;
    auto unknown = d.run({"--bogus"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.text == "testd: error: unknown option '--bogus' (see testd --help)\n");
    auto positional = d.run({"extra"});
    CHECK(positional.exit_code == 2);
    CHECK_THAT(positional.text, Catch::Contains("unexpected argument 'extra'"));
    auto missing = d.run({"--queue"});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.text, Catch::Contains("--queue needs a value"));
    for (const char* bad : {"0", "5001", "-1", "12x", "", "99999999999999999999999"}) {
        auto out_of_range = d.run({"--queue", bad});
        CHECK(out_of_range.exit_code == 2);
        CHECK_THAT(out_of_range.text,
                   Catch::Contains(std::string("--queue: '") + bad + "' is not a whole number from 1 to 5000"));
    }
    CHECK(d.queue == 1000);
}
