#include "common/digest.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"

namespace berth {
namespace {

constexpr const char* empty_digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* abc_digest = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Sha256, KnownDigests) {
    EXPECT_EQ(sha256_digest(""), empty_digest);
    EXPECT_EQ(sha256_digest("abc"), abc_digest);
    EXPECT_EQ(sha256_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, PiecesGiveTheSameDigestAsTheWhole) {
    Sha256 hash;
    hash.update("a", 1);
    hash.update(std::string_view("b"));
    EXPECT_EQ(hash.peek(), sha256_digest("ab"));
    hash.update("c", 1);
    hash.update(nullptr, 0);
    EXPECT_EQ(hash.finish(), abc_digest);
    // After finish() the object starts over.
    EXPECT_EQ(hash.finish(), empty_digest);

    std::string million(1000000, 'a');
    Sha256 big;
    for (size_t offset = 0; offset < million.size(); offset += 4093)
        big.update(million.data() + offset, std::min<size_t>(4093, million.size() - offset));
    EXPECT_EQ(big.finish(), "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MovedObjectsKeepWorking) {
    Sha256 first;
    first.update("ab", 2);
    Sha256 second(std::move(first));
    second.update("c", 1);
    EXPECT_EQ(second.finish(), abc_digest);
    first = Sha256();
    first.update("abc", 3);
    EXPECT_EQ(first.finish(), abc_digest);
}

TEST(IsSha256Digest, AcceptsOnlyTheCanonicalForm) {
    EXPECT_TRUE(is_sha256_digest(empty_digest));
    EXPECT_TRUE(is_sha256_digest(abc_digest));
    std::string hex = std::string(empty_digest).substr(7);
    EXPECT_FALSE(is_sha256_digest(hex));                         // no algorithm
    EXPECT_FALSE(is_sha256_digest("sha256:"));                   // no hex
    EXPECT_FALSE(is_sha256_digest("sha256:" + hex.substr(1)));   // 63 digits
    EXPECT_FALSE(is_sha256_digest("sha256:" + hex + "0"));       // 65 digits
    EXPECT_FALSE(is_sha256_digest("SHA256:" + hex));             // upper-case algorithm
    EXPECT_FALSE(is_sha256_digest("sha512:" + hex));             // another algorithm
    EXPECT_FALSE(is_sha256_digest("sha256:E" + hex.substr(1)));  // upper-case hex
    EXPECT_FALSE(is_sha256_digest("sha256:g" + hex.substr(1)));  // not hex
    EXPECT_FALSE(is_sha256_digest(" sha256:" + hex.substr(1)));  // stray space
    EXPECT_FALSE(is_sha256_digest(""));
}

TEST(DigestHex, ReturnsTheHexOrNamesTheBadText) {
    EXPECT_EQ(digest_hex(abc_digest), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    try {
        digest_hex("sha256:abc");
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("\"sha256:abc\""), std::string::npos) << error.what();
        EXPECT_EQ(error.exit_status(), 125);
    }
}

}  // namespace
}  // namespace berth
