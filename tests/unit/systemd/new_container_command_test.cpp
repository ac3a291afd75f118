#include "systemd/new_container_command.hpp"

#include <gtest/gtest.h>

#include "../error_of.hpp"

namespace berth::systemd {
namespace {

using testing_support::error_of;
using Words = std::vector<std::string>;

const Words unit_options{"run", "--cidfile=%t/%n.ctr-id", "--rm", "--sdnotify=conmon", "-d", "--replace", "--name",
                         "web"};

Words expected(Words globals, Words rest) {
    Words words{"/usr/bin/berth"};
    words.insert(words.end(), globals.begin(), globals.end());
    words.insert(words.end(), unit_options.begin(), unit_options.end());
    words.insert(words.end(), rest.begin(), rest.end());
    return words;
}

TEST(NewContainerCommand, RunsCreateAgainWithTheUnitsOptions) {
    Words create{"berth", "--root", "/r", "create", "--name", "old", "-p", "80:80", "busybox", "top"};
    EXPECT_EQ(new_container_command(create, 2, "/usr/bin/berth", "web"),
              expected({"--root", "/r"}, {"-p", "80:80", "busybox", "top"}));
}

TEST(NewContainerCommand, DropsTheOptionsTheUnitSetsButNotTheContainersArguments) {
    Words create{"./berth",    "container", "run",     "-d",         "--rm=true", "--replace",
                 "--name=old", "--cidfile", "/tmp/id", "--sdnotify", "conmon",    "--cgroups=split",
                 "-e",         "A=1",       "busybox", "sh",         "-c",        "-d"};
    EXPECT_EQ(new_container_command(create, 4, "/usr/bin/berth", "web"),
              expected({}, {"-e", "A=1", "busybox", "sh", "-c", "-d"}));
}

TEST(NewContainerCommand, NeedsACreateOrRunCommand) {
    EXPECT_NE(error_of([] {
                  new_container_command({"berth", "start", "web"}, 1, "/b", "web");
              }).find("cannot find a create or run command"),
              std::string::npos);
}

}  // namespace
}  // namespace berth::systemd
