#include "rootless/id_map_helpers.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/files.hpp"

namespace berth::rootless {
namespace {

// Puts a fake helper first in $PATH for the duration of a test.
class FakeHelperPath {
public:
    explicit FakeHelperPath(const std::string& name, unsigned mode) : dir_("/tmp", "berth-helper-") {
        std::string path = dir_.path() + "/" + name;
        std::ofstream(path) << "#!/bin/sh\n";
        ::chmod(path.c_str(), mode);
        const char* old = std::getenv("PATH");
        saved_ = old ? old : "";
        ::setenv("PATH", (dir_.path() + ":" + saved_).c_str(), 1);
    }
    ~FakeHelperPath() { ::setenv("PATH", saved_.c_str(), 1); }
    std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

private:
    TempDir dir_;
    std::string saved_;
};

TEST(IdMapHelper, MissingHelperNamesThePackage) {
    const char* old = std::getenv("PATH");
    std::string saved = old ? old : "";
    ::setenv("PATH", "/nonexistent", 1);
    auto helper = check_id_map_helper("newuidmap");
    ::setenv("PATH", saved.c_str(), 1);
    EXPECT_FALSE(helper.usable);
    EXPECT_FALSE(helper.path.has_value());
    EXPECT_NE(helper.problem.find("uidmap package"), std::string::npos);
}

TEST(IdMapHelper, HelperWithoutSetuidOrCapabilityIsNotUsableAndTheRemedyIsNamed) {
    FakeHelperPath fake("newgidmap", 0755);
    auto helper = check_id_map_helper("newgidmap");
    EXPECT_EQ(helper.path, fake.path("newgidmap"));
    EXPECT_FALSE(helper.usable);
    EXPECT_NE(helper.problem.find("chmod u+s " + fake.path("newgidmap")), std::string::npos);
    EXPECT_NE(helper.problem.find("cap_setgid"), std::string::npos);
}

TEST(IdMapHelper, SetuidRootHelperIsUsable) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a setuid-root file";
    FakeHelperPath fake("newuidmap", 04755);
    auto helper = check_id_map_helper("newuidmap");
    EXPECT_TRUE(helper.usable) << helper.problem;
}

}  // namespace
}  // namespace berth::rootless
