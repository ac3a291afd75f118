#include "common/os_release.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(OsRelease, ReadsDebianFields) {
    auto distribution = parse_os_release(
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
        "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n");
    EXPECT_EQ(distribution.distribution, "debian");
    EXPECT_EQ(distribution.version, "12");
    EXPECT_EQ(distribution.codename, "bookworm");
    EXPECT_EQ(distribution.variant, "");
}

TEST(OsRelease, UnquotesSingleAndEscapedDoubleQuotes) {
    auto distribution = parse_os_release("ID='fedora'\nVARIANT_ID=\"work\\\"station\"\n");
    EXPECT_EQ(distribution.distribution, "fedora");
    EXPECT_EQ(distribution.variant, "work\"station");
}

TEST(OsRelease, SkipsCommentsAndMalformedLines) {
    auto distribution = parse_os_release("# ID=wrong\n=nokey\nnonsense\nID=alpine\nVERSION_ID=3.19.1\n");
    EXPECT_EQ(distribution.distribution, "alpine");
    EXPECT_EQ(distribution.version, "3.19.1");
}

TEST(OsRelease, LaterKeyWins) { EXPECT_EQ(parse_os_release("ID=a\nID=b\n").distribution, "b"); }

}  // namespace
}  // namespace berth
