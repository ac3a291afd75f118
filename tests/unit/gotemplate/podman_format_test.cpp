#include "gotemplate/podman_format.hpp"

#include <gtest/gtest.h>

#include "gotemplate/tabwriter.hpp"

namespace berth::gotemplate {
namespace {

using nlohmann::json;

const json rows = json::array({{{"ID", "9e3173d343c8"}, {"Names", "c1"}, {"Image", "localhost/bb:latest"}},
                               {{"ID", "0123456789ab"}, {"Names", "a-much-longer-name"}, {"Image", "x"}}});

ExecuteOptions ps_options() { return ExecuteOptions{"[]containers.psReporter", {}, {}}; }

std::string ps(const std::string& format) {
    return Report("ps", format, true)
        .render(rows, ps_options(), headings({"ID", "Names", "Image"}, {{"ID", "container id"}}));
}

TEST(Formats, JsonAndTableAreRecognised) {
    EXPECT_TRUE(is_json_format("json"));
    EXPECT_TRUE(is_json_format("JSON"));
    EXPECT_FALSE(is_json_format("{{json .}}"));
    EXPECT_TRUE(is_table_format("table {{.ID}}"));
    EXPECT_FALSE(is_table_format("table{{.ID}}"));
}

TEST(Formats, NormalizedAsPodman) {
    EXPECT_EQ(normalize_format("{{.ID}}", true), "{{range .}}{{.ID}}\n{{end -}}");
    EXPECT_EQ(normalize_format("{{.ID}}\\t{{.Names}}\\n", true), "{{range .}}{{.ID}}\t{{.Names}}\n{{end -}}");
    EXPECT_EQ(normalize_format("{{range .}}{{.ID}}{{end}}", true), "{{range .}}{{.ID}}{{end}}\n");
    EXPECT_EQ(normalize_format("{{.Client.Os}}", false), "{{.Client.Os}}\n");
    EXPECT_EQ(normalize_format("{{.ID}}{{\"\\n\"}}", true), "{{range .}}{{.ID}}{{\"\\n\"}}{{end -}}");
    EXPECT_EQ(normalize_format("table {{.ID}} {{.Names}}", true), "{{range .}}{{.ID}}\t{{.Names}}\n{{end -}}");
}

TEST(Formats, RowsRenderOnePerLine) {
    EXPECT_EQ(ps("{{.ID}} {{.Names}}"), "9e3173d343c8 c1\n0123456789ab a-much-longer-name\n");
    EXPECT_EQ(ps("{{.Names}}\\t|"), "c1\t|\na-much-longer-name\t|\n");
}

TEST(Formats, ErrorsNameTheCommandAndCountTheRange) {
    try {
        ps("{{.Nope}}");
        FAIL();
    } catch (const TemplateError& error) {
        EXPECT_STREQ(error.what(),
                     "template: ps:1:13: executing \"ps\" at <.Nope>: can't evaluate field Nope in type "
                     "containers.psReporter");
    }
}

TEST(Table, HeadingRowAndAlignedColumns) {
    EXPECT_EQ(ps("table {{.ID}}\\t{{.Names}}\\t{{.Image}}"),
              "CONTAINER ID  NAMES               IMAGE\n"
              "9e3173d343c8  c1                  localhost/bb:latest\n"
              "0123456789ab  a-much-longer-name  x\n");
    EXPECT_EQ(ps("table {{.Names}} {{.ID}}"),
              "NAMES               CONTAINER ID\n"
              "c1                  9e3173d343c8\n"
              "a-much-longer-name  0123456789ab\n");
}

TEST(Table, UnknownHeadingsPrintNoValue) {
    EXPECT_EQ(
        Report("ps", "table {{.Names}}\\t{{.Other}}", true).render(json::array(), ps_options(), headings({"Names"})),
        "NAMES       <no value>\n");
}

TEST(Table, EmptyListPrintsTheHeadings) {
    EXPECT_EQ(Report("images", "table {{.Repository}}\\t{{.Tag}}", true)
                  .render(json::array(), ps_options(), headings({"Repository", "Tag"})),
              "REPOSITORY  TAG\n");
}

TEST(Headings, CamelCaseWordsUpperCased) {
    EXPECT_EQ(heading("ID"), "ID");
    EXPECT_EQ(heading("CreatedAt"), "CREATED AT");
    EXPECT_EQ(heading("ImageID"), "IMAGE ID");
    EXPECT_EQ(heading("RepoDigests"), "REPO DIGESTS");
    EXPECT_EQ(heading("HTTPServer"), "HTTP SERVER");
    EXPECT_EQ(heading("Slirp4NetNS"), "SLIRP 4 NET NS");
    EXPECT_EQ(heading("Fieldb"), "FIELDB");
    json row = headings({"ID", "PodName"}, {{"ID", "container id"}, {"PodName", "podname"}});
    EXPECT_EQ(row, json({{"ID", "CONTAINER ID"}, {"PodName", "PODNAME"}}));
}

TEST(Tabwriter, ColumnsAsGoAlignsThem) {
    EXPECT_EQ(align_columns("a\tb\tc\nlonger-than-twelve\tx\ty\n"),
              "a                   b           c\nlonger-than-twelve  x           y\n");
    // A column ends where a line has no cell in it.
    EXPECT_EQ(align_columns("a\tb\nno tabs\nc\td\n"), "a           b\nno tabs\nc           d\n");
    EXPECT_EQ(align_columns("x\ty"), "x           y");
    EXPECT_EQ(align_columns("ab\tc\n", 0, 1), "ab c\n");
}

}  // namespace
}  // namespace berth::gotemplate

namespace berth::gotemplate {
namespace {

TEST(Formats, OwnRangeIsKept) {
    EXPECT_EQ(normalize_format("{{ range . }}{{.ID}}{{ end -}}", true), "{{ range . }}{{.ID}}{{ end -}}\n");
    EXPECT_EQ(normalize_format("{{range .Names}}{{.}}{{end}}", true),
              "{{range .}}{{range .Names}}{{.}}{{end}}\n{{end -}}");
    EXPECT_EQ(normalize_format("{{range .}}{{.ID}}", true), "{{range .}}{{range .}}{{.ID}}\n{{end -}}");
}

}  // namespace
}  // namespace berth::gotemplate
