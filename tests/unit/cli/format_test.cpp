#include "cli/output/format.hpp"

#include <gtest/gtest.h>

#include "gotemplate/template.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;

TEST(GoFieldNames, UpperFirstRenamesAndMapsKept) {
    json document = {{"host", {{"cpus", 2}, {"arch", "amd64"}}}, {"registries", {{"search", {"docker.io"}}}}};
    json named = go_field_names(document, {{"cpus", "CPUs"}}, {"registries"});
    EXPECT_EQ(named, json({{"Host", {{"CPUs", 2}, {"Arch", "amd64"}}}, {"Registries", {{"search", {"docker.io"}}}}}));
}

TEST(FormatList, TableUsesTheSchemasHeadings) {
    TemplateSchema schema{"ps", "containers.psReporter", {}, {"ID", "Names"}, {{"ID", "CONTAINER ID"}}};
    json rows = json::array({{{"ID", "abc"}, {"Names", "web"}}});
    EXPECT_EQ(format_list(rows, "table {{.ID}}\\t{{.Names}}", schema), "CONTAINER ID  NAMES\nabc           web\n");
    EXPECT_EQ(format_list(json::array(), "table {{.Names}}", schema), "NAMES\n");
    EXPECT_EQ(format_list(rows, "{{.Names}}", schema), "web\n");
}

TEST(FormatDocument, NotRangedOver) {
    TemplateSchema schema{"version", "*define.Version", {{"Client", "*define.Version"}}, {}, {}};
    json document = {{"Client", {{"Version", "1.0"}}}};
    EXPECT_EQ(format_document(document, "{{.Client.Version}}", schema), "1.0\n");
    try {
        format_document(document, "{{.Client.Nope}}", schema);
        FAIL();
    } catch (const gotemplate::TemplateError& error) {
        EXPECT_STREQ(error.what(),
                     "template: version:1:9: executing \"version\" at <.Client.Nope>: can't evaluate field Nope in "
                     "type *define.Version");
    }
}

TEST(TemplateFields, OnlyWhatTheFormatNames) {
    TemplateSchema schema{"ps", "containers.psReporter", {}, {}, {}};
    EXPECT_EQ(template_fields("{{.ID}} {{.Names}}", schema), std::set<std::string>({"ID", "Names"}));
    EXPECT_EQ(template_fields("table {{.ID}}", schema), std::set<std::string>({"ID"}));
    EXPECT_EQ(template_fields("{{json .}}", schema), std::nullopt);
}

}  // namespace
}  // namespace berth::cli
