#include <gtest/gtest.h>

#include "render.hpp"

namespace berth::gotemplate::testing {
namespace {

TEST(Json, ValuesAndFields) {
    EXPECT_EQ(render("{{json .Names}}"), "[\"c1\",\"web\"]");
    EXPECT_EQ(render("{{json .Labels}}"), "{\"a\":\"b\",\"tier\":\"front\"}");
    EXPECT_EQ(render("{{json .Client.Os}}"), "\"linux\"");
    EXPECT_EQ(render("{{json .Ports}} {{json .Labels.none}}"), "null null");
    EXPECT_EQ(render("{{json .}}", {{"a", "<&>"}}), "{\"a\":\"<&>\"}");
}

TEST(Index, ArraysMapsAndStrings) {
    EXPECT_EQ(render("{{index .Names 1}}"), "web");
    EXPECT_EQ(render("{{index .Labels \"tier\"}}"), "front");
    EXPECT_EQ(render("{{index .Labels \"zz\"}}|"), "|");
    EXPECT_EQ(render("{{index .Client.Os 0}}"), "108");
    EXPECT_EQ(render("{{index .Mounts 0 \"Source\"}}", sample(),
                     ExecuteOptions{"x", {{"Mounts", "[]map[string]string"}}, {}}),
              "/a");
    EXPECT_EQ(failure("{{index .Names 5}}"),
              "template: t:1:2: executing \"t\" at <index .Names 5>: error calling index: index out of range: 5");
    EXPECT_EQ(
        failure("{{index .Client \"Os\"}}"),
        "template: t:1:2: executing \"t\" at <index .Client \"Os\">: error calling index: can't index item of type "
        "*define.Version");
}

TEST(Len, StringsArraysAndMaps) {
    EXPECT_EQ(render("{{len .Client.Os}} {{len .Names}} {{len .Labels}} {{len .None}}"), "5 2 2 0");
    EXPECT_EQ(failure("{{len .Pid}}"),
              "template: t:1:2: executing \"t\" at <len .Pid>: error calling len: len of type int");
    EXPECT_EQ(failure("{{len 1 2}}"),
              "template: t:1:2: executing \"t\" at <len 1 2>: wrong number of args for len: want 1 got 2");
}

TEST(Slice, StringsAndArrays) { EXPECT_EQ(render("{{slice \"abcdef\" 1 3}} {{slice .Names 1}}"), "bc [web]"); }

TEST(Strings, JoinSplitCase) {
    EXPECT_EQ(render("{{join .Names \",\"}}"), "c1,web");
    EXPECT_EQ(render("{{split .Client.OsArch \"/\"}}"), "[linux amd64]");
    EXPECT_EQ(render("{{join (split .Client.OsArch \"/\") \"-\"}}"), "linux-amd64");
    EXPECT_EQ(render("{{lower \"MiXed\"}} {{upper .Client.Os}} {{title \"hello wide-world\"}}"),
              "mixed LINUX Hello Wide-World");
    EXPECT_EQ(failure("{{upper .Pid}}"),
              "template: t:1:2: executing \"t\" at <upper .Pid>: wrong type for value; expected string; got int");
}

TEST(Strings, TruncateAndPad) {
    EXPECT_EQ(render("{{truncate .Client.Os 2}}|{{truncate .Client.Os 20}}"), "li|linux");
    EXPECT_EQ(render("{{pad .Client.Os 2 3}}|{{pad \"\" 2 2}}|"), "  linux   ||");
}

TEST(Comparisons, EqualityAndOrder) {
    EXPECT_EQ(render("{{eq .Client.Os \"linux\"}} {{eq .Pid 1 0}} {{ne 1 2}} {{eq true true}}"), "true true true true");
    EXPECT_EQ(render("{{lt 1 2}} {{le 2 2}} {{gt 2.5 1.0}} {{ge \"a\" \"b\"}} {{lt .Size 2000}}"),
              "true true true false true");
    EXPECT_EQ(failure("{{eq 1 \"a\"}}"),
              "template: t:1:2: executing \"t\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison");
    EXPECT_EQ(failure("{{lt true false}}"),
              "template: t:1:2: executing \"t\" at <lt true false>: error calling lt: invalid type for comparison");
}

TEST(Logic, AndOrNotReturnOperands) {
    EXPECT_EQ(render("{{and 1 0 2}} {{or 0 \"\" \"x\"}} {{not 0}} {{and 1 2}} {{or 0 \"\"}}"), "0 x true 2 ");
    // Evaluation stops at the deciding operand: the missing field after it is never looked at.
    EXPECT_EQ(render("{{or .Running .Nope}} {{and .Exited .Nope}}"), "true false");
    EXPECT_EQ(render("{{if and .Running (eq .Pid 0)}}yes{{end}}"), "yes");
}

TEST(Print, PrintAndPrintln) {
    EXPECT_EQ(render("{{print 1 2 \"a\" \"b\" 3}}"), "1 2ab3");
    EXPECT_EQ(render("{{println \"a\" 1}}"), "a 1\n");
}

TEST(Printf, Verbs) {
    EXPECT_EQ(render("{{printf \"%v %d %s %5.2f %x %t\" .Pid 42 \"x\" 3.14159 255 true}}"), "0 42 x  3.14 ff true");
    EXPECT_EQ(render("{{printf \"%q %q\" .Client.Os 5}}"), "\"linux\" '\\x05'");
    EXPECT_EQ(render("{{printf \"%v|%s\" .Names .Names}}"), "[c1 web]|[c1 web]");
    EXPECT_EQ(render("{{printf \"%%|%c|%o|%b|%X|%e\" 65 8 5 255 1500.0}}"), "%|A|10|101|FF|1.500000e+03");
}

TEST(Printf, WidthsAndFlags) {
    EXPECT_EQ(render("{{printf \"%-10s|%10s|\" \"ab\" \"cd\"}}"), "ab        |        cd|");
    EXPECT_EQ(render("{{printf \"%-8d|%08.3f|%+d|%05d\" 5 3.14159 3 -42}}"), "5       |0003.142|+3|-0042");
    EXPECT_EQ(render("{{printf \"%.2s|%6.1f\" \"abcdef\" 2.25}}"), "ab|   2.2");
}

TEST(Printf, MismatchesPrintAsGo) {
    EXPECT_EQ(render("{{printf \"%s\" 5}} {{printf \"%d\" \"x\"}} {{printf \"%s\"}} {{printf \"%s\" 1 2}}"),
              "%!s(int=5) %!d(string=x) %!s(MISSING) %!s(int=1)%!(EXTRA int=2)");
}

}  // namespace
}  // namespace berth::gotemplate::testing
