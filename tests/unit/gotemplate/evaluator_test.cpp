#include <gtest/gtest.h>

#include "render.hpp"

namespace berth::gotemplate::testing {
namespace {

TEST(Text, PlainTextIsCopied) { EXPECT_EQ(render("no actions here\n"), "no actions here\n"); }

TEST(Text, TrimMarkersEatSpacesAndLineEnds) {
    EXPECT_EQ(render("a  \n {{- .ID -}} \n\t b"), "a9e3173d343c8b");
    EXPECT_EQ(render("a {{- .Pid}} b"), "a0 b");
    EXPECT_EQ(render("a {{.Pid -}} b"), "a 0b");
    EXPECT_EQ(render("{{-3}}"), "-3");  // a minus without a space is a number
}

TEST(Text, CommentsPrintNothing) {
    EXPECT_EQ(render("a{{/* note */}}b"), "ab");
    EXPECT_EQ(render("a {{- /* note */ -}} b"), "ab");
}

TEST(Fields, PathsAndDot) {
    EXPECT_EQ(render("{{.ID}}"), "9e3173d343c8");
    EXPECT_EQ(render("{{.Client.Version}}"), "4.3.1");
    EXPECT_EQ(render("{{ .Client.Os }}"), "linux");
    EXPECT_EQ(render("{{.}}", "x"), "x");
}

TEST(Fields, NamesAreCaseSensitive) {
    EXPECT_EQ(failure("{{.id}}"),
              "template: t:1:2: executing \"t\" at <.id>: can't evaluate field id in type containers.psReporter");
}

TEST(Fields, MissingStructFieldIsAnError) {
    EXPECT_EQ(failure("{{.Nope}}"),
              "template: t:1:2: executing \"t\" at <.Nope>: can't evaluate field Nope in type containers.psReporter");
    EXPECT_EQ(failure("{{.Client.Nope}}"),
              "template: t:1:9: executing \"t\" at <.Client.Nope>: can't evaluate field Nope in type *define.Version");
    EXPECT_EQ(failure("{{.ID.X}}"),
              "template: t:1:5: executing \"t\" at <.ID.X>: can't evaluate field X in type string");
}

TEST(Fields, ErrorsGiveLineAndColumn) {
    EXPECT_EQ(failure("line one\n  {{.Nope}}"),
              "template: t:2:4: executing \"t\" at <.Nope>: can't evaluate field Nope in type containers.psReporter");
    try {
        render("x\n{{.Nope}}");
        FAIL();
    } catch (const TemplateError& error) {
        EXPECT_EQ(error.position().name, "t");
        EXPECT_EQ(error.position().line, 2);
        EXPECT_EQ(error.position().column, 2);
        EXPECT_EQ(error.exit_status(), 125);
    }
}

TEST(Fields, LongNodesAreShortenedInErrors) {
    EXPECT_EQ(failure("{{printf \"%s\" .Client.Nothing.Here}}"),
              "template: t:1:21: executing \"t\" at <.Client.Nothing.Here>: can't evaluate field Nothing in type "
              "*define.Version");
    EXPECT_EQ(failure("{{index .Names 5 | printf \"%s %s %s\"}}"),
              "template: t:1:2: executing \"t\" at <index .Names 5>: error calling index: index out of range: 5");
}

TEST(Fields, MapKeysUseFieldSyntax) {
    EXPECT_EQ(render("{{.Labels.a}}"), "b");
    EXPECT_EQ(render("{{.Labels.zz}}"), "<no value>");
    EXPECT_EQ(render("{{.Labels.zz.deeper}}"), "<no value>");
    // A nil map has no keys and no length.
    EXPECT_EQ(render("{{.Labels.a}} {{len .Labels}}", {{"Labels", nullptr}}, sample_options()), "<no value> 0");
}

TEST(Printing, ValuesPrintAsGoPrintsThem) {
    EXPECT_EQ(render("{{.Names}}"), "[c1 web]");
    EXPECT_EQ(render("{{.Labels}}"), "map[a:b tier:front]");
    EXPECT_EQ(render("{{.Exited}} {{.Running}}"), "false true");
    EXPECT_EQ(render("{{.Ports}}"), "<no value>");
    EXPECT_EQ(render("{{.Size}} {{.Ratio}}"), "1536 1.5");
    EXPECT_EQ(render("{{.None}}"), "[]");
    EXPECT_EQ(render("{{.Mounts}}"), "[map[Destination:/b Source:/a] map[Destination:/d Source:/c]]");
    EXPECT_EQ(render("{{.Client}}"), "{0 linux linux/amd64 4.3.1}");
    EXPECT_EQ(render("{{.}}", {{"a", nullptr}}, ExecuteOptions{"map[string]interface {}", {}, {}}), "map[a:<nil>]");
}

TEST(Fields, GoFieldNameFindsItsJsonKey) {
    ExecuteOptions options{"struct", {}, {{"ID", "Id"}}};
    EXPECT_EQ(render("{{.ID}}", {{"Id", "abc"}}, options), "abc");
    EXPECT_EQ(render("{{.Id}}", {{"Id", "abc"}}, options), "abc");
    EXPECT_EQ(render("{{.ID}}", {{"ID", "own"}, {"Id", "tag"}}, options), "own");
    EXPECT_THROW(render("{{.ID}}", {{"Id", "abc"}}), TemplateError);
}

TEST(Printing, FloatsAsGo) {
    EXPECT_EQ(render("{{.}}", 2.0), "2");
    EXPECT_EQ(render("{{.}}", 1e6), "1e+06");
    EXPECT_EQ(render("{{.}}", 123456.0), "123456");
    EXPECT_EQ(render("{{.}}", 0.0001), "0.0001");
    EXPECT_EQ(render("{{.}}", 0.00001), "1e-05");
}

TEST(Literals, StringsNumbersBoolsAndChars) {
    EXPECT_EQ(render("{{ 3 }} {{ -2 }} {{ 1.50 }} {{ 1e3 }} {{ 0x10 }}"), "3 -2 1.5 1000 16");
    EXPECT_EQ(render("{{ \"a\\tb\" }}|{{ `raw\\n` }}|{{ 'a' }}|{{ true }}"), "a\tb|raw\\n|97|true");
    EXPECT_EQ(failure("{{nil}}"), "template: t:1:2: executing \"t\" at <nil>: nil is not a command");
}

TEST(Variables, DeclareAssignAndRoot) {
    EXPECT_EQ(render("{{$x := 5}}{{$x}}{{$x = 6}}{{$x}}"), "56");
    EXPECT_EQ(render("{{$n := .Client}}{{$n.Os}}"), "linux");
    EXPECT_EQ(render("{{range .Names}}{{$.ID}}:{{.}} {{end}}"), "9e3173d343c8:c1 9e3173d343c8:web ");
    EXPECT_EQ(render("{{with $v := .Client.Os}}{{$v}}{{end}}"), "linux");
}

TEST(Variables, ScopeEndsWithTheBlock) {
    EXPECT_EQ(failure("{{if true}}{{$x := 1}}{{end}}{{$x}}"), "template: t:1: undefined variable \"$x\"");
    EXPECT_EQ(failure("{{$y}}"), "template: t:1: undefined variable \"$y\"");
}

TEST(Pipelines, ValueIsTheLastArgument) {
    EXPECT_EQ(render("{{.Client.Os | upper}}"), "LINUX");
    EXPECT_EQ(render("{{.Client.Os | printf \"%s-%s\" \"x\"}}"), "x-linux");
    EXPECT_EQ(render("{{.Client.OsArch | split \"/\" | len}}", sample()), "1");
    EXPECT_EQ(render("{{(split .Client.OsArch \"/\") | len}}"), "2");
    EXPECT_EQ(render("{{(index .Mounts 1).Source}}"), "/c");
}

TEST(Range, OverArrays) {
    EXPECT_EQ(render("{{range .Names}}[{{.}}]{{end}}"), "[c1][web]");
    EXPECT_EQ(render("{{range $i, $n := .Names}}{{$i}}={{$n}};{{end}}"), "0=c1;1=web;");
    EXPECT_EQ(render("{{range $n := .Names}}{{$n}};{{end}}"), "c1;web;");
    EXPECT_EQ(render("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}"), "/a:/b /c:/d ");
}

TEST(Range, OverMapsInKeyOrder) {
    EXPECT_EQ(render("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}"), "a=b;tier=front;");
    EXPECT_EQ(render("{{range .Labels}}{{.}} {{end}}"), "b front ");
}

TEST(Range, ElseWhenEmptyAndNested) {
    EXPECT_EQ(render("{{range .None}}x{{else}}none{{end}}"), "none");
    EXPECT_EQ(render("{{range .Ports}}x{{else}}nil{{end}}"), "nil");
    EXPECT_EQ(render("{{range .Mounts}}{{range $.Names}}{{.}}{{end}};{{end}}"), "c1web;c1web;");
}

TEST(Range, BreakAndContinue) {
    EXPECT_EQ(render("{{range .Names}}{{if eq . \"web\"}}{{break}}{{end}}{{.}}{{end}}"), "c1");
    EXPECT_EQ(render("{{range .Names}}{{if eq . \"c1\"}}{{continue}}{{end}}{{.}}{{end}}"), "web");
}

TEST(Range, CannotIterateOverStructsOrStrings) {
    EXPECT_EQ(failure("{{range .Client}}{{end}}"),
              "template: t:1:8: executing \"t\" at <.Client>: range can't iterate over {0 linux linux/amd64 4.3.1}");
    EXPECT_EQ(failure("{{range .ID}}{{end}}"),
              "template: t:1:8: executing \"t\" at <.ID>: range can't iterate over 9e3173d343c8");
}

TEST(Conditions, IfElseIfElse) {
    EXPECT_EQ(render("{{if .Running}}up{{end}}"), "up");
    EXPECT_EQ(render("{{if .Exited}}down{{else}}up{{end}}"), "up");
    EXPECT_EQ(render("{{if .Exited}}a{{else if .Pid}}b{{else if .Names}}c{{else}}d{{end}}"), "c");
    EXPECT_EQ(render("{{if .Empty}}a{{else if .None}}b{{else}}d{{end}}"), "d");
}

TEST(Conditions, TruthAsGo) {
    EXPECT_EQ(render("{{if .Client}}struct{{end}}"), "struct");
    EXPECT_EQ(render("{{if .Labels}}map{{end}}"), "map");
    EXPECT_EQ(render("{{if .Ports}}x{{else}}nil{{end}}"), "nil");
    EXPECT_EQ(render("{{if 0.0}}x{{else}}zero{{end}}"), "zero");
}

TEST(Conditions, WithSetsDot) {
    EXPECT_EQ(render("{{with .Client}}{{.Os}}{{else}}none{{end}}"), "linux");
    EXPECT_EQ(render("{{with .Empty}}{{.}}{{else}}none{{end}}"), "none");
}

}  // namespace
}  // namespace berth::gotemplate::testing
