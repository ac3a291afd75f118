// berth login and berth logout.
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.hpp"
#include "cli/registry_options.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "registry/auth_file.hpp"
#include "registry/client.hpp"

namespace berth::cli {
namespace {

struct LoginOptions {
    std::string registry;
    std::string username;
    std::string password;
    bool password_stdin = false;
    bool get_login = false;
    std::string authfile;
    std::string tls_verify = "true";
};

struct LogoutOptions {
    std::string registry;
    std::string authfile;
    bool all = false;
};

// What the signal handlers below restore: the terminal settings from before echo was turned off.
termios saved_terminal{};
int terminal_fd = -1;

void restore_terminal_and_die(int signal_number) {
    ::tcsetattr(terminal_fd, TCSANOW, &saved_terminal);
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

// Turns off echo on a terminal while the object lives (the newline is still echoed), also when the process is
// interrupted meanwhile.
class EchoOff {
public:
    explicit EchoOff(int fd) {
        if (::tcgetattr(fd, &saved_terminal) != 0) throw_last_errno("read the terminal settings");
        terminal_fd = fd;
        struct sigaction action {};
        action.sa_handler = restore_terminal_and_die;
        sigemptyset(&action.sa_mask);
        for (size_t i = 0; i < std::size(signals_); ++i) ::sigaction(signals_[i], &action, &previous_[i]);
        termios quiet = saved_terminal;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        if (::tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
            int err = errno;
            restore_signals();
            throw_errno("turn off echo on the terminal", err);
        }
    }
    ~EchoOff() {
        ::tcsetattr(terminal_fd, TCSANOW, &saved_terminal);
        restore_signals();
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    void restore_signals() {
        for (size_t i = 0; i < std::size(signals_); ++i) ::sigaction(signals_[i], &previous_[i], nullptr);
    }

    static constexpr int signals_[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
    struct sigaction previous_[std::size(signals_)]{};
};

// Asks on the terminal for one line; without echo when secret.
std::string ask(const std::string& prompt, bool secret) {
    std::unique_ptr<EchoOff> echo_off;  // before the prompt, so that nothing typed after it is echoed
    if (secret) echo_off = std::make_unique<EchoOff>(STDIN_FILENO);
    std::fputs(prompt.c_str(), stdout);
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line))
        throw Error("reading " + std::string(secret ? "password" : "username") + ": end of input");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// The password given on stdin: all its lines, joined without their line ends (as Podman reads it).
std::string read_password_from_stdin() {
    std::string password, line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        password += line;
    }
    return password;
}

std::string login_context(const std::string& key) { return "logging into \"" + key + "\""; }

// Asks the registry whether it accepts the credentials (GET /v2/ with its authentication flow).
void check_credentials(const std::string& key, const registry::Credentials& credentials, bool tls_verify) {
    registry::ClientOptions options;
    options.tls_verify = tls_verify;
    options.plain_http = !tls_verify;
    options.credentials = credentials;
    registry::RegistryClient client(registry::auth_key_registry(key), "", options);
    client.check_access();
}

// Fills in the username and password that the options leave out, from the terminal.
registry::Credentials complete_credentials(const LoginOptions& options, const std::string& key,
                                           const std::string& stored_username) {
    registry::Credentials credentials{options.username, options.password};
    bool terminal = ::isatty(STDIN_FILENO) == 1;
    if (credentials.username.empty()) {
        if (!terminal)
            throw Error(login_context(key) + ": no --username given, and stdin is not a terminal to ask for one");
        credentials.username = std::string(
            trim(ask(stored_username.empty() ? "Username: " : "Username (" + stored_username + "): ", false)));
        if (credentials.username.empty()) credentials.username = stored_username;
        if (credentials.username.empty()) throw Error(login_context(key) + ": a username is required");
    }
    if (credentials.password.empty()) {
        if (!terminal)
            throw Error(login_context(key) +
                        ": no --password or --password-stdin given, and stdin is not a terminal to ask for one");
        credentials.password = ask("Password: ", true);
    }
    if (credentials.username.find(':') != std::string::npos)
        throw Error(login_context(key) + ": invalid username \"" + credentials.username + "\": it contains ':'");
    if (credentials.password.empty()) throw Error(login_context(key) + ": the password is empty");
    return credentials;
}

int run_login(LoginOptions options) {
    std::string key = registry::auth_key(options.registry);
    bool tls_verify = parse_bool_flag("tls-verify", options.tls_verify);
    auto env = registry::AuthEnvironment::from_process();
    auto find_stored = [&] {
        return registry::find_credentials(registry::auth_files_for_reading(env, options.authfile), key);
    };
    if (options.get_login) {
        auto stored = find_stored();
        if (!stored) throw Error("not logged into " + key);
        std::printf("%s\n", stored->credentials.username.c_str());
        return 0;
    }
    if (options.password_stdin) {
        if (!options.password.empty()) throw Error("can't specify both --password-stdin and --password");
        if (options.username.empty()) throw Error("must provide --username with --password-stdin");
        options.password = read_password_from_stdin();
        if (options.password.empty()) throw Error(login_context(key) + ": no password on stdin");
    }
    std::string file = registry::auth_file_for_writing(env, options.authfile);

    // Only a login that leaves something out looks at what is stored (so that a broken file elsewhere, such as
    // ~/.docker/config.json, does not stand in the way of a complete one).
    std::optional<registry::StoredCredentials> stored;
    if (options.username.empty() || options.password.empty()) stored = find_stored();
    if (options.username.empty() && options.password.empty() && stored) {
        std::printf("Authenticating with existing credentials for %s\n", key.c_str());
        std::fflush(stdout);
        try {
            check_credentials(key, stored->credentials, tls_verify);
            std::printf("Existing credentials are valid. Already logged in to %s\n",
                        registry::auth_key_registry(key).c_str());
            return 0;
        } catch (const Error&) {
            std::printf("Existing credentials are invalid, please enter valid username and password\n");
            std::fflush(stdout);
        }
    }
    auto credentials = complete_credentials(options, key, stored ? stored->credentials.username : std::string());
    try {
        check_credentials(key, credentials, tls_verify);
    } catch (const Error& error) {
        throw Error(login_context(key) + ": " + error.what(), error.exit_status());
    }
    registry::update_auth_file(file, [&](registry::AuthFile& auth) {
        auth.set(key, credentials);
        return true;
    });
    std::printf("Login Succeeded!\n");
    return 0;
}

int run_logout(const LogoutOptions& options) {
    if (options.all && !options.registry.empty()) throw Error("--all takes no arguments");
    if (!options.all && options.registry.empty())
        throw Error("missing REGISTRY: name the registry to log out of, or use --all");
    auto env = registry::AuthEnvironment::from_process();
    std::string file = registry::auth_file_for_writing(env, options.authfile);
    if (options.all) {
        if (path_exists(file)) {
            registry::update_auth_file(file, [](registry::AuthFile& auth) {
                if (auth.keys().empty()) return false;
                auth.clear();
                return true;
            });
        }
        std::printf("Removed login credentials for all registries\n");
        return 0;
    }
    std::string key = registry::auth_key(options.registry);
    bool removed = false;
    if (path_exists(file)) {
        registry::update_auth_file(file, [&](registry::AuthFile& auth) {
            removed = auth.remove(key);
            return removed;
        });
    }
    if (!removed) {
        auto elsewhere = registry::find_credentials(registry::auth_files_for_reading(env, options.authfile), key);
        if (elsewhere && elsewhere->file != file)
            throw Error("not logged into " + key + " in " + file + " (" + elsewhere->file +
                        " holds credentials for it, left as they are)");
        throw Error("not logged into " + key);
    }
    std::printf("Removed login credentials for %s\n", key.c_str());
    return 0;
}

}  // namespace

void add_login_commands(CommandTree& tree) {
    auto login_options = std::make_shared<LoginOptions>();
    CommandHelp login_help{
        "[options] REGISTRY",
        "Log in to a registry: check the credentials with the registry (its version endpoint, /v2/, with\n"
        "Basic or Bearer token authentication) and, when it accepts them, store them for berth pull.\n"
        "REGISTRY is host[:port], or host[:port]/repository for credentials used only for that part of the\n"
        "registry; the most specific stored key wins.\n"
        "\n"
        "Credentials are written to --authfile, else $REGISTRY_AUTH_FILE, else\n"
        "$XDG_RUNTIME_DIR/containers/auth.json (/run/containers/0/auth.json for root without\n"
        "XDG_RUNTIME_DIR, ~/.config/containers/auth.json for other users without it), in Podman's auth.json\n"
        "format, mode 0600. Lookups read --authfile or $REGISTRY_AUTH_FILE alone when one is given, else that\n"
        "default file, then ~/.config/containers/auth.json, then ~/.docker/config.json.\n"
        "\n"
        "Without --username or --password, credentials already stored are checked first; what is still\n"
        "missing is asked for on the terminal (the password without echo).",
        {"berth login -u alice quay.io", "printf '%s' \"$TOKEN\" | berth login -u alice --password-stdin quay.io",
         "berth login --tls-verify=false -u alice -p s3cret localhost:5000", "berth login --get-login quay.io"},
        ValueKind::none};
    auto& login = tree.add_command(tree.root(), "login", "Log in to a container registry", std::move(login_help),
                                   [login_options] { return run_login(*login_options); });
    login.add_option("registry", login_options->registry, "Registry (host[:port] or host[:port]/repository)")
        ->required();
    login.add_option("-u,--username", login_options->username, "Username for the registry");
    login.add_option("-p,--password", login_options->password, "Password for the registry");
    login.add_flag("--password-stdin", login_options->password_stdin, "Read the password from stdin");
    login.add_flag("--get-login", login_options->get_login, "Print the username stored for the registry");
    add_authfile_option(tree, login, login_options->authfile);
    add_tls_verify_option(tree, login, login_options->tls_verify);

    auto logout_options = std::make_shared<LogoutOptions>();
    CommandHelp logout_help{
        "[options] REGISTRY",
        "Remove the credentials that berth login stored for a registry (or a repository in it) from the\n"
        "auth file (--authfile, else $REGISTRY_AUTH_FILE, else the default file; see berth-login(1)).\n"
        "The other files that lookups read, such as ~/.docker/config.json, are left alone.",
        {"berth logout quay.io", "berth logout --all"},
        ValueKind::none};
    auto& logout = tree.add_command(tree.root(), "logout", "Log out of a container registry", std::move(logout_help),
                                    [logout_options] { return run_logout(*logout_options); });
    logout.add_option("registry", logout_options->registry, "Registry (host[:port] or host[:port]/repository)");
    add_authfile_option(tree, logout, logout_options->authfile);
    logout.add_flag("-a,--all", logout_options->all, "Remove the credentials of all registries");
}

}  // namespace berth::cli
