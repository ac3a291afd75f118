#include "engine/runtime_spec.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>

#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

using testing_support::error_of;

// ---- flag values ----

TEST(EnvFlag, ValuesCallerVariablesAndWildcards) {
    Strings environment{"HOME=/home/me", "LANG=C.UTF-8", "LC_ALL=C", "LC_TIME=en", "EMPTY="};
    EXPECT_EQ(parse_env_flag("A=1", environment), (EnvList{{"A", "1"}}));
    EXPECT_EQ(parse_env_flag("A==b=c", environment), (EnvList{{"A", "=b=c"}}));
    EXPECT_EQ(parse_env_flag("A=", environment), (EnvList{{"A", ""}}));
    EXPECT_EQ(parse_env_flag("LANG", environment), (EnvList{{"LANG", "C.UTF-8"}}));
    EXPECT_EQ(parse_env_flag("EMPTY", environment), (EnvList{{"EMPTY", ""}}));
    EXPECT_EQ(parse_env_flag("UNSET", environment), EnvList{});
    EXPECT_EQ(parse_env_flag("LC_*", environment), (EnvList{{"LC_ALL", "C"}, {"LC_TIME", "en"}}));
    EXPECT_EQ(error_of([&] { parse_env_flag("=x", environment); }),
              "invalid environment variable \"=x\": the name is empty");
    EXPECT_EQ(error_of([&] { parse_env_flag("A B=1", environment); }),
              "invalid environment variable \"A B=1\": the name contains white space");
}

TEST(EnvFile, LinesCommentsAndCallerVariables) {
    Strings environment{"FROM_CALLER=yes", "X_1=a", "X_2=b"};
    const char* text =
        "# a comment\n"
        "\n"
        "   \n"
        "A=1\n"
        "  B=two words  \n"
        "QUOTED=\"kept\"\r\n"
        "FROM_CALLER\n"
        "NOT_SET\n"
        "X_*\n"
        "A=override\n";
    EXPECT_EQ(parse_env_file(text, environment, "env file f"), (EnvList{{"A", "override"},
                                                                        {"B", "two words  "},
                                                                        {"QUOTED", "\"kept\""},
                                                                        {"FROM_CALLER", "yes"},
                                                                        {"X_1", "a"},
                                                                        {"X_2", "b"}}));
    EXPECT_EQ(error_of([&] { parse_env_file("A=1\n=bad\n", environment, "env file f"); }),
              "env file f: line 2: invalid environment variable \"=bad\": the name is empty");
}

TEST(EnvFile, FilesThenFlagsLaterWins) {
    TempDir dir("/tmp", "berth-env-test-");
    write_file_atomic(dir.path() + "/one", "A=file1\nB=file1\n");
    write_file_atomic(dir.path() + "/two", "B=file2\nC=file2\n");
    auto env = collect_env({dir.path() + "/one", dir.path() + "/two"}, {"C=flag", "D"}, {"D=caller"});
    EXPECT_EQ(env, (EnvList{{"A", "file1"}, {"B", "file2"}, {"C", "flag"}, {"D", "caller"}}));
    EXPECT_EQ(error_of([&] { collect_env({dir.path() + "/missing"}, {}, {}); }),
              "open " + dir.path() + "/missing: No such file or directory");
}

TEST(EntrypointFlag, JsonArrayOrOneCommand) {
    EXPECT_EQ(parse_entrypoint("/bin/sh"), (Strings{"/bin/sh"}));
    EXPECT_EQ(parse_entrypoint("/bin/sh -c"), (Strings{"/bin/sh -c"}));
    EXPECT_EQ(parse_entrypoint("[\"/bin/sh\", \"-c\"]"), (Strings{"/bin/sh", "-c"}));
    EXPECT_EQ(parse_entrypoint("[]"), Strings{});
    EXPECT_EQ(parse_entrypoint(""), (Strings{""}));
    EXPECT_EQ(parse_entrypoint("[1]"), (Strings{"[1]"}));
}

TEST(VolumeFlag, OptionsAsPodmanCompletesThem) {
    struct Case {
        const char* value;
        MountSpec expected;
    };
    const Case cases[] = {
        {"/a:/b", {"bind", "/a", "/b", {"rprivate", "rbind"}}},
        {"/a/:/b/c/", {"bind", "/a", "/b/c", {"rprivate", "rbind"}}},
        {"/a:/b:ro", {"bind", "/a", "/b", {"ro", "rprivate", "rbind"}}},
        {"/a:/b:rw,z", {"bind", "/a", "/b", {"rw", "rprivate", "rbind"}}},
        {"/a:/b:Z,ro,noexec", {"bind", "/a", "/b", {"ro", "noexec", "rprivate", "rbind"}}},
        {"/a:/b:bind", {"bind", "/a", "/b", {"bind", "private"}}},
        {"/a:/b:rshared,nosuid,nodev", {"bind", "/a", "/b", {"rshared", "nosuid", "nodev", "rbind"}}},
        {"/a:/b:cached", {"bind", "/a", "/b", {"rprivate", "rbind"}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.value);
        EXPECT_EQ(parse_volume(c.value), c.expected);
    }
    auto relative = parse_volume("./data:/data");
    EXPECT_EQ(relative.source, std::filesystem::current_path().string() + "/data");
}

TEST(VolumeFlag, Errors) {
    const std::pair<const char*, const char*> cases[] = {
        {"/a:/b:ro:x", "invalid volume \"/a:/b:ro:x\": incorrect volume format, should be [host-dir:]ctr-dir[:option]"},
        {":/b", "invalid volume \":/b\": host directory cannot be empty"},
        {"bad/name:/b",
         "invalid volume \"bad/name:/b\": running volume create option: names must match "
         "[a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"},
        {"/a:b", "invalid volume \"/a:b\": invalid container path \"b\", must be an absolute path"},
        {"/a:", "invalid volume \"/a:\": container directory cannot be empty"},
        {"/a:/b:ro,rw", "invalid volume \"/a:/b:ro,rw\": only one of 'rw' and 'ro' can be used"},
        {"/a:/b:shared,private",
         "invalid volume \"/a:/b:shared,private\": only one of the propagation modes can be used"},
        {"/a:/b:fast", "invalid volume \"/a:/b:fast\": unknown mount option \"fast\""},
        {"/a:/b:O", "invalid volume \"/a:/b:O\": option \"O\" is not supported yet"},
        {"/a:/b:size=1m", "invalid volume \"/a:/b:size=1m\": the \"size\" option is only allowed with tmpfs mounts"},
    };
    for (const auto& [value, message] : cases) {
        SCOPED_TRACE(value);
        EXPECT_EQ(error_of([&] { parse_volume(value); }), message);
    }
}

TEST(VolumeFlag, NamedAndAnonymousVolumes) {
    MountSpec named = parse_volume("data:/d:ro,nocopy");
    EXPECT_EQ(named, (MountSpec{"volume", "data", "/d", {"ro", "rprivate", "rbind"}, false}));
    EXPECT_EQ(parse_volume("/anon"), (MountSpec{"volume", "", "/anon", {"rprivate", "rbind"}, true}));
    EXPECT_EQ(parse_mount("type=volume,src=v,dst=/m"), (MountSpec{"volume", "v", "/m", {"rprivate", "rbind"}, true}));
    EXPECT_EQ(parse_mount("type=volume,dst=/m,nocopy"), (MountSpec{"volume", "", "/m", {"rprivate", "rbind"}, false}));
    EXPECT_EQ(parse_volume("v:/d:U,ro"), (MountSpec{"volume", "v", "/d", {"ro", "rprivate", "rbind"}, true, true}));
    EXPECT_EQ(parse_mount("type=bind,src=/a,dst=/b,U"),
              (MountSpec{"bind", "/a", "/b", {"rprivate", "rbind"}, true, true}));
}

TEST(MountFlag, BindAndTmpfs) {
    struct Case {
        const char* value;
        MountSpec expected;
    };
    const Case cases[] = {
        {"type=bind,source=/a,destination=/b", {"bind", "/a", "/b", {"rprivate", "rbind"}}},
        {"type=bind,src=/a,target=/b,ro", {"bind", "/a", "/b", {"ro", "rprivate", "rbind"}}},
        {"type=bind,src=/a,dst=/b,readonly=true", {"bind", "/a", "/b", {"ro", "rprivate", "rbind"}}},
        {"type=bind,src=/a,dst=/b,readonly=false", {"bind", "/a", "/b", {"rprivate", "rbind"}}},
        {"type=bind,src=/a,dst=/b,rw=false", {"bind", "/a", "/b", {"ro", "rprivate", "rbind"}}},
        {"target=/b,type=bind,bind-propagation=rshared", {"bind", "/b", "/b", {"rshared", "rbind"}}},
        {"type=bind,src=/a,dst=/b,bind-nonrecursive", {"bind", "/a", "/b", {"bind", "private"}}},
        {"type=tmpfs,destination=/t", {"tmpfs", "tmpfs", "/t", {"rprivate"}}},
        {"type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777,noexec",
         {"tmpfs", "tmpfs", "/t", {"size=64m", "mode=1777", "noexec", "rprivate"}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.value);
        EXPECT_EQ(parse_mount(c.value), c.expected);
    }
}

TEST(MountFlag, Errors) {
    const std::pair<const char*, const char*> cases[] = {
        {"src=/a,dst=/b",
         "invalid --mount \"src=/a,dst=/b\": the type is missing: type=bind, type=volume or type=tmpfs"},
        {"type=image,src=v,dst=/b",
         "invalid --mount \"type=image,src=v,dst=/b\": type \"image\" is not supported; berth has bind, volume "
         "and tmpfs"},
        {"type=bind,src=/a,dst=/b,nocopy",
         "invalid --mount \"type=bind,src=/a,dst=/b,nocopy\": \"nocopy\" option not supported for \"bind\" mount "
         "types"},
        {"type=bind,src=/a", "invalid --mount \"type=bind,src=/a\": must set volume destination"},
        {"type=bind,src=/a,dst=b",
         "invalid --mount \"type=bind,src=/a,dst=b\": invalid container path \"b\", must "
         "be an absolute path"},
        {"type=tmpfs,src=/a,dst=/b",
         "invalid --mount \"type=tmpfs,src=/a,dst=/b\": \"src\" option not supported for \"tmpfs\" mount types"},
        {"type=bind,src=/a,dst=/b,tmpfs-size=1m",
         "invalid --mount \"type=bind,src=/a,dst=/b,tmpfs-size=1m\": \"tmpfs-size\" option not supported for "
         "\"bind\" mount types"},
        {"type=bind,src=/a,dst=/b,ro,rw",
         "invalid --mount \"type=bind,src=/a,dst=/b,ro,rw\": cannot pass 'readonly', 'ro', or 'rw' options more "
         "than once"},
        {"type=bind,src=/a,dst=/b,speed=fast",
         "invalid --mount \"type=bind,src=/a,dst=/b,speed=fast\": speed: "
         "invalid mount option"},
        {"type=bind,src=,dst=/b",
         "invalid --mount \"type=bind,src=,dst=/b\": src: must provide an argument for "
         "option"},
        {"type=bind,src=/a,dst=/b,readonly=maybe",
         "invalid --mount \"type=bind,src=/a,dst=/b,readonly=maybe\": readonly must be true or false, not \"maybe\""},
    };
    for (const auto& [value, message] : cases) {
        SCOPED_TRACE(value);
        EXPECT_EQ(error_of([&] { parse_mount(value); }), message);
    }
}

TEST(TmpfsFlag, DefaultsAndOptions) {
    EXPECT_EQ(parse_tmpfs("/tmp"),
              (MountSpec{"tmpfs", "tmpfs", "/tmp", {"rw", "noexec", "nosuid", "nodev", "rprivate"}}));
    EXPECT_EQ(parse_tmpfs("/run/x/:size=64m,exec,mode=0700"),
              (MountSpec{"tmpfs", "tmpfs", "/run/x", {"size=64m", "exec", "mode=0700", "rprivate"}}));
    EXPECT_EQ(error_of([] { parse_tmpfs("tmp"); }),
              "invalid --tmpfs \"tmp\": invalid container path \"tmp\", must be an absolute path");
    EXPECT_EQ(error_of([] { parse_tmpfs("/t:rbind"); }),
              "invalid --tmpfs \"/t:rbind\": the 'bind' and 'rbind' options are not allowed with tmpfs mounts");
    EXPECT_EQ(error_of([] { parse_tmpfs("/t:size=1m,size=2m"); }),
              "invalid --tmpfs \"/t:size=1m,size=2m\": only one tmpfs size can be specified");
}

TEST(CapabilityFlag, NamesWithOrWithoutPrefixInAnyCase) {
    const std::pair<const char*, const char*> cases[] = {
        {"net_admin", "CAP_NET_ADMIN"},
        {"CAP_NET_ADMIN", "CAP_NET_ADMIN"},
        {"Net_Admin", "CAP_NET_ADMIN"},
        {"cap_chown", "CAP_CHOWN"},
        {"all", "ALL"},
        {"ALL", "ALL"},
        {"sys_admin", "CAP_SYS_ADMIN"},
    };
    for (const auto& [name, normal] : cases) EXPECT_EQ(normalize_capability(name), normal) << name;
    EXPECT_EQ(error_of([] { normalize_capability("CAP_FOO"); }), "unknown capability \"CAP_FOO\"");
    EXPECT_EQ(error_of([] { normalize_capability("foo"); }), "unknown capability \"CAP_FOO\"");
    EXPECT_EQ(parse_capabilities("chown,KILL"), (Strings{"CAP_CHOWN", "CAP_KILL"}));
    EXPECT_EQ(error_of([] { parse_capabilities("chown,,kill"); }),
              "invalid capability list \"chown,,kill\": an empty name");
}

TEST(SecurityOpt, EachKind) {
    RunOptions options;
    apply_security_opt(options, "no-new-privileges");
    EXPECT_TRUE(options.no_new_privileges);
    apply_security_opt(options, "no-new-privileges=false");
    EXPECT_FALSE(options.no_new_privileges);
    apply_security_opt(options, "no-new-privileges:true");
    EXPECT_TRUE(options.no_new_privileges);
    apply_security_opt(options, "seccomp=unconfined");
    EXPECT_EQ(options.seccomp_profile, "unconfined");
    apply_security_opt(options, "seccomp=/etc/profile.json");
    EXPECT_EQ(options.seccomp_profile, "/etc/profile.json");
    apply_security_opt(options, "mask=/proc/version:/sys/x/");
    EXPECT_EQ(options.mask, (Strings{"/proc/version", "/sys/x"}));
    apply_security_opt(options, "unmask=/proc/*:/sys/firmware");
    apply_security_opt(options, "unmask=all");
    EXPECT_EQ(options.unmask, (Strings{"/proc/*", "/sys/firmware", "ALL"}));
    apply_security_opt(options, "label=disable");
    apply_security_opt(options, "apparmor=unconfined");

    const std::pair<const char*, const char*> errors[] = {
        {"no-new-privileges=maybe",
         "invalid --security-opt \"no-new-privileges=maybe\": no-new-privileges takes true "
         "or false"},
        {"seccomp=", "invalid --security-opt \"seccomp=\": give seccomp=unconfined or seccomp=PROFILE.json"},
        {"mask=proc", "invalid --security-opt \"mask=proc\": \"proc\" is not an absolute path"},
        {"mask=", "invalid --security-opt \"mask=\": no paths given"},
        {"label=type:x",
         "invalid --security-opt \"label=type:x\": berth has no SELinux support; only label=disable "
         "is accepted"},
        {"bogus",
         "invalid --security-opt \"bogus\": expected no-new-privileges, seccomp=, mask=, unmask=, "
         "label=disable or apparmor=unconfined"},
    };
    for (const auto& [value, message] : errors)
        EXPECT_EQ(error_of([&] { apply_security_opt(options, value); }), message);
}

TEST(UlimitFlag, ValuesAndErrors) {
    EXPECT_EQ(parse_ulimit("nofile=1024:2048"), (Ulimit{"nofile", 1024, 2048}));
    EXPECT_EQ(parse_ulimit("nproc=100"), (Ulimit{"nproc", 100, 100}));
    EXPECT_EQ(parse_ulimit("core=-1"), (Ulimit{"core", rlimit_unlimited, rlimit_unlimited}));
    EXPECT_EQ(parse_ulimit("RLIMIT_STACK=0:-1"), (Ulimit{"stack", 0, rlimit_unlimited}));
    const std::pair<const char*, const char*> errors[] = {
        {"x", "invalid ulimit \"x\": expected name=soft[:hard]"},
        {"=1", "invalid ulimit \"=1\": expected name=soft[:hard]"},
        {"files=1", "invalid ulimit \"files=1\": unknown resource \"files\""},
        {"nofile=a", "invalid ulimit \"nofile=a\": \"a\" is not a number (or -1 for unlimited)"},
        {"nofile=1:2:3", "invalid ulimit \"nofile=1:2:3\": at most two values, soft[:hard]"},
        {"nofile=10:5", "invalid ulimit \"nofile=10:5\": the soft limit 10 is larger than the hard limit 5"},
        {"nofile=-1:5", "invalid ulimit \"nofile=-1:5\": the soft limit -1 is larger than the hard limit 5"},
    };
    for (const auto& [value, message] : errors) EXPECT_EQ(error_of([&] { parse_ulimit(value); }), message);
}

TEST(NamespaceFlags, ModesAndErrors) {
    EXPECT_EQ(parse_userns(""), UsernsMode::default_mode);
    EXPECT_EQ(parse_userns("private"), UsernsMode::default_mode);
    EXPECT_EQ(parse_userns("host"), UsernsMode::host);
    EXPECT_EQ(parse_userns("keep-id"), UsernsMode::keep_id);
    EXPECT_EQ(parse_userns("nomap"), UsernsMode::nomap);
    EXPECT_EQ(error_of([] { parse_userns("auto"); }),
              "invalid --userns \"auto\": berth supports host, keep-id, nomap and private");
    EXPECT_TRUE(parse_namespace_host("--pid", "host"));
    EXPECT_FALSE(parse_namespace_host("--uts", "private"));
    EXPECT_FALSE(parse_namespace_host("--ipc", "shareable"));
    EXPECT_EQ(error_of([] { parse_namespace_host("--pid", "container:x"); }),
              "invalid --pid \"container:x\": berth supports host and private");
}

TEST(ResourceFlags, MemoryCpusPids) {
    const std::pair<const char*, int64_t> memory[] = {
        {"6m", 6 << 20},          {"32m", 32 << 20}, {"32M", 32 << 20},          {"32mb", 32 << 20},
        {"1g", int64_t{1} << 30}, {"1.5g", 3 << 29}, {"1GiB", int64_t{1} << 30}, {"7340032", 7340032},
        {"8192k", 8 << 20},       {"0", 0},          {"10 m", 10 << 20},
    };
    for (const auto& [value, bytes] : memory) EXPECT_EQ(parse_memory(value), bytes) << value;
    EXPECT_EQ(error_of([] { parse_memory("1m"); }), "invalid --memory \"1m\": the minimum memory limit allowed is 6MB");
    EXPECT_EQ(error_of([] { parse_memory("lots"); }),
              "invalid --memory \"lots\": expected a number of bytes with an optional unit (b, k, m, g)");
    EXPECT_EQ(error_of([] { parse_memory("10x"); }), "invalid --memory \"10x\": unknown unit \"x\" (b, k, m, g, t, p)");

    EXPECT_DOUBLE_EQ(parse_cpus("1.5"), 1.5);
    EXPECT_DOUBLE_EQ(parse_cpus("0.01"), 0.01);
    EXPECT_EQ(error_of([] { parse_cpus("0.001"); }), "invalid --cpus \"0.001\": the minimum is 0.01");
    EXPECT_EQ(error_of([] { parse_cpus("-1"); }), "invalid --cpus \"-1\": expected a positive decimal number of CPUs");
    EXPECT_EQ(error_of([] { parse_cpus("two"); }),
              "invalid --cpus \"two\": expected a positive decimal number of CPUs");

    EXPECT_EQ(parse_pids_limit("100"), 100);
    EXPECT_EQ(parse_pids_limit("-1"), -1);
    EXPECT_EQ(error_of([] { parse_pids_limit("many"); }),
              "invalid --pids-limit \"many\": expected a number (0 or -1 for unlimited)");

    EXPECT_EQ(parse_key_value("--label", "a=b=c"), (std::pair<std::string, std::string>{"a", "b=c"}));
    EXPECT_EQ(parse_key_value("--label", "flag"), (std::pair<std::string, std::string>{"flag", ""}));
    EXPECT_EQ(error_of([] { parse_key_value("--label", "=v"); }), "invalid --label \"=v\": the key is empty");
}

TEST(StopSignal, NamesAndNumbers) {
    EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
    EXPECT_EQ(parse_signal("quit"), SIGQUIT);
    EXPECT_EQ(parse_signal("9"), 9);
    EXPECT_EQ(parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
    EXPECT_EQ(parse_signal("RTMAX-1"), SIGRTMAX - 1);
    EXPECT_EQ(error_of([] { parse_signal("SIGNOPE"); }), "invalid signal \"SIGNOPE\"");
    EXPECT_EQ(error_of([] { parse_signal("0"); }), "invalid signal \"0\"");
}

// ---- process arguments and capabilities ----

json image(json config) { return {{"architecture", "amd64"}, {"os", "linux"}, {"config", std::move(config)}}; }

TEST(ProcessArgs, PodmansEntrypointAndCmdRules) {
    json both = image({{"Entrypoint", {"/entry", "-x"}}, {"Cmd", {"default", "args"}}});
    json cmd_only = image({{"Cmd", {"/bin/sh"}}});
    json empty_entry = image({{"Entrypoint", {""}}, {"Cmd", {"/bin/sh"}}});
    json none;
    struct Case {
        const char* name;
        const json& config;
        std::optional<std::string> entrypoint;
        Strings command;
        Strings expected;
    };
    const Case cases[] = {
        {"image entrypoint and cmd", both, std::nullopt, {}, {"/entry", "-x", "default", "args"}},
        {"command replaces cmd", both, std::nullopt, {"mine"}, {"/entry", "-x", "mine"}},
        {"entrypoint drops image cmd", both, "/other", {}, {"/other"}},
        {"entrypoint and command", both, "/other", {"a", "b"}, {"/other", "a", "b"}},
        {"empty entrypoint resets", both, "", {"/bin/true"}, {"/bin/true"}},
        {"json entrypoint", both, "[\"/bin/sh\",\"-c\"]", {"echo hi"}, {"/bin/sh", "-c", "echo hi"}},
        {"empty json entrypoint keeps image cmd", both, "[]", {}, {"default", "args"}},
        {"cmd only", cmd_only, std::nullopt, {}, {"/bin/sh"}},
        {"image entrypoint of empty string", empty_entry, std::nullopt, {}, {"/bin/sh"}},
        {"no config at all", none, std::nullopt, {"/bin/echo"}, {"/bin/echo"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        RunOptions options;
        options.entrypoint = c.entrypoint;
        options.command = c.command;
        EXPECT_EQ(process_args(c.config, options), c.expected);
    }
    RunOptions options;
    EXPECT_EQ(error_of([&] { process_args(image(json::object()), options); }),
              "no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
    options.entrypoint = "";
    EXPECT_EQ(error_of([&] { process_args(both, options); }),
              "no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
    options = {};
    options.init = true;
    EXPECT_EQ(process_args(cmd_only, options), (Strings{container_init_path, "--", "/bin/sh"}));
    EXPECT_EQ(error_of([] {
                  process_args(image({{"Cmd", "sh"}}), RunOptions{});
              }),
              "image config: \"Cmd\" is not a list of strings");
}

const Strings podman_defaults{"CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",    "CAP_FSETID",
                              "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",   "CAP_SETGID",
                              "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT"};

TEST(ProcessCapabilitiesTest, AdjustedByAddDropAllAndPrivileged) {
    constexpr int last = 40;  // CAP_CHECKPOINT_RESTORE
    auto with = [](Strings add, Strings drop, bool privileged = false) {
        RunOptions options;
        options.cap_add = std::move(add);
        options.cap_drop = std::move(drop);
        options.privileged = privileged;
        return options;
    };
    auto defaults = process_capabilities(RunOptions{}, true, last);
    EXPECT_EQ(defaults.bounding.names(), podman_defaults);
    EXPECT_EQ(defaults.effective.names(), podman_defaults);
    EXPECT_EQ(defaults.permitted.names(), podman_defaults);
    EXPECT_TRUE(defaults.inheritable.empty());
    EXPECT_TRUE(defaults.ambient.empty());

    auto added = process_capabilities(with({"CAP_NET_ADMIN"}, {"CAP_CHOWN", "CAP_KILL"}), true, last);
    Strings expected = podman_defaults;
    std::erase(expected, "CAP_CHOWN");
    std::erase(expected, "CAP_KILL");
    expected.insert(expected.begin() + 3, "CAP_NET_ADMIN");
    EXPECT_EQ(added.bounding.names(), expected);

    auto only = process_capabilities(with({"CAP_NET_RAW"}, {"ALL"}), true, last);
    EXPECT_EQ(only.bounding.names(), (Strings{"CAP_NET_RAW"}));
    EXPECT_EQ(only.effective.names(), (Strings{"CAP_NET_RAW"}));

    EXPECT_TRUE(process_capabilities(with({}, {"ALL"}), true, last).bounding.empty());

    auto all_but = process_capabilities(with({"ALL"}, {"CAP_SYS_ADMIN"}), true, last);
    EXPECT_EQ(all_but.bounding.values().size(), 40u);
    EXPECT_FALSE(all_but.bounding.has(21));

    auto privileged = process_capabilities(with({}, {"CAP_CHOWN"}, true), true, last);
    EXPECT_EQ(privileged.bounding.values().size(), 41u);
    EXPECT_EQ(process_capabilities(with({}, {}, true), true, 37).bounding.values().size(), 38u);

    // Another user keeps the set in bounding, and only the added capabilities elsewhere (ambient included).
    auto user = process_capabilities(with({"CAP_NET_BIND_SERVICE"}, {}), false, last);
    EXPECT_EQ(user.bounding.names(), podman_defaults);
    for (auto set : {user.effective, user.permitted, user.inheritable, user.ambient})
        EXPECT_EQ(set.names(), (Strings{"CAP_NET_BIND_SERVICE"}));
    auto plain_user = process_capabilities(RunOptions{}, false, last);
    EXPECT_TRUE(plain_user.effective.empty());
    EXPECT_TRUE(plain_user.ambient.empty());

    EXPECT_NE(error_of([&] {
                  process_capabilities(with({"ALL"}, {"ALL"}), true, last);
              }).find("adding all caps and removing all caps not allowed"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  process_capabilities(with({"CAP_KILL"}, {"CAP_KILL"}), true, last);
              }).find("capability \"CAP_KILL\" cannot be dropped and added"),
              std::string::npos);
}

// ---- the spec ----

class RuntimeSpecTest : public ::testing::Test {
protected:
    void SetUp() override {
        const char* tmp = std::getenv("TMPDIR");
        dir_ = std::make_unique<TempDir>(tmp ? tmp : "/tmp", "berth-spec-test-");
        rootfs_ = dir_->path() + "/rootfs";
        make_directories(rootfs_ + "/etc");
        write_file_atomic(rootfs_ + "/etc/passwd",
                          "root:x:0:0:root:/root:/bin/sh\n"
                          "app:x:1000:1000:app:/home/app:/bin/sh\n"
                          "big:x:70000:70000::/home/big:/bin/sh\n");
        write_file_atomic(rootfs_ + "/etc/group",
                          "root:x:0:\nwheel:x:10:root\ntty:x:5:\napp:x:1000:\nstaff:x:50:app\nhuge:x:80000:app\n");
        context_.container_id = "f00dfeedbeef0123456789abcdef0123456789abcdef0123456789abcdef0123";
        context_.rootfs = rootfs_;
        context_.last_capability = 40;
    }

    // Rootless: the user 1000's own id as root, then 65536 subordinate ids.
    void make_rootless(uint64_t subordinate = 65536) {
        context_.rootless = true;
        context_.host_uid = 1000;
        context_.host_gid = 1000;
        context_.uid_mappings = {{0, 1000, 1}};
        context_.gid_mappings = {{0, 1000, 1}};
        if (subordinate) {
            context_.uid_mappings.push_back({1, 100000, subordinate});
            context_.gid_mappings.push_back({1, 100000, subordinate});
        }
    }

    json build(const RunOptions& options, json config = image({{"Cmd", {"/bin/sh"}}})) {
        return build_runtime_spec(config, options, context_);
    }

    static const json* mount_at(const json& spec, const std::string& destination) {
        for (const auto& mount : spec["mounts"])
            if (mount["destination"] == destination) return &mount;
        return nullptr;
    }

    static Strings destinations(const json& spec) {
        Strings out;
        for (const auto& mount : spec["mounts"]) out.push_back(mount["destination"]);
        return out;
    }

    static Strings namespaces(const json& spec) {
        Strings out;
        for (const auto& ns : spec["linux"]["namespaces"]) out.push_back(ns["type"]);
        return out;
    }

    std::unique_ptr<TempDir> dir_;
    std::string rootfs_;
    SpecContext context_;
};

TEST_F(RuntimeSpecTest, RootDefaultsAsPodman) {
    json spec = build(RunOptions{});
    EXPECT_EQ(spec["ociVersion"], "1.0.2-dev");
    EXPECT_EQ(spec["hostname"], "f00dfeedbeef");
    EXPECT_EQ(spec["root"], (json{{"path", rootfs_}, {"readonly", false}}));
    const json& process = spec["process"];
    EXPECT_EQ(process["terminal"], false);
    EXPECT_EQ(process["args"], (json{"/bin/sh"}));
    EXPECT_EQ(process["cwd"], "/");
    EXPECT_EQ(process["user"], (json{{"uid", 0}, {"gid", 0}, {"umask", 18}, {"additionalGids", {0, 10}}}));
    EXPECT_EQ(process["env"], (json{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                    "container=berth", "HOSTNAME=f00dfeedbeef", "HOME=/root"}));
    EXPECT_EQ(process["capabilities"]["bounding"], json(podman_defaults));
    EXPECT_EQ(process["capabilities"]["ambient"], json::array());
    EXPECT_EQ(process["rlimits"], (json{{{"type", "RLIMIT_NOFILE"}, {"soft", 1048576}, {"hard", 1048576}},
                                        {{"type", "RLIMIT_NPROC"}, {"soft", 1048576}, {"hard", 1048576}}}));
    EXPECT_EQ(process["noNewPrivileges"], false);
    EXPECT_FALSE(process.contains("oomScoreAdj"));
    EXPECT_EQ(destinations(spec),
              (Strings{"/proc", "/dev", "/sys", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys/fs/cgroup"}));
    EXPECT_EQ((*mount_at(spec, "/dev/pts"))["options"],
              (json{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    EXPECT_EQ((*mount_at(spec, "/sys"))["options"], (json{"nosuid", "noexec", "nodev", "ro"}));
    EXPECT_EQ(namespaces(spec), (Strings{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
    EXPECT_EQ(spec["linux"]["maskedPaths"], json(default_masked_paths()));
    EXPECT_EQ(spec["linux"]["readonlyPaths"], json(default_readonly_paths()));
    EXPECT_EQ(spec["linux"]["resources"], (json{{"devices", {{{"allow", false}, {"access", "rwm"}}}}}));
    EXPECT_FALSE(spec["linux"].contains("uidMappings"));
    EXPECT_FALSE(spec["linux"].contains("seccomp"));
    EXPECT_EQ(spec["annotations"],
              (json{{"io.container.manager", "berth"}, {"org.opencontainers.image.stopSignal", "15"}}));
}

TEST_F(RuntimeSpecTest, RootThatCannotRaiseLimitsKeepsItsOwn) {
    context_.can_raise_limits = false;
    context_.nofile_hard_limit = 4096;
    context_.nproc_hard_limit = 2000000;
    json spec = build(RunOptions{});
    EXPECT_EQ(spec["process"]["rlimits"], (json{{{"type", "RLIMIT_NOFILE"}, {"soft", 4096}, {"hard", 4096}},
                                                {{"type", "RLIMIT_NPROC"}, {"soft", 1048576}, {"hard", 1048576}}}));
}

TEST_F(RuntimeSpecTest, EnvMergeOrder) {
    json config = image({{"Cmd", {"/bin/sh"}},
                         {"Env", {"PATH=/image/bin", "FROM_IMAGE=1", "OVERRIDDEN=image", "HOME=/image-home", "BAD"}}});
    RunOptions options;
    options.tty = true;
    options.env = {{"OVERRIDDEN", "flag"}, {"container", "mine"}, {"NEW", "x=y"}};
    json spec = build(options, config);
    EXPECT_EQ(spec["process"]["env"], (json{"PATH=/image/bin", "container=mine", "FROM_IMAGE=1", "OVERRIDDEN=flag",
                                            "HOME=/image-home", "TERM=xterm", "NEW=x=y", "HOSTNAME=f00dfeedbeef"}));
    EXPECT_EQ(spec["process"]["terminal"], true);

    options.env = {{"TERM", "dumb"}, {"HOSTNAME", "mine"}};
    options.hostname = "web";
    spec = build(options);
    EXPECT_EQ(spec["process"]["env"], (json{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                            "container=berth", "TERM=dumb", "HOSTNAME=mine", "HOME=/root"}));
    EXPECT_EQ(spec["hostname"], "web");
}

TEST_F(RuntimeSpecTest, UserByNameAndByNumber) {
    struct Case {
        const char* user;        // -u
        const char* image_user;  // the image's User
        uint32_t uid, gid;
        std::vector<uint32_t> gids;
        const char* home;
    };
    const Case cases[] = {
        {"", "", 0, 0, {0, 10}, "/root"},
        {"", "app", 1000, 1000, {1000, 50, 80000}, "/home/app"},
        {"app", "", 1000, 1000, {1000, 50, 80000}, "/home/app"},
        {"1000", "root", 1000, 1000, {1000, 50, 80000}, "/home/app"},
        {"app:wheel", "", 1000, 10, {10}, "/home/app"},
        {"4321", "", 4321, 0, {0}, "/"},
        {"4321:4321", "app", 4321, 4321, {4321}, "/"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.user) + " / " + c.image_user);
        RunOptions options;
        options.user = c.user;
        json spec = build(options, image({{"Cmd", {"/bin/sh"}}, {"User", c.image_user}}));
        EXPECT_EQ(spec["process"]["user"]["uid"], c.uid);
        EXPECT_EQ(spec["process"]["user"]["gid"], c.gid);
        EXPECT_EQ(spec["process"]["user"]["additionalGids"], json(c.gids));
        EXPECT_EQ(spec["process"]["env"].back(), std::string("HOME=") + c.home);
    }
    RunOptions options;
    options.user = "app";
    options.group_add = {"wheel", "77"};
    EXPECT_EQ(build(options)["process"]["user"]["additionalGids"], (json{1000, 50, 80000, 10, 77}));
    options.user = "nobody";
    EXPECT_EQ(error_of([&] { build(options); }), "unable to find user nobody: no matching entries in passwd file");
}

TEST_F(RuntimeSpecTest, RootlessMappingsAndUserChecks) {
    make_rootless();
    context_.nofile_hard_limit = 4096;
    context_.nproc_hard_limit = rlimit_unlimited;
    RunOptions options;
    options.user = "app";
    json spec = build(options);
    EXPECT_EQ(namespaces(spec), (Strings{"pid", "network", "ipc", "uts", "mount", "cgroup", "user"}));
    EXPECT_EQ(spec["linux"]["uidMappings"], (json{{{"containerID", 0}, {"hostID", 1000}, {"size", 1}},
                                                  {{"containerID", 1}, {"hostID", 100000}, {"size", 65536}}}));
    EXPECT_EQ(spec["linux"]["gidMappings"], spec["linux"]["uidMappings"]);
    EXPECT_FALSE(spec["linux"].contains("resources"));  // no device cgroup rules in a user namespace
    // gid 80000 is not mapped: skipped with a warning, as Podman does.
    EXPECT_EQ(spec["process"]["user"]["additionalGids"], (json{1000, 50}));
    EXPECT_EQ(spec["process"]["rlimits"], (json{{{"type", "RLIMIT_NOFILE"}, {"soft", 4096}, {"hard", 4096}},
                                                {{"type", "RLIMIT_NPROC"}, {"soft", 1048576}, {"hard", 1048576}}}));
    EXPECT_EQ(spec["process"]["capabilities"]["effective"], json::array());
    EXPECT_EQ((*mount_at(spec, "/dev/pts"))["options"].back(), "gid=5");

    options.user = "big";
    EXPECT_EQ(error_of([&] { build(options); }),
              "user \"big\": uid 70000 is not mapped in the container's user namespace (uids 0-0, 1-65536 are)");

    // Without subordinate ids only root exists, and gid 5 is not there for devpts.
    make_rootless(0);
    options.user = "";
    spec = build(options);
    EXPECT_EQ(spec["linux"]["uidMappings"], (json{{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}}));
    EXPECT_EQ((*mount_at(spec, "/dev/pts"))["options"],
              (json{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
    EXPECT_EQ(spec["process"]["user"]["additionalGids"], (json{0}));

    context_.uid_mappings.clear();
    EXPECT_EQ(error_of([&] { build(options); }),
              "building the container's spec: a rootless container needs uid and gid mappings");
}

TEST_F(RuntimeSpecTest, UsernsModes) {
    RunOptions options;
    options.userns = UsernsMode::keep_id;
    EXPECT_EQ(error_of([&] { build(options); }), "--userns keep-id is only supported in rootless mode");
    options.userns = UsernsMode::nomap;
    EXPECT_EQ(error_of([&] { build(options); }), "--userns nomap is only supported in rootless mode");

    make_rootless();
    options.userns = UsernsMode::keep_id;
    json spec = build(options);
    EXPECT_EQ(spec["linux"]["uidMappings"], (json{{{"containerID", 0}, {"hostID", 100000}, {"size", 1000}},
                                                  {{"containerID", 1000}, {"hostID", 1000}, {"size", 1}},
                                                  {{"containerID", 1001}, {"hostID", 101000}, {"size", 64536}}}));
    EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
    EXPECT_EQ(spec["process"]["user"]["gid"], 1000);
    EXPECT_EQ(spec["process"]["env"].back(), "HOME=/home/app");
    EXPECT_EQ(spec["process"]["capabilities"]["effective"], json::array());

    options.userns = UsernsMode::nomap;
    spec = build(options);
    EXPECT_EQ(spec["linux"]["uidMappings"], (json{{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}}));
    EXPECT_EQ(spec["process"]["user"]["uid"], 0);

    options.userns = UsernsMode::host;  // rootless: the user's own namespace, i.e. the default mapping
    EXPECT_EQ(build(options)["linux"]["uidMappings"].size(), 2u);

    make_rootless(0);
    options.userns = UsernsMode::nomap;
    EXPECT_EQ(error_of([&] { build(options); }),
              "--userns nomap: there are no subordinate ids to map (see /etc/subuid and /etc/subgid)");
}

TEST_F(RuntimeSpecTest, MaskedPathsWithPrivilegedMaskAndUnmask) {
    struct Case {
        const char* name;
        bool privileged;
        Strings mask, unmask;
        Strings masked, readonly;
    };
    Strings default_masked = default_masked_paths();
    Strings default_readonly = default_readonly_paths();
    Strings masked_without_proc;
    for (const auto& path : default_masked)
        if (path.rfind("/proc/", 0) != 0) masked_without_proc.push_back(path);
    Strings masked_with_version = default_masked;
    masked_with_version.push_back("/proc/version");
    Strings readonly_without_sys = default_readonly;
    std::erase(readonly_without_sys, "/proc/sys");
    const Case cases[] = {
        {"defaults", false, {}, {}, default_masked, default_readonly},
        {"privileged clears them", true, {}, {}, {}, {}},
        {"privileged keeps explicit masks", true, {"/proc/version"}, {}, {"/proc/version"}, {}},
        {"mask adds", false, {"/proc/version"}, {}, masked_with_version, default_readonly},
        {"unmask ALL", false, {}, {"ALL"}, {}, {}},
        {"unmask glob", false, {}, {"/proc/*"}, masked_without_proc, {}},
        {"unmask one", false, {}, {"/proc/sys"}, default_masked, readonly_without_sys},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        RunOptions options;
        options.privileged = c.privileged;
        options.mask = c.mask;
        options.unmask = c.unmask;
        json spec = build(options);
        EXPECT_EQ(spec["linux"]["maskedPaths"], json(c.masked));
        EXPECT_EQ(spec["linux"]["readonlyPaths"], json(c.readonly));
    }
    RunOptions privileged;
    privileged.privileged = true;
    json spec = build(privileged);
    EXPECT_EQ((*mount_at(spec, "/sys"))["options"], (json{"rprivate", "nosuid", "noexec", "nodev", "rw"}));
    EXPECT_EQ((*mount_at(spec, "/sys/fs/cgroup"))["options"].back(), "rw");
    EXPECT_EQ(spec["process"]["capabilities"]["bounding"].size(), 41u);
    EXPECT_EQ(spec["annotations"]["io.berth.annotations.privileged"], "TRUE");
}

TEST_F(RuntimeSpecTest, ReadOnlyRootWithTmpfs) {
    RunOptions options;
    options.read_only = true;
    json spec = build(options);
    EXPECT_EQ(spec["root"]["readonly"], true);
    for (const char* path : {"/tmp", "/var/tmp", "/run"}) {
        const json* mount = mount_at(spec, path);
        ASSERT_NE(mount, nullptr) << path;
        EXPECT_EQ((*mount)["type"], "tmpfs");
        EXPECT_EQ((*mount)["options"], (json{"rw", "rprivate", "nosuid", "nodev"}));
    }
    EXPECT_EQ((*mount_at(spec, "/dev"))["options"], (json{"nosuid", "strictatime", "mode=755", "size=65536k"}));

    // A --tmpfs of the user's replaces the one --read-only would add.
    options.mounts = {parse_tmpfs("/tmp:size=1m")};
    spec = build(options);
    EXPECT_EQ((*mount_at(spec, "/tmp"))["options"], (json{"size=1m", "rprivate"}));
    Strings all = destinations(spec);
    EXPECT_EQ(std::count(all.begin(), all.end(), "/tmp"), 1);

    options.read_only_tmpfs = false;
    options.mounts.clear();
    spec = build(options);
    EXPECT_EQ(mount_at(spec, "/tmp"), nullptr);
    EXPECT_EQ((*mount_at(spec, "/dev"))["options"].back(), "ro");
}

TEST_F(RuntimeSpecTest, UserMountsSupersedeAndSortAfterParents) {
    std::string data = dir_->path() + "/data";
    make_directories(data);
    RunOptions options;
    options.mounts = {parse_volume(data + ":/srv/data/inner:ro"), parse_tmpfs("/dev/shm:size=1g"),
                      parse_volume(data + ":/srv/data")};
    context_.etc_files = {{"/etc/hosts", dir_->path() + "/hosts"}, {"/etc/resolv.conf", dir_->path() + "/resolv"}};
    json spec = build(options);
    EXPECT_EQ(destinations(spec),
              (Strings{"/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/etc/hosts", "/etc/resolv.conf", "/dev/shm",
                       "/srv/data", "/sys/fs/cgroup", "/srv/data/inner"}));
    EXPECT_EQ(*mount_at(spec, "/dev/shm"), (json{{"destination", "/dev/shm"},
                                                 {"type", "tmpfs"},
                                                 {"source", "tmpfs"},
                                                 {"options", {"size=1g", "rprivate"}}}));
    EXPECT_EQ(*mount_at(spec, "/etc/hosts"), (json{{"destination", "/etc/hosts"},
                                                   {"type", "bind"},
                                                   {"source", dir_->path() + "/hosts"},
                                                   {"options", {"bind", "rprivate"}}}));
    EXPECT_EQ((*mount_at(spec, "/srv/data/inner"))["options"], (json{"ro", "rprivate", "rbind"}));

    // A /dev of the user's replaces everything below /dev.
    options.mounts = {parse_tmpfs("/dev")};
    spec = build(options);
    EXPECT_EQ(mount_at(spec, "/dev/pts"), nullptr);
    EXPECT_EQ(mount_at(spec, "/dev/shm"), nullptr);

    options.mounts = {parse_volume(data + ":/x"), parse_tmpfs("/x/")};
    EXPECT_EQ(error_of([&] { build(options); }), "/x: duplicate mount destination");
    options.mounts = {parse_volume(dir_->path() + "/missing:/x")};
    EXPECT_EQ(error_of([&] { build(options); }),
              "bind mount source " + dir_->path() + "/missing: No such file or directory");
}

TEST_F(RuntimeSpecTest, HostNamespacesAndRootlessSysfs) {
    RunOptions options;
    options.pid_host = options.ipc_host = options.uts_host = true;
    options.network = "host";
    context_.host_hostname = "the-host";
    json spec = build(options);
    EXPECT_EQ(namespaces(spec), (Strings{"mount", "cgroup"}));
    EXPECT_FALSE(spec.contains("hostname"));
    EXPECT_EQ(spec["process"]["env"][2], "HOSTNAME=the-host");
    EXPECT_FALSE(spec["linux"].contains("sysctl"));
    EXPECT_EQ((*mount_at(spec, "/proc"))["type"], "proc");  // as root the host's pid namespace gets a new proc

    options.hostname = "x";
    EXPECT_EQ(error_of([&] { build(options); }), "cannot set hostname when running in the host UTS namespace");
    options.hostname.clear();

    make_rootless();
    spec = build(options);
    EXPECT_EQ(namespaces(spec), (Strings{"mount", "cgroup", "user"}));
    EXPECT_EQ(*mount_at(spec, "/sys"), (json{{"destination", "/sys"},
                                             {"type", "bind"},
                                             {"source", "/sys"},
                                             {"options", {"rprivate", "nosuid", "noexec", "nodev", "ro", "rbind"}}}));
    EXPECT_EQ((*mount_at(spec, "/sys/fs/cgroup"))["source"], "/sys/fs/cgroup");
    EXPECT_EQ((*mount_at(spec, "/proc"))["type"], "bind");
    EXPECT_EQ((*mount_at(spec, "/dev/mqueue"))["type"], "bind");
    EXPECT_EQ(spec["linux"]["maskedPaths"].back(), "/sys/kernel");

    options.hostname = "bad/name";
    options.uts_host = false;
    EXPECT_EQ(error_of([&] { build(options); }),
              "invalid hostname \"bad/name\": only letters, digits, '-', '.' and '_' allowed");
}

TEST_F(RuntimeSpecTest, ResourcesRlimitsAndAnnotations) {
    RunOptions options;
    options.memory = 32 << 20;
    options.cpus = 1.5;
    options.pids_limit = 100;
    options.ulimits = {parse_ulimit("nofile=1024:2048"), parse_ulimit("core=-1")};
    options.no_new_privileges = true;
    options.rm = true;
    options.annotations = {{"io.example/x", "1"}};
    options.labels = {{"label", "not in the spec"}};
    json spec = build(options, image({{"Cmd", {"/bin/sh"}}, {"StopSignal", "SIGINT"}}));
    EXPECT_EQ(spec["linux"]["resources"]["memory"], (json{{"limit", 32 << 20}}));
    EXPECT_EQ(spec["linux"]["resources"]["cpu"], (json{{"quota", 150000}, {"period", 100000}}));
    EXPECT_EQ(spec["linux"]["resources"]["pids"], (json{{"limit", 100}}));
    EXPECT_EQ(spec["process"]["rlimits"],
              (json{{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 2048}},
                    {{"type", "RLIMIT_NPROC"}, {"soft", 1048576}, {"hard", 1048576}},
                    {{"type", "RLIMIT_CORE"}, {"soft", rlimit_unlimited}, {"hard", rlimit_unlimited}}}));
    EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
    EXPECT_EQ(spec["annotations"], (json{{"io.example/x", "1"},
                                         {"io.container.manager", "berth"},
                                         {"org.opencontainers.image.stopSignal", "2"},
                                         {"io.berth.annotations.autoremove", "TRUE"}}));

    options = {};
    options.pids_limit = -1;
    context_.default_pids_limit = 2048;
    EXPECT_FALSE(build(options)["linux"]["resources"].contains("pids"));
    options.pids_limit.reset();
    EXPECT_EQ(build(options)["linux"]["resources"]["pids"]["limit"], 2048);

    // Rootless: a hard limit above the caller's cannot be had; it is lowered.
    make_rootless();
    context_.nofile_hard_limit = 4096;
    options.ulimits = {parse_ulimit("nofile=10000:20000")};
    EXPECT_EQ(build(options)["process"]["rlimits"][0],
              (json{{"type", "RLIMIT_NOFILE"}, {"soft", 4096}, {"hard", 4096}}));
}

TEST_F(RuntimeSpecTest, WorkdirInitAndCommand) {
    json config = image({{"Entrypoint", {"/entry"}}, {"Cmd", {"x"}}, {"WorkingDir", "/srv/app/"}});
    RunOptions options;
    EXPECT_EQ(build(options, config)["process"]["cwd"], "/srv/app");
    options.workdir = "/data";
    EXPECT_EQ(build(options, config)["process"]["cwd"], "/data");
    options.workdir = "relative";
    EXPECT_EQ(error_of([&] { build(options, config); }), "invalid --workdir \"relative\": must be an absolute path");
    EXPECT_EQ(build(RunOptions{}, image({{"Cmd", {"x"}}, {"WorkingDir", "app"}}))["process"]["cwd"], "/app");

    options = {};
    options.init = true;
    EXPECT_EQ(error_of([&] { build(options, config); }),
              "--init: no init binary found on the host (install catatonit or tini)");
    context_.init_binary = "/usr/bin/catatonit";
    json spec = build(options, config);
    EXPECT_EQ(spec["process"]["args"], (json{container_init_path, "--", "/entry", "x"}));
    EXPECT_EQ(*mount_at(spec, container_init_path), (json{{"destination", container_init_path},
                                                          {"type", "bind"},
                                                          {"source", "/usr/bin/catatonit"},
                                                          {"options", {"bind", "ro"}}}));
    EXPECT_EQ(spec["annotations"]["io.berth.annotations.init"], "TRUE");
}

}  // namespace
}  // namespace berth::engine
