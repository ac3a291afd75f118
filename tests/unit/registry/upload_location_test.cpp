// Where an upload goes next: Location headers resolved against the request's URL, and the query parameters added.
#include <gtest/gtest.h>

#include <string>

#include "registry/blob_upload.hpp"

namespace berth::registry {
namespace {

const std::string request = "http://127.0.0.1:5000/v2/team/app/blobs/uploads/?mount=x";

TEST(ResolveLocation, AbsoluteLocationsStayAsTheyAre) {
    EXPECT_EQ(resolve_location(request, "https://storage.example/upload/abc?_state=s%3D&x=1"),
              "https://storage.example/upload/abc?_state=s%3D&x=1");
    EXPECT_EQ(resolve_location(request, "  http://127.0.0.1:5000/v2/team/app/blobs/uploads/u1?_state=a  "),
              "http://127.0.0.1:5000/v2/team/app/blobs/uploads/u1?_state=a");
}

TEST(ResolveLocation, HostRelativeLocationsKeepTheRequestsOriginAndTheirQuery) {
    EXPECT_EQ(resolve_location(request, "/v2/team/app/blobs/uploads/u1?_state=abc%2B%3D"),
              "http://127.0.0.1:5000/v2/team/app/blobs/uploads/u1?_state=abc%2B%3D");
    EXPECT_EQ(resolve_location("https://[::1]:443/v2/x/blobs/uploads/", "/upload"), "https://[::1]:443/upload");
}

TEST(ResolveLocation, SchemeRelativeLocationsTakeTheRequestsScheme) {
    EXPECT_EQ(resolve_location(request, "//cdn.example/u?sig=1"), "http://cdn.example/u?sig=1");
}

TEST(ResolveLocation, PathRelativeLocationsResolveAgainstTheRequestsDirectory) {
    EXPECT_EQ(resolve_location(request, "u2?_state=z"), "http://127.0.0.1:5000/v2/team/app/blobs/uploads/u2?_state=z");
    EXPECT_EQ(resolve_location("http://r:1/v2/a/blobs/uploads/u1", "u2"), "http://r:1/v2/a/blobs/uploads/u2");
    EXPECT_EQ(resolve_location("http://r:1/v2/a/blobs/uploads/u1?old=1", "?_state=n"),
              "http://r:1/v2/a/blobs/uploads/u1?_state=n");
    EXPECT_EQ(resolve_location("http://r:1", "u"), "http://r:1/u");
}

TEST(WithQueryParameter, AddsTheParameterPercentEncoded) {
    std::string digest = "sha256:" + std::string(64, 'a');
    EXPECT_EQ(with_query_parameter("http://r/v2/a/blobs/uploads/u", "digest", digest),
              "http://r/v2/a/blobs/uploads/u?digest=sha256%3A" + std::string(64, 'a'));
    EXPECT_EQ(with_query_parameter("http://r/u?_state=a%3D", "digest", "sha256:ab"),
              "http://r/u?_state=a%3D&digest=sha256%3Aab");
    EXPECT_EQ(with_query_parameter("http://r/u?", "digest", "d"), "http://r/u?digest=d");
    EXPECT_EQ(with_query_parameter("http://r/u?a=1#frag", "b", "x y/z"), "http://r/u?a=1&b=x%20y%2Fz#frag");
}

HttpReply with_range(const std::string& value) {
    HttpReply reply;
    reply.status = 204;
    reply.headers = {{"range", value}};
    return reply;
}

TEST(UploadRangeEnd, ReadsTheLastByteTheRegistryHolds) {
    EXPECT_EQ(upload_range_end(with_range("0-1023")), 1023u);
    EXPECT_EQ(upload_range_end(with_range("bytes=0-99")), 99u);
    EXPECT_EQ(upload_range_end(with_range("0-0")), std::nullopt);
    EXPECT_EQ(upload_range_end(with_range("junk")), std::nullopt);
    EXPECT_EQ(upload_range_end(with_range("5-9")), std::nullopt);
    EXPECT_EQ(upload_range_end(HttpReply{}), std::nullopt);
}

}  // namespace
}  // namespace berth::registry
