// Unit tests of unit generation: which units, which directives, and escaping of recipe text.
#include "ggl/unit_writer.hpp"

#include <catch2/catch.hpp>

using namespace ggl;

namespace {

Recipe recipe_from(std::string_view yaml) {
    RecipeLoad load = load_recipe_text(yaml, RecipeSyntax::Yaml, "test.yaml");
    INFO(load.describe_problems());
    REQUIRE(load.ok());
    return *load.recipe;
}

UnitOptions options() {
    UnitOptions options;
    options.runner_path = "/usr/bin/recipe-runner";
    options.root_path = "/var/lib/greengrass";
    options.runtime_dir = "/run/greengrass";
    options.thing_name = "dev-42";
    options.aws_region = "eu-west-1";
    return options;
}

std::vector<UnitFile> units_of(std::string_view yaml, const UnitOptions& unit_options = options()) {
    Recipe recipe = recipe_from(yaml);
    auto units = generate_units(recipe, recipe.manifests.at(0), unit_options);
    INFO((units ? "" : units.error().message));
    REQUIRE(units);
    return *units;
}

const UnitFile& unit_named(const std::vector<UnitFile>& units, std::string_view name) {
    for (const UnitFile& unit : units) {
        if (unit.name == name) {
            return unit;
        }
    }
    FAIL("no unit " << name);
    return units.front();
}

bool has_line(const UnitFile& unit, std::string_view line) {
    return unit.text.find("\n" + std::string(line) + "\n") != std::string::npos;
}

constexpr const char* kHeader =
    "RecipeFormatVersion: 2020-01-25\nComponentName: com.example.A\nComponentVersion: 1.0.0\n";

} // namespace

TEST_CASE("a run recipe becomes one notify service that restarts three times an hour") {
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {run: echo hi}}]");
    REQUIRE(units.size() == 1);
    const UnitFile& unit = units[0];
    CHECK(unit.name == "ggl.com.example.A.service");
    CHECK(has_line(unit, "Type=notify"));
    CHECK(has_line(
        unit, "ExecStart=/usr/bin/recipe-runner --component \"com.example.A\" --version \"1.0.0\" --phase \"run\""));
    CHECK(has_line(unit, "Restart=on-failure"));
    CHECK(has_line(unit, "StartLimitBurst=3"));
    CHECK(has_line(unit, "StartLimitIntervalSec=3600"));
    CHECK(has_line(unit, "WorkingDirectory=-/var/lib/greengrass/work/com.example.A"));
    CHECK(has_line(unit, "SyslogIdentifier=com.example.A"));
    CHECK(has_line(unit, "Environment=\"AWS_IOT_THING_NAME=dev-42\""));
    CHECK(has_line(unit, "Environment=\"AWS_REGION=eu-west-1\""));
    CHECK(has_line(unit, "Environment=\"GGC_VERSION=2.14.0\""));
    CHECK(has_line(
        unit, "Environment=\"AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT=/run/greengrass/gg-ipc.socket\""));
    // The script is not in the unit: the runner reads it from the recipe.
    CHECK(unit.text.find("echo hi") == std::string::npos);
}

TEST_CASE("a component's service is part of ggl.target and installs into it") {
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {install: echo i, run: echo hi}}]");
    const UnitFile& service = unit_named(units, "ggl.com.example.A.service");
    CHECK(has_line(service, "PartOf=ggl.target"));
    CHECK(has_line(service, "WantedBy=ggl.target"));
    CHECK(service.text.find("multi-user.target") == std::string::npos);
    // Install runs once per deployment: restarting ggl.target does not repeat it.
    CHECK(!has_line(unit_named(units, "ggl.com.example.A.install.service"), "PartOf=ggl.target"));
}

TEST_CASE("install and bootstrap are oneshots ordered before the service") {
    auto units = units_of(std::string(kHeader) +
                          "Manifests: [{Lifecycle: {bootstrap: b, install: {Script: i, Timeout: 9}, run: r}}]");
    REQUIRE(units.size() == 3);
    const UnitFile& install = unit_named(units, "ggl.com.example.A.install.service");
    CHECK(has_line(install, "Type=oneshot"));
    CHECK(has_line(install, "RemainAfterExit=yes"));
    CHECK(has_line(install, "TimeoutStartSec=9"));
    // Bootstrap runs when a deployment installs the component, not at every boot: ordered
    // before, never pulled in.
    CHECK_FALSE(has_line(install, "Requires=ggl.com.example.A.bootstrap.service"));
    CHECK(has_line(install, "After=ggl.com.example.A.bootstrap.service"));
    const UnitFile& bootstrap = unit_named(units, "ggl.com.example.A.bootstrap.service");
    // 100 (restart the nucleus) and 101 (reboot the device) are successes the deployment reads.
    CHECK(has_line(bootstrap, "SuccessExitStatus=100 101"));
    CHECK(has_line(bootstrap, "TimeoutStartSec=120"));
    const UnitFile& main = unit_named(units, "ggl.com.example.A.service");
    CHECK(has_line(main, "Requires=ggl.com.example.A.install.service"));
    CHECK(has_line(main, "After=ggl.com.example.A.install.service"));
}

TEST_CASE("startup is a oneshot that stays active; shutdown is ExecStop") {
    auto units =
        units_of(std::string(kHeader) +
                 "Manifests: [{Lifecycle: {startup: {Script: s, Timeout: 30}, shutdown: {Script: d, Timeout: 5}}}]");
    const UnitFile& unit = units.at(0);
    CHECK(has_line(unit, "Type=oneshot"));
    CHECK(has_line(unit, "RemainAfterExit=yes"));
    CHECK(has_line(unit, "TimeoutStartSec=30"));
    CHECK(has_line(
        unit,
        "ExecStop=/usr/bin/recipe-runner --component \"com.example.A\" --version \"1.0.0\" --phase \"shutdown\""));
    CHECK(has_line(unit, "TimeoutStopSec=5"));
}

TEST_CASE("recover is a oneshot wired as OnFailure") {
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {run: r, recover: x}}]");
    CHECK(has_line(unit_named(units, "ggl.com.example.A.service"), "OnFailure=ggl.com.example.A.recover.service"));
    const UnitFile& recover = unit_named(units, "ggl.com.example.A.recover.service");
    CHECK(has_line(recover, "TimeoutStartSec=60"));
    CHECK(has_line(recover, "RemainAfterExit=no"));
}

TEST_CASE("Skipif becomes ExecCondition of the phase's unit") {
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {run: {Script: r, Skipif: onpath git}}}]");
    CHECK(has_line(units.at(0),
                   "ExecCondition=/usr/bin/recipe-runner --component \"com.example.A\" --version \"1.0.0\" "
                   "--phase \"run\" --skipif"));
}

TEST_CASE("HARD dependencies require, SOFT ones want; both order; built-ins do neither") {
    auto units = units_of(std::string(kHeader) + R"(ComponentDependencies:
  com.example.H: {DependencyType: HARD}
  com.example.S: {DependencyType: SOFT}
  aws.greengrass.TokenExchangeService: {}
Manifests: [{Lifecycle: {run: r}}]
)");
    const UnitFile& unit = units.at(0);
    CHECK(has_line(unit, "Requires=ggl.com.example.H.service"));
    CHECK(has_line(unit, "After=ggl.com.example.H.service"));
    CHECK(has_line(unit, "Wants=ggl.com.example.S.service"));
    CHECK(has_line(unit, "After=ggl.com.example.S.service"));
    CHECK(unit.text.find("TokenExchangeService.service") == std::string::npos);
    CHECK(has_line(
        unit,
        "Environment=\"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://localhost:2020/2016-11-01/credentialprovider/\""));
}

TEST_CASE("runWith posixUser sets User and Group, except for privileged steps") {
    UnitOptions with_user = options();
    with_user.posix_user = "ggc_user:ggc_group";
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {install: {Script: i, RequiresPrivilege: "
                                                 "true}, run: r, shutdown: {Script: s, RequiresPrivilege: true}}}]",
                          with_user);
    const UnitFile& main = unit_named(units, "ggl.com.example.A.service");
    CHECK(has_line(main, "User=ggc_user"));
    CHECK(has_line(main, "Group=ggc_group"));
    // A privileged ExecStop in an unprivileged service runs with full privileges ("+").
    CHECK(main.text.find("ExecStop=+/usr/bin/recipe-runner") != std::string::npos);
    const UnitFile& install = unit_named(units, "ggl.com.example.A.install.service");
    CHECK(install.text.find("User=") == std::string::npos);

    with_user.posix_user = "bad user\nExecStart=/x";
    Recipe recipe = recipe_from(std::string(kHeader) + "Manifests: [{Lifecycle: {run: r}}]");
    CHECK_FALSE(generate_units(recipe, recipe.manifests[0], with_user));
}

TEST_CASE("recipe text cannot inject directives or specifiers") {
    auto units = units_of(std::string(kHeader) +
                          "ComponentDescription: \"one\\nExecStartPre=/bin/false\\n[Service] %n %h 100% \\\\\"\n"
                          "Manifests: [{Lifecycle: {run: r}}]");
    const UnitFile& unit = units.at(0);
    CHECK(has_line(unit, "Description=com.example.A: one ExecStartPre=/bin/false [Service] %%n %%h 100%%"));
    CHECK(unit.text.find("\nExecStartPre") == std::string::npos);
}

TEST_CASE("paths with spaces, quotes, % and $ are quoted for the unit parser") {
    CHECK(unit_quote_exec_argument("a b\"c%d$e\\f\ng") == "\"a b\\\"c%%d$$e\\\\f\\ng\"");
    CHECK(unit_quote_environment("A=$x %y") == "\"A=$x %%y\"");
    CHECK(unit_escape_text("ends with \\") == "ends with");
    UnitOptions odd = options();
    odd.runner_path = "/opt/my ggl/recipe-runner";
    odd.root_path = "/srv/g%g";
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {run: r}}]", odd);
    CHECK(units.at(0).text.find("ExecStart=\"/opt/my ggl/recipe-runner\" --component") != std::string::npos);
    CHECK(has_line(units.at(0), "WorkingDirectory=-/srv/g%%g/work/com.example.A"));
}

TEST_CASE("Timeout given as a configuration variable resolves against the configuration") {
    Recipe recipe = recipe_from(std::string(kHeader) +
                                "Manifests: [{Lifecycle: {startup: {Script: s, Timeout: '{configuration:/t}'}}}]");
    UnitOptions configured = options();
    configured.configuration = Map{{"t", "75"}};
    auto units = generate_units(recipe, recipe.manifests[0], configured);
    REQUIRE(units);
    CHECK(has_line(units->at(0), "TimeoutStartSec=75"));
    configured.configuration = Map{{"t", "soon"}};
    auto refused = generate_units(recipe, recipe.manifests[0], configured);
    REQUIRE_FALSE(refused);
    // Found now, but named as the loader names problems: file:line:column and key path.
    CHECK(refused.error().message ==
          "test.yaml:4:56: Manifests[0].Lifecycle.startup.Timeout: \"{configuration:/t}\" does not give a number of "
          "seconds with this configuration");
}

TEST_CASE("a recipe with neither run nor startup still gives dependents a unit") {
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {install: i}}]");
    REQUIRE(units.size() == 2);
    CHECK(has_line(units[0], "Type=oneshot"));
    CHECK(has_line(units[0], "ExecStart=/bin/true"));
}

TEST_CASE("the runner gets --recipe and --platform when they are set") {
    UnitOptions with_recipe = options();
    with_recipe.recipe_path = "/tmp/r.yaml";
    with_recipe.platform_override = "os=linux,architecture=aarch64";
    auto units = units_of(std::string(kHeader) + "Manifests: [{Lifecycle: {run: r}}]", with_recipe);
    CHECK(units.at(0).text.find("--recipe \"/tmp/r.yaml\" --platform \"os=linux,architecture=aarch64\"") !=
          std::string::npos);
}
