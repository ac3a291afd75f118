#include "registry/auth_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::registry {
namespace {

std::string scratch_parent() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp ? tmp : "/tmp";
}

// The message of the Error that f throws, or "no error".
using testing_support::error_of;

// An "auths" entry for username:password.
std::string entry(const std::string& key, const std::string& username, const std::string& password) {
    return "\"" + key + "\": {\"auth\": \"" + base64_encode(username + ":" + password) + "\"}";
}

std::string auths(const std::vector<std::string>& entries) {
    std::string text = "{\"auths\": {";
    for (size_t i = 0; i < entries.size(); ++i) text += (i == 0 ? "" : ", ") + entries[i];
    return text + "}}";
}

// The username of what find gives, or "none".
std::string user_found(const AuthFile& file, const std::string& repository) {
    auto credentials = file.find(repository);
    return credentials ? credentials->username : "none";
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

TEST(AuthFile, FindsTheMostSpecificKey) {
    auto file = AuthFile::parse(auths({entry("quay.io", "registry", "p1"), entry("quay.io/team", "team", "p2"),
                                       entry("quay.io/team/app", "app", "p3"), entry("other.io/team", "other", "p4")}),
                                "auth.json");
    EXPECT_EQ(user_found(file, "quay.io/team/app"), "app");
    EXPECT_EQ(user_found(file, "quay.io/team/app2"), "team");
    EXPECT_EQ(user_found(file, "quay.io/team/app/sub"), "app");
    EXPECT_EQ(user_found(file, "quay.io/elsewhere/app"), "registry");
    EXPECT_EQ(user_found(file, "quay.io"), "registry");
    EXPECT_EQ(user_found(file, "other.io/x"), "none");
    EXPECT_EQ(user_found(file, "quay.io.evil/team/app"), "none");
    auto credentials = file.find("quay.io/team/app");
    ASSERT_TRUE(credentials);
    EXPECT_EQ(credentials->password, "p3");
}

TEST(AuthFile, PortsAreDifferentRegistries) {
    auto file = AuthFile::parse(auths({entry("localhost:5000", "five", "p")}), "auth.json");
    EXPECT_EQ(user_found(file, "localhost:5000/app"), "five");
    EXPECT_EQ(user_found(file, "localhost/app"), "none");
    EXPECT_EQ(user_found(file, "localhost:5001/app"), "none");
}

TEST(AuthFile, LegacyUrlKeys) {
    auto file =
        AuthFile::parse(auths({entry("https://index.docker.io/v1/", "hub", "p"), entry("https://quay.io", "quay", "p"),
                               entry("http://localhost:5000/v2/", "local", "p")}),
                        "config.json");
    EXPECT_EQ(user_found(file, "docker.io/library/busybox"), "hub");
    EXPECT_EQ(user_found(file, "docker.io"), "hub");
    EXPECT_EQ(user_found(file, "quay.io/team/app"), "quay");
    EXPECT_EQ(user_found(file, "localhost:5000/app"), "local");
    EXPECT_EQ(user_found(file, "index.quay.io/app"), "none");
}

TEST(AuthFile, DockerHubHasSeveralNames) {
    auto file = AuthFile::parse(auths({entry("registry-1.docker.io", "hub", "p")}), "auth.json");
    EXPECT_EQ(user_found(file, "docker.io/library/busybox"), "hub");
    auto plain = AuthFile::parse(auths({entry("docker.io", "plain", "p")}), "auth.json");
    EXPECT_EQ(user_found(plain, "docker.io/library/busybox"), "plain");
}

TEST(AuthFile, ExactKeysWinOverUrlForms) {
    auto file = AuthFile::parse(auths({entry("https://quay.io", "legacy", "p"), entry("quay.io", "current", "p")}),
                                "auth.json");
    EXPECT_EQ(user_found(file, "quay.io/app"), "current");
}

TEST(AuthFile, EntriesWithoutUsableCredentialsAreSkipped) {
    auto file = AuthFile::parse(R"({"auths": {"helper.io": {}, "empty.io": {"auth": ""}, "nocolon.io": {"auth": ")" +
                                    base64_encode("abc") + R"("}, "nul.io": {"auth": ")" +
                                    base64_encode(std::string("u:pw\0\0", 6)) + R"("}}, "credHelpers": {}})",
                                "config.json");
    EXPECT_EQ(user_found(file, "helper.io/app"), "none");
    EXPECT_EQ(user_found(file, "empty.io/app"), "none");
    EXPECT_EQ(user_found(file, "nocolon.io/app"), "none");
    auto credentials = file.find("nul.io/app");
    ASSERT_TRUE(credentials);
    EXPECT_EQ(credentials->password, "pw");
}

TEST(AuthFile, PasswordsMayHoldColons) {
    auto file = AuthFile::parse(auths({entry("quay.io", "alice", "a:b:c")}), "auth.json");
    auto credentials = file.get("quay.io");
    ASSERT_TRUE(credentials);
    EXPECT_EQ(credentials->username, "alice");
    EXPECT_EQ(credentials->password, "a:b:c");
}

TEST(AuthFile, MalformedFilesNameTheFile) {
    EXPECT_EQ(error_of([] { AuthFile::parse("{\"auths\": ", "/x/auth.json"); }),
              "invalid auth file /x/auth.json: not valid JSON");
    EXPECT_EQ(error_of([] { AuthFile::parse("[]", "/x/auth.json"); }),
              "invalid auth file /x/auth.json: not a JSON object");
    EXPECT_EQ(error_of([] { AuthFile::parse(R"({"auths": []})", "/x/auth.json"); }),
              "invalid auth file /x/auth.json: \"auths\" is not an object");
    EXPECT_EQ(error_of([] { AuthFile::parse(R"({"auths": {"quay.io": "x"}})", "/x/auth.json"); }),
              "invalid auth file /x/auth.json: the entry \"quay.io\" is not an object");
    EXPECT_EQ(error_of([] { AuthFile::parse(R"({"auths": {"quay.io": {"auth": 7}}})", "/x/auth.json"); }),
              "invalid auth file /x/auth.json: \"auth\" of \"quay.io\" is not a string");
    auto file = AuthFile::parse(R"({"auths": {"quay.io": {"auth": "not base64!"}}})", "/x/auth.json");
    EXPECT_EQ(error_of([&] { file.find("quay.io/app"); }),
              "invalid auth file /x/auth.json: \"auth\" of \"quay.io\" is not base64");
    EXPECT_EQ(user_found(file, "other.io/app"), "none");
}

TEST(AuthFile, EmptyTextIsAnEmptyFile) {
    auto file = AuthFile::parse(" \n", "auth.json");
    EXPECT_TRUE(file.keys().empty());
    EXPECT_EQ(file.text(), "{\n\t\"auths\": {}\n}\n");
}

TEST(AuthFile, SetRemoveAndKeepOtherSettings) {
    auto file = AuthFile::parse(R"({"auths": {"https://quay.io": {"auth": "eDp5"}, "quay.io/team": {"auth": "eDp5"}},)"
                                R"( "credHelpers": {"gcr.io": "gcloud"}})",
                                "config.json");
    file.set("quay.io", Credentials{"alice", "s3cret"});
    EXPECT_EQ(file.keys(), (std::vector<std::string>{"https://quay.io", "quay.io", "quay.io/team"}));
    auto again = AuthFile::parse(file.text(), "config.json");
    ASSERT_TRUE(again.get("quay.io"));
    EXPECT_EQ(again.get("quay.io")->password, "s3cret");
    EXPECT_NE(again.text().find("\"credHelpers\""), std::string::npos);

    EXPECT_TRUE(again.remove("quay.io"));  // and its URL form, but not the repository's entry
    EXPECT_EQ(again.keys(), std::vector<std::string>{"quay.io/team"});
    EXPECT_FALSE(again.remove("quay.io"));
    EXPECT_TRUE(again.remove("quay.io/team"));
    EXPECT_TRUE(again.keys().empty());
    again.set("a.io", Credentials{"u", "p"});
    again.clear();
    EXPECT_TRUE(again.keys().empty());
}

TEST(AuthFile, UpdateWritesMode0600InPrivateDirectories) {
    TempDir dir(scratch_parent(), "berth-auth-test-");
    std::string path = dir.path() + "/new/containers/auth.json";
    update_auth_file(path, [](AuthFile& file) {
        file.set("localhost:5000", Credentials{"alice", "pw"});
        return true;
    });
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(mode_of(dir.path() + "/new/containers"), 0700u);
    EXPECT_EQ(mode_of(dir.path() + "/new"), 0700u);
    EXPECT_EQ(read_file(path), "{\n\t\"auths\": {\n\t\t\"localhost:5000\": {\n\t\t\t\"auth\": \"" +
                                   base64_encode("alice:pw") + "\"\n\t\t}\n\t}\n}\n");

    ::chmod(path.c_str(), 0644);
    update_auth_file(path, [](AuthFile& file) { return file.remove("localhost:5000"); });
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_TRUE(AuthFile::load(path).keys().empty());
    std::vector<std::string> names;
    for (const auto& item : std::filesystem::directory_iterator(dir.path() + "/new/containers"))
        names.push_back(item.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{"auth.json"});
}

TEST(AuthFile, UnchangedFilesAreNotWritten) {
    TempDir dir(scratch_parent(), "berth-auth-test-");
    std::string path = dir.path() + "/auth.json";
    update_auth_file(path, [](AuthFile&) { return false; });
    EXPECT_FALSE(path_exists(path));
}

TEST(AuthFile, ConcurrentUpdatesKeepEveryEntry) {
    TempDir dir(scratch_parent(), "berth-auth-test-");
    std::string path = dir.path() + "/auth.json";
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&path, i] {
            update_auth_file(path, [i](AuthFile& file) {
                file.set("r" + std::to_string(i) + ".io", Credentials{"u", "p"});
                return true;
            });
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(AuthFile::load(path).keys().size(), 8u);
}

TEST(AuthFile, LoadOfAMissingFileIsEmpty) {
    EXPECT_TRUE(AuthFile::load("/nonexistent/berth/auth.json").keys().empty());
}

AuthEnvironment environment(uid_t uid, std::optional<std::string> runtime_dir = std::nullopt) {
    AuthEnvironment env;
    env.uid = uid;
    env.home = "/home/alice";
    env.xdg_runtime_dir = std::move(runtime_dir);
    return env;
}

TEST(AuthFileLocations, DefaultFile) {
    EXPECT_EQ(default_auth_file(environment(1000, "/run/user/1000")), "/run/user/1000/containers/auth.json");
    EXPECT_EQ(default_auth_file(environment(0, "/run/user/0")), "/run/user/0/containers/auth.json");
    EXPECT_EQ(default_auth_file(environment(0)), "/run/containers/0/auth.json");
    EXPECT_EQ(default_auth_file(environment(1000)), "/home/alice/.config/containers/auth.json");
    auto env = environment(1000);
    env.xdg_config_home = "/cfg";
    EXPECT_EQ(default_auth_file(env), "/cfg/containers/auth.json");
}

TEST(AuthFileLocations, WritingPrefersTheOptionThenTheEnvironment) {
    TempDir dir(scratch_parent(), "berth-auth-test-");
    auto env = environment(1000, dir.path());
    EXPECT_EQ(auth_file_for_writing(env, ""), dir.path() + "/containers/auth.json");
    env.registry_auth_file = "/env/auth.json";
    EXPECT_EQ(auth_file_for_writing(env, ""), "/env/auth.json");
    EXPECT_EQ(auth_file_for_writing(env, "/option/auth.json"), "/option/auth.json");
    EXPECT_EQ(error_of([] { auth_file_for_writing(environment(1000, "/nonexistent/run"), ""); }),
              "$XDG_RUNTIME_DIR directory \"/nonexistent/run\" does not exist: create it or unset XDG_RUNTIME_DIR");
}

TEST(AuthFileLocations, ReadingOrder) {
    EXPECT_EQ(
        auth_files_for_reading(environment(1000, "/run/user/1000"), ""),
        (std::vector<std::string>{"/run/user/1000/containers/auth.json", "/home/alice/.config/containers/auth.json",
                                  "/home/alice/.docker/config.json"}));
    EXPECT_EQ(
        auth_files_for_reading(environment(1000), ""),
        (std::vector<std::string>{"/home/alice/.config/containers/auth.json", "/home/alice/.docker/config.json"}));
    EXPECT_EQ(auth_files_for_reading(environment(0), ""),
              (std::vector<std::string>{"/run/containers/0/auth.json", "/home/alice/.config/containers/auth.json",
                                        "/home/alice/.docker/config.json"}));
    auto env = environment(1000, "/run/user/1000");
    env.registry_auth_file = "/env/auth.json";
    EXPECT_EQ(auth_files_for_reading(env, ""), std::vector<std::string>{"/env/auth.json"});
    EXPECT_EQ(auth_files_for_reading(env, "/option/auth.json"), std::vector<std::string>{"/option/auth.json"});
    EXPECT_TRUE(auth_file_is_given(env, ""));
    EXPECT_FALSE(auth_file_is_given(environment(1000), ""));
}

TEST(FindCredentials, FirstFileWithCredentialsWins) {
    TempDir dir(scratch_parent(), "berth-auth-test-");
    std::string first = dir.path() + "/first.json", docker = dir.path() + "/config.json";
    write_file_atomic(first, auths({entry("other.io", "other", "p"), R"("helper.io": {})"}));
    write_file_atomic(docker, auths({entry("https://index.docker.io/v1/", "hub", "p"), entry("helper.io", "h", "p")}));
    std::vector<std::string> files{dir.path() + "/missing.json", first, docker};
    auto found = find_credentials(files, "docker.io/library/busybox");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->credentials.username, "hub");
    EXPECT_EQ(found->file, docker);
    EXPECT_EQ(find_credentials(files, "other.io/x")->file, first);
    EXPECT_EQ(find_credentials(files, "helper.io/x")->credentials.username, "h");
    EXPECT_FALSE(find_credentials(files, "nowhere.io/x"));

    write_file_atomic(first, "{");
    EXPECT_EQ(error_of([&] { find_credentials(files, "docker.io/library/busybox"); }),
              "invalid auth file " + first + ": not valid JSON");
}

TEST(AuthKey, RegistriesAndRepositories) {
    EXPECT_EQ(auth_key("quay.io"), "quay.io");
    EXPECT_EQ(auth_key("localhost:5000"), "localhost:5000");
    EXPECT_EQ(auth_key("127.0.0.1:5000/team/app"), "127.0.0.1:5000/team/app");
    EXPECT_EQ(auth_key("myregistry"), "myregistry");
    EXPECT_EQ(auth_key("https://quay.io/v1/"), "quay.io");
    EXPECT_EQ(auth_key("http://localhost:5000"), "localhost:5000");
    EXPECT_EQ(auth_key_registry("127.0.0.1:5000/team/app"), "127.0.0.1:5000");
    EXPECT_EQ(auth_key_registry("quay.io"), "quay.io");
}

TEST(AuthKey, ImageReferencesAreRejected) {
    EXPECT_EQ(error_of([] { auth_key("quay.io/team/app:1"); }),
              "reference \"quay.io/team/app:1\" contains a tag or digest");
    EXPECT_EQ(error_of([] { auth_key("localhost:5000/app@sha256:" + std::string(64, 'a')); }),
              "reference \"localhost:5000/app@sha256:" + std::string(64, 'a') + "\" contains a tag or digest");
    EXPECT_EQ(error_of([] { auth_key("busybox:latest"); }), "reference \"busybox:latest\" contains a tag or digest");
    EXPECT_EQ(error_of([] { auth_key("library/busybox"); }),
              "invalid registry \"library/busybox\": \"library\" is not a registry host");
    EXPECT_EQ(error_of([] { auth_key("quay.io/Team"); }),
              "invalid registry \"quay.io/Team\": expected host[:port] or host[:port]/repository");
    EXPECT_EQ(error_of([] { auth_key(""); }), "invalid registry \"\": expected host[:port] or host[:port]/repository");
    EXPECT_EQ(error_of([] { auth_key("https://"); }), "invalid registry \"https://\": the URL has no host");
}

}  // namespace
}  // namespace berth::registry
