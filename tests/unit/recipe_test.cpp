// Unit tests of the recipe loader: fields, case-insensitive keys, selections, and problems with key paths.
#include "ggl/recipe.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace ggl;

namespace {

RecipeLoad yaml(std::string_view text) { return load_recipe_text(text, RecipeSyntax::Yaml, "test.yaml"); }

Recipe valid(std::string_view text, RecipeSyntax syntax = RecipeSyntax::Yaml) {
    RecipeLoad load = load_recipe_text(text, syntax, "test");
    INFO(load.describe_problems());
    REQUIRE(load.ok());
    return *load.recipe;
}

// The problems as "where: message" lines (positions are checked on their own below).
std::vector<std::string> problems(std::string_view text, RecipeSyntax syntax = RecipeSyntax::Yaml) {
    RecipeLoad load = load_recipe_text(text, syntax, "");
    std::vector<std::string> lines;
    for (const RecipeProblem& problem : load.problems) {
        lines.push_back(problem.where + ": " + problem.message);
    }
    CHECK_FALSE(load.ok());
    return lines;
}

bool has(const std::vector<std::string>& lines, std::string_view line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

constexpr const char* kHeader =
    "RecipeFormatVersion: 2020-01-25\nComponentName: com.example.A\nComponentVersion: 1.2.3\n";

} // namespace

TEST_CASE("a minimal recipe loads with its defaults") {
    Recipe recipe = valid(std::string(kHeader) + "Manifests:\n  - Lifecycle:\n      run: echo hi\n");
    CHECK(recipe.name == "com.example.A");
    CHECK(recipe.version.to_string() == "1.2.3");
    CHECK(recipe.format_version == "2020-01-25");
    CHECK(recipe.type == "aws.greengrass.generic");
    REQUIRE(recipe.manifests.size() == 1);
    REQUIRE(recipe.manifests[0].lifecycle.run);
    CHECK(recipe.manifests[0].lifecycle.run->script == "echo hi");
    CHECK_FALSE(recipe.manifests[0].lifecycle.run->requires_privilege);
    CHECK(recipe.manifests[0].platform.empty());
}

TEST_CASE("keys match in any case, as the Java nucleus matches them") {
    Recipe recipe = valid(R"(recipeformatversion: 2020-01-25
COMPONENTNAME: com.example.B
componentVersion: 1.0.0
manifests:
  - PLATFORM: {OS: linux}
    lifecycle:
      setEnv: {A: b}
      RUN: {script: echo, requiresprivilege: true, TIMEOUT: 5}
    artifacts:
      - uri: s3://b/k
)");
    const Manifest& manifest = recipe.manifests.at(0);
    CHECK(manifest.platform == std::vector<std::pair<std::string, std::string>>{{"os", "linux"}});
    CHECK(manifest.lifecycle.setenv == EnvList{{"A", "b"}});
    REQUIRE(manifest.lifecycle.run);
    CHECK(manifest.lifecycle.run->requires_privilege);
    CHECK(manifest.lifecycle.run->timeout_seconds == 5);
    CHECK(manifest.artifacts.at(0).uri == "s3://b/k");
}

TEST_CASE("every step key and every phase is read") {
    Recipe recipe = valid(std::string(kHeader) + R"(Manifests:
  - Lifecycle:
      bootstrap: {Script: b, BootstrapOnRollback: true, RequiresPrivilege: true, Timeout: 7}
      install: {Script: i, Skipif: onpath git, Setenv: {X: '1', Y: 2, Z: true}}
      run: {Script: r, Skipif: 'exists /etc/x y'}
      shutdown: s
      recover: {Script: rec, Timeout: 1.5}
)");
    const Lifecycle& lifecycle = recipe.manifests.at(0).lifecycle;
    REQUIRE(lifecycle.bootstrap);
    CHECK(lifecycle.bootstrap->bootstrap_on_rollback);
    CHECK(lifecycle.bootstrap->timeout_seconds == 7);
    REQUIRE(lifecycle.install);
    CHECK(lifecycle.install->setenv == EnvList{{"X", "1"}, {"Y", "2"}, {"Z", "true"}});
    REQUIRE(lifecycle.install->skipif);
    CHECK(lifecycle.install->skipif->kind == Skipif::Kind::OnPath);
    CHECK(lifecycle.install->skipif->target == "git");
    REQUIRE(lifecycle.run->skipif);
    CHECK(lifecycle.run->skipif->kind == Skipif::Kind::Exists);
    CHECK(lifecycle.run->skipif->target == "/etc/x y");
    CHECK(lifecycle.shutdown->script == "s");
    CHECK(lifecycle.recover->timeout_seconds == 1.5);
    CHECK_FALSE(lifecycle.startup);
}

TEST_CASE("an unquoted RecipeFormatVersion (a YAML date) is accepted") {
    CHECK(valid(std::string(kHeader) + "Manifests: [{Lifecycle: {run: x}}]").format_version == "2020-01-25");
}

TEST_CASE("dependencies default to HARD and any version") {
    Recipe recipe = valid(std::string(kHeader) + R"(ComponentDependencies:
  com.example.Dep: {}
  com.example.Soft: {VersionRequirement: ^1.0.0, DependencyType: soft}
)");
    REQUIRE(recipe.dependencies.size() == 2);
    CHECK(recipe.dependencies[0].type == DependencyType::Hard);
    CHECK(recipe.dependencies[0].requirement_text == "*");
    CHECK(recipe.dependencies[1].type == DependencyType::Soft);
    CHECK(recipe.dependencies[1].requirement.satisfied_by(*SemVer::parse("1.9.0")));
    CHECK_FALSE(recipe.dependencies[1].requirement.satisfied_by(*SemVer::parse("2.0.0")));
}

TEST_CASE("accessControl given as a JSON string is parsed") {
    Recipe recipe = valid(std::string(kHeader) + R"(ComponentConfiguration:
  DefaultConfiguration:
    accessControl: '{"aws.greengrass.ipc.pubsub": {"p": {"operations": ["*"]}}}'
    other: '{"stays": "text"}'
)");
    const Object* access = recipe.default_configuration.find("accessControl");
    REQUIRE(access);
    CHECK(access->is_map());
    CHECK(recipe.default_configuration.find("other")->is_string());
}

TEST_CASE("a manifest without Lifecycle takes the global one through its selections") {
    Recipe recipe = valid(std::string(kHeader) + R"(Manifests:
  - Platform: {os: windows}
    Selections: [win]
  - Platform: {os: linux}
    Selections: [nix]
  - Platform: {os: darwin}
Lifecycle:
  run:
    win: echo win
    nix: echo nix
    all: echo all
)");
    CHECK(recipe.manifests[0].lifecycle.run->script == "echo win");
    CHECK(recipe.manifests[1].lifecycle.run->script == "echo nix");
    CHECK(recipe.manifests[2].lifecycle.run->script == "echo all");
    CHECK(recipe.manifests[1].lifecycle_from_global);
}

TEST_CASE("nucleus lite's list form of the global lifecycle is accepted") {
    Recipe recipe = valid(std::string(kHeader) + R"(Manifests:
  - Platform: {os: linux}
    Lifecycle: {}
    Selections: [linux]
Lifecycle:
  - linux: {run: {Script: echo listed}}
)");
    CHECK(recipe.manifests[0].lifecycle.run->script == "echo listed");
}

TEST_CASE("a recipe without manifests runs its global lifecycle everywhere") {
    Recipe recipe = valid(std::string(kHeader) + "Lifecycle:\n  run: echo global\n");
    REQUIRE(recipe.manifests.size() == 1);
    CHECK(recipe.manifests[0].platform.empty());
    CHECK(recipe.manifests[0].lifecycle.run->script == "echo global");
}

TEST_CASE("JSON recipes may hold comments") {
    Recipe recipe = valid(R"({
  // line comment
  "RecipeFormatVersion": "2020-01-25", /* block */
  "ComponentName": "com.example.J",
  "ComponentVersion": "1.0.0",
  "Manifests": [{"Lifecycle": {"run": "echo 'a // not a comment' /* nor this */"}}]
})",
                          RecipeSyntax::Json);
    CHECK(recipe.manifests[0].lifecycle.run->script == "echo 'a // not a comment' /* nor this */");
}

TEST_CASE("every problem is reported with its key path, not only the first") {
    auto lines = problems(R"(RecipeFormatVersion: 2021-01-01
ComponentName: 'bad name'
ComponentVersion: v1
Manifests:
  - Lifecycle:
      Run: {Script: x, Timeout: later}
  - Lifecycle:
      install: {Script: [1]}
      Run: {Timeout: 1}
)");
    CHECK(has(lines, "RecipeFormatVersion: unsupported format version \"2021-01-01\" (only 2020-01-25)"));
    CHECK(has(lines, "ComponentVersion: not a SemVer 2.0 version: \"v1\""));
    CHECK(has(lines, "Manifests[0].Lifecycle.Run.Timeout: expected a number"));
    CHECK(has(lines, "Manifests[1].Lifecycle.install.Script: expected a string"));
    CHECK(has(lines, "Manifests[1].Lifecycle.Run.Script: missing (required)"));
    CHECK(lines.size() == 6);
}

TEST_CASE("keys that differ only in case clash") {
    auto lines = problems(std::string(kHeader) + "componentname: again\nManifests: []\n");
    CHECK(has(lines, "componentname: duplicate key (keys are case-insensitive; also given as \"ComponentName\")"));
}

TEST_CASE("a malformed platform regex fails the recipe") {
    auto lines = problems(std::string(kHeader) + "Manifests:\n  - Platform: {os: '/[/'}\n");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("Manifests[0].Platform.os: malformed regular expression /[/"));
}

TEST_CASE("unsupported features name their key path") {
    auto lines = problems(std::string(kHeader) + R"(Manifests:
  - Lifecycle: {uninstall: x, RequiresPrivilege: true}
    Artifacts: [{Uri: 'docker:nginx:latest'}]
)");
    CHECK(has(lines, "Manifests[0].Lifecycle.uninstall: unsupported lifecycle step (setenv, bootstrap, install, "
                     "startup, run, shutdown, recover)"));
    CHECK(has(lines, "Manifests[0].Lifecycle.RequiresPrivilege: RequiresPrivilege belongs to a step (such as "
                     "run.RequiresPrivilege), not to the Lifecycle itself"));
    CHECK(has(lines, "Manifests[0].Artifacts[0].Uri: docker artifacts are not supported (docker:nginx:latest)"));
}

TEST_CASE("syntax errors carry line and column") {
    RecipeLoad load = yaml("a: [1, 2\n");
    REQUIRE(load.problems.size() == 1);
    CHECK(load.problems[0].syntax);
    CHECK(load.problems[0].at.line == 2);
    CHECK(load.problems[0].to_string(load.source).starts_with("test.yaml:2:1: invalid YAML: "));
    CHECK(recipe_load_error(load).code == ErrorCode::Parse);
    RecipeLoad json = load_recipe_text("{\"a\": }", RecipeSyntax::Json, "x.json");
    REQUIRE(json.problems.size() == 1);
    CHECK(json.problems[0].to_string(json.source).starts_with("x.json:1:7: invalid JSON: "));
    CHECK(json.problems[0].to_string("").starts_with("line 1, column 7: invalid JSON: "));
}

namespace {

// Every problem in full, as `ggl recipe` prints it.
std::vector<std::string> located(std::string_view text, RecipeSyntax syntax, const char* source) {
    RecipeLoad load = load_recipe_text(text, syntax, source);
    std::vector<std::string> lines;
    for (const RecipeProblem& problem : load.problems) {
        lines.push_back(problem.to_string(load.source));
    }
    for (const RecipeProblem& warning : load.warnings) {
        lines.push_back("warning " + warning.to_string(load.source));
    }
    return lines;
}

} // namespace

TEST_CASE("a wrong value in YAML is reported at its line and column") {
    auto lines = located(std::string(kHeader) + R"(Manifests:
  - Platform:
      os: linux
    Lifecycle:
      run: echo a
  - Lifecycle:
      Run:
        Script: echo b
        Timeout: soon
)",
                         RecipeSyntax::Yaml, "recipe.yaml");
    INFO(lines.size());
    CHECK(has(lines, "recipe.yaml:12:18: Manifests[1].Lifecycle.Run.Timeout: expected a number"));
}

TEST_CASE("missing, unknown and badly named keys point at the key or the map that lacks one") {
    auto lines = located(R"(RecipeFormatVersion: 2020-01-25
ComponentName: com.example.A
Manifests:
  - Lifecycle:
      install:
        RequiresPrivilege: true
      run: echo x
      Setenv:
        "BAD NAME": 1
      uninstall: y
Comment: kept
)",
                         RecipeSyntax::Yaml, "r.yaml");
    CHECK(has(lines, "r.yaml:1:1: ComponentVersion: missing (required)"));
    CHECK(has(lines, "r.yaml:5:7: Manifests[0].Lifecycle.install.Script: missing (required)"));
    CHECK(has(lines, "r.yaml:9:9: Manifests[0].Lifecycle.Setenv[\"BAD NAME\"]: not a valid environment variable name"));
    CHECK(has(lines, "r.yaml:10:7: Manifests[0].Lifecycle.uninstall: unsupported lifecycle step (setenv, bootstrap, "
                     "install, startup, run, shutdown, recover)"));
    CHECK(has(lines, "warning r.yaml:11:1: Comment: unknown recipe key, ignored"));
}

TEST_CASE("a wrong value in JSON is reported at its line and column") {
    auto lines = located(R"({
  "RecipeFormatVersion": "2020-01-25",
  "ComponentName": "com.example.J",
  "ComponentVersion": "1.0.0",
  // nucleus lite's examples carry comments
  "ComponentDependencies": {"com.example.\u00e9": {"DependencyType": "MAYBE"}},
  "Manifests": [
    {"Lifecycle": {"run": "x"}},
    {"Platform": {"os": "linux"},
     "Lifecycle": {"install": {"Script": "é", "Timeout": "soon"}}}
  ]
})",
                         RecipeSyntax::Json, "recipe.json");
    CHECK(has(lines, "recipe.json:6:29: ComponentDependencies[\"com.example.\u00e9\"]: invalid component name"));
    CHECK(has(lines, "recipe.json:6:70: ComponentDependencies[\"com.example.\u00e9\"].DependencyType: expected "
                     "HARD or SOFT, not \"MAYBE\""));
    CHECK(has(lines, "recipe.json:10:58: Manifests[1].Lifecycle.install.Timeout: expected a number"));
}

TEST_CASE("a problem in a global lifecycle names the selection it came through") {
    auto lines = located(std::string(kHeader) + R"(Manifests:
  - Selections: [linux]
Lifecycle:
  - windows:
      run: dir
  - linux:
      run:
        Script: ls
        Timeout: -5
)",
                         RecipeSyntax::Yaml, "g.yaml");
    CHECK(has(lines, "g.yaml:12:18: Lifecycle[1].linux.run.Timeout: expected a number of seconds above 0 "
                     "(at most a year)"));
}

TEST_CASE("YAML aliases and merge keys keep the positions of the nodes they copy") {
    auto lines = located(std::string(kHeader) + R"(Defaults: &step
  Script: echo
  Timeout: never
Manifests:
  - Lifecycle:
      run:
        <<: *step
)",
                         RecipeSyntax::Yaml, "m.yaml");
    CHECK(has(lines, "m.yaml:6:12: Manifests[0].Lifecycle.run.Timeout: expected a number"));
}

TEST_CASE("unknown top-level keys are warnings, not problems") {
    RecipeLoad load = yaml(std::string(kHeader) + "Comment: hello\nManifests: [{Lifecycle: {run: x}}]\n");
    CHECK(load.ok());
    REQUIRE(load.warnings.size() == 1);
    CHECK(load.warnings[0].where == "Comment");
}

TEST_CASE("Timeout and RequiresPrivilege may be configuration variables") {
    Recipe recipe = valid(std::string(kHeader) + R"(Manifests:
  - Lifecycle:
      startup: {Script: x, Timeout: '{configuration:/t}', RequiresPrivilege: '{configuration:/p}'}
)");
    CHECK(recipe.manifests[0].lifecycle.startup->timeout_expression == "{configuration:/t}");
    CHECK(recipe.manifests[0].lifecycle.startup->requires_privilege_expression == "{configuration:/p}");
}

TEST_CASE("component names must be safe for unit names and paths") {
    CHECK(is_valid_component_name("com.example.Hello_World-2"));
    CHECK_FALSE(is_valid_component_name(""));
    CHECK_FALSE(is_valid_component_name("{COMPONENT_NAME}"));
    CHECK_FALSE(is_valid_component_name("a/b"));
    CHECK_FALSE(is_valid_component_name("-a"));
    CHECK_FALSE(is_valid_component_name(".."));
    CHECK_FALSE(is_valid_component_name(std::string(129, 'a')));
}
