#include <gtest/gtest.h>

#include "render.hpp"

namespace berth::gotemplate::testing {
namespace {

std::string parse_failure(const std::string& text) {
    try {
        Template::parse("images", text);
    } catch (const TemplateError& error) {
        return error.what();
    }
    return "(no error)";
}

TEST(ParseErrors, UnclosedAndUnexpected) {
    EXPECT_EQ(parse_failure("{{.ID"), "template: images:1: unclosed action");
    EXPECT_EQ(parse_failure("{{range .ID}}"), "template: images:1: unexpected EOF");
    EXPECT_EQ(parse_failure("{{if 1}}x{{else}}y"), "template: images:1: unexpected EOF");
    EXPECT_EQ(parse_failure("{{end}}"), "template: images:1: unexpected {{end}}");
    EXPECT_EQ(parse_failure("{{else}}"), "template: images:1: unexpected {{else}}");
    EXPECT_EQ(parse_failure("{{.ID\n{{end -}}"), "template: images:2: bad character U+007B '{'");
}

TEST(ParseErrors, FunctionsAndValues) {
    EXPECT_EQ(parse_failure("{{nope .ID}}"), "template: images:1: function \"nope\" not defined");
    EXPECT_EQ(parse_failure("{{if}}{{end}}"), "template: images:1: missing value for if");
    EXPECT_EQ(parse_failure("{{range}}{{end}}"), "template: images:1: missing value for range");
    EXPECT_EQ(parse_failure("{{}}"), "template: images:1: missing value for command");
    EXPECT_EQ(parse_failure("{{\"abc}}"), "template: images:1: unterminated quoted string");
    EXPECT_EQ(parse_failure("{{break}}"), "template: images:1: {{break}} outside {{range}}");
    EXPECT_EQ(parse_failure("{{(.ID}}"), "template: images:1: unclosed left paren");
}

TEST(ParseErrors, LineOfTheError) {
    EXPECT_EQ(parse_failure("a\nb\n{{.ID"), "template: images:3: unclosed action");
    try {
        Template::parse("ps", "x\n{{nope}}");
        FAIL();
    } catch (const TemplateError& error) {
        EXPECT_EQ(error.position().line, 2);
        EXPECT_EQ(error.exit_status(), 125);
    }
}

TEST(Parse, TemplatesAreParsedOnceAndRunMany) {
    auto parsed = Template::parse("ps", "{{.A}}-");
    std::string out;
    for (int i = 0; i < 3; ++i) parsed.execute({{"A", i}}, {}, out);
    EXPECT_EQ(out, "0-1-2-");
    EXPECT_EQ(parsed.name(), "ps");
}

}  // namespace
}  // namespace berth::gotemplate::testing

namespace berth::gotemplate::testing {
namespace {

TEST(Parse, ReferencedFields) {
    using Fields = std::set<std::string>;
    EXPECT_EQ(Template::parse("t", "{{range .}}{{.ID}} {{.Names}}\n{{end -}}").referenced_fields(),
              Fields({"ID", "Names"}));
    EXPECT_EQ(Template::parse("t", "{{.A.B}}{{if .C}}{{index .D 0}}{{end}}{{$.E}}").referenced_fields(),
              Fields({"A", "B", "C", "D", "E"}));
    EXPECT_EQ(Template::parse("t", "{{range .}}{{json .}}{{end}}").referenced_fields(), std::nullopt);
    EXPECT_EQ(Template::parse("t", "{{range .}}{{$}}{{end}}").referenced_fields(), std::nullopt);
    EXPECT_EQ(Template::parse("t", "{{range .Names}}{{.}}{{end}}").referenced_fields(), std::nullopt);
}

}  // namespace
}  // namespace berth::gotemplate::testing
