#include "cli/output/go_template.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace berth::cli {
namespace {

const nlohmann::json document = {
    {"host", {{"arch", "amd64"}, {"cgroupVersion", "v1"}, {"cpus", 2}, {"rootless", false}}},
    {"store", {{"graphRoot", "/var/lib/berth"}}},
    {"names", {"a", "b"}},
    {"items", {{{"name", "x"}, {"size", 1}}, {{"name", "y"}, {"size", 2}}}},
};

TEST(GoTemplate, FieldsMatchKeysCaseInsensitively) {
    EXPECT_EQ(render_template("{{.Host.Arch}}", document), "amd64");
    EXPECT_EQ(render_template("{{.Store.GraphRoot}} {{.host.cpus}}", document), "/var/lib/berth 2");
    EXPECT_EQ(render_template("{{ .Host.CgroupVersion }}", document), "v1");
}

TEST(GoTemplate, FunctionsRangeAndIf) {
    EXPECT_EQ(render_template("{{json .Names}}", document), "[\"a\",\"b\"]");
    EXPECT_EQ(render_template("{{.Names}}", document), "[a b]");
    EXPECT_EQ(render_template("{{upper .Host.Arch}}", document), "AMD64");
    EXPECT_EQ(render_template("{{range .Items}}{{.Name}}={{.Size}};{{end}}", document), "x=1;y=2;");
    EXPECT_EQ(render_template("{{if .Host.Rootless}}yes{{else}}no{{end}}", document), "no");
    EXPECT_EQ(render_template("a\\tb\\n", document), "a\tb\n");
    EXPECT_EQ(render_template("x  {{- .Host.Arch -}}  y", document), "xamd64y");
}

TEST(GoTemplate, UnknownFieldsAndBadTemplatesAreErrors) {
    EXPECT_THROW(render_template("{{.Host.Nope}}", document), Error);
    EXPECT_THROW(render_template("{{.Host.Arch", document), Error);
    EXPECT_THROW(render_template("{{range .Items}}x", document), Error);
    EXPECT_THROW(render_template("{{end}}", document), Error);
    EXPECT_THROW(render_template("{{frobnicate .Host}}", document), Error);
}

}  // namespace
}  // namespace berth::cli
