// tests/control/management_server_test.cc — pins control/api/management_server.cc over a real Unix
// socket in a temporary directory: exact answers, malformed and oversized requests, unknown commands,
// silent clients dropped on a hand-moved clock, poll() that never blocks, and the socket file's life.
#include "control/api/management_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace sipedge::control {
namespace {

using nlohmann::json;

bool file_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A blocking client socket; sends happen before the server polls, reads after.
int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Everything readable until the server closes; only called once the server has answered and
// closed, so every read returns at once. "<open>" if the connection is still open.
std::string read_closed(int fd) {
  std::string out;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1) return out + "<open>";
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

class ManagementServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sipedge-mgmt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    path = dir + "/api.sock";
    server.set_handler(
        [this](const std::string& cmd, const json& request) -> json {
          ++handled;
          last_request = request;
          if (cmd == "boom") throw std::runtime_error("no state to show");
          return {{"pong", true}, {"cmd", cmd}};
        },
        {"ping", "boom"});
  }
  void TearDown() override {
    server.close();
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }

  // Polls until `want` answers were given, at most `rounds` times, a millisecond apart (new
  // connections are looked for once a millisecond).
  unsigned poll_until(unsigned want, int rounds = 50) {
    unsigned total = 0;
    for (int i = 0; i < rounds && total < want; ++i) {
      clock.advance(1);
      total += server.poll();
    }
    return total;
  }

  // One request on a fresh connection; the server's exact reply bytes.
  std::string exchange(std::string_view request) {
    const size_t before = server.connection_count();
    const int fd = connect_to(path);
    EXPECT_GE(fd, 0);
    send_all(fd, request);
    EXPECT_EQ(poll_until(1), 1u);
    const std::string reply = read_closed(fd);
    ::close(fd);
    EXPECT_EQ(server.connection_count(), before);
    return reply;
  }

  ManualClock clock;
  ManagementServer server{clock};
  std::string dir, path;
  int handled = 0;
  json last_request;
};

TEST_F(ManagementServerTest, OpenCreatesAGroupOnlySocketAndCloseRemovesIt) {
  ASSERT_TRUE(server.open(path)) << server.error();
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_TRUE(server.is_open());
  server.close();
  EXPECT_FALSE(file_exists(path));
  EXPECT_FALSE(server.is_open());
  EXPECT_EQ(server.poll(), 0u);
  server.close();  // idempotent
}

TEST_F(ManagementServerTest, PingReachesTheHandlerAndTheAnswerIsOneJsonLine) {
  ASSERT_TRUE(server.open(path)) << server.error();
  EXPECT_EQ(exchange("{\"cmd\":\"ping\",\"verbose\":true}\n"), "{\"cmd\":\"ping\",\"pong\":true}\n");
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(last_request, json({{"cmd", "ping"}, {"verbose", true}}));
}

TEST_F(ManagementServerTest, RequestWithoutNewlineIsAnsweredWhenTheClientShutsDownItsSide) {
  ASSERT_TRUE(server.open(path)) << server.error();
  const int fd = connect_to(path);
  ASSERT_GE(fd, 0);
  send_all(fd, "{\"cmd\":\"ping\"}\r");
  ::shutdown(fd, SHUT_WR);
  EXPECT_EQ(poll_until(1), 1u);
  EXPECT_EQ(read_closed(fd), "{\"cmd\":\"ping\",\"pong\":true}\n");
  ::close(fd);
}

TEST_F(ManagementServerTest, RequestArrivingInPiecesIsAnsweredOnceComplete) {
  ASSERT_TRUE(server.open(path)) << server.error();
  const int fd = connect_to(path);
  ASSERT_GE(fd, 0);
  send_all(fd, "{\"cmd\":");
  EXPECT_EQ(poll_until(1, 5), 0u);
  EXPECT_EQ(server.connection_count(), 1u);
  send_all(fd, "\"ping\"}\n");
  EXPECT_EQ(poll_until(1), 1u);
  EXPECT_EQ(read_closed(fd), "{\"cmd\":\"ping\",\"pong\":true}\n");
  ::close(fd);
}

TEST_F(ManagementServerTest, MalformedJsonIsAnErrorAndNeverReachesTheHandler) {
  ASSERT_TRUE(server.open(path)) << server.error();
  const std::string reply = exchange("{cmd: ping}\n");
  const json j = json::parse(reply);
  ASSERT_TRUE(j.contains("error")) << reply;
  EXPECT_EQ(j["error"].get<std::string>().rfind("malformed JSON: parse error at line 1, column 2", 0), 0u) << reply;
  EXPECT_EQ(handled, 0);
}

TEST_F(ManagementServerTest, RequestsWithoutACmdStringAreRefused) {
  ASSERT_TRUE(server.open(path)) << server.error();
  const std::string expected =
      "{\"error\":\"a request is a JSON object with a \\\"cmd\\\" string, e.g. {\\\"cmd\\\":\\\"calls\\\"}\"}\n";
  EXPECT_EQ(exchange("[\"ping\"]\n"), expected);
  EXPECT_EQ(exchange("{\"cmd\":7}\n"), expected);
  EXPECT_EQ(exchange("{}\n"), expected);
  EXPECT_EQ(handled, 0);
}

TEST_F(ManagementServerTest, UnknownCommandListsTheKnownOnes) {
  ASSERT_TRUE(server.open(path)) << server.error();
  EXPECT_EQ(exchange("{\"cmd\":\"reboot\"}\n"),
            "{\"commands\":[\"ping\",\"boom\"],\"error\":\"unknown command 'reboot'\"}\n");
  EXPECT_EQ(handled, 0);
}

TEST_F(ManagementServerTest, HandlerExceptionBecomesAnErrorAnswer) {
  ASSERT_TRUE(server.open(path)) << server.error();
  EXPECT_EQ(exchange("{\"cmd\":\"boom\"}\n"), "{\"error\":\"boom: no state to show\"}\n");
}

TEST_F(ManagementServerTest, InvalidUtf8InAnAnswerIsReplacedNotThrown) {
  server.set_handler([](const std::string&, const json&) -> json { return {{"user_agent", "X\xff"}}; }, {"ping"});
  EXPECT_EQ(server.answer("{\"cmd\":\"ping\"}"), "{\"user_agent\":\"X\xef\xbf\xbd\"}");
}

TEST_F(ManagementServerTest, OversizedRequestIsRefusedWithoutWaitingForItsEnd) {
  ManagementServer small{clock, ManagementServer::Limits{.max_request_bytes = 100}};
  small.set_handler([](const std::string&, const json&) -> json { return {{"ok", true}}; }, {"ping"});
  ASSERT_TRUE(small.open(path)) << small.error();
  const int fd = connect_to(path);
  ASSERT_GE(fd, 0);
  send_all(fd, "{\"cmd\":\"ping\",\"pad\":\"" + std::string(200, 'x'));
  unsigned answered = 0;
  for (int i = 0; i < 50 && answered == 0; ++i) answered += small.poll();
  EXPECT_EQ(answered, 1u);
  EXPECT_EQ(read_closed(fd), "{\"error\":\"request longer than 100 bytes\"}\n");
  EXPECT_EQ(small.oversized(), 1u);
  ::close(fd);
}

TEST_F(ManagementServerTest, SilentClientIsDroppedAfterTheIdleTimeoutAndPollNeverBlocks) {
  ASSERT_TRUE(server.open(path)) << server.error();
  const int silent = connect_to(path);
  ASSERT_GE(silent, 0);
  // Each poll returns at once although the client never sends: 100 polls in a row finish.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(server.poll(), 0u);
  EXPECT_EQ(server.connection_count(), 1u);
  clock.advance(998);
  EXPECT_EQ(server.poll(), 0u);
  EXPECT_EQ(server.connection_count(), 1u);
  // Another client is served meanwhile (its poll a millisecond on: 999 ms of silence so far).
  EXPECT_EQ(exchange("{\"cmd\":\"ping\"}\n"), "{\"cmd\":\"ping\",\"pong\":true}\n");
  EXPECT_EQ(server.connection_count(), 1u);
  clock.advance(1);
  EXPECT_EQ(server.poll(), 0u);
  EXPECT_EQ(server.connection_count(), 0u);
  EXPECT_EQ(server.timeouts(), 1u);
  EXPECT_EQ(read_closed(silent), "");  // closed with nothing said
  ::close(silent);
}

TEST_F(ManagementServerTest, ClientThatLeavesWithoutAskingIsForgotten) {
  ASSERT_TRUE(server.open(path)) << server.error();
  ::close(connect_to(path));
  EXPECT_EQ(server.poll(), 0u);
  EXPECT_EQ(server.connection_count(), 0u);
  EXPECT_EQ(server.timeouts(), 0u);
}

TEST_F(ManagementServerTest, AcceptsAtMostTheLimitPerPollAndServesTheRestLater) {
  ManagementServer limited{clock, ManagementServer::Limits{.max_accepts_per_poll = 2}};
  limited.set_handler([](const std::string&, const json&) -> json { return {{"ok", true}}; }, {"ping"});
  ASSERT_TRUE(limited.open(path)) << limited.error();
  int fds[5];
  for (int& fd : fds) {
    fd = connect_to(path);
    ASSERT_GE(fd, 0);
    send_all(fd, "{\"cmd\":\"ping\"}\n");
  }
  EXPECT_EQ(limited.poll(), 2u);
  EXPECT_EQ(limited.poll(), 0u) << "the same millisecond: no new connection looked for";
  clock.advance(1);
  EXPECT_EQ(limited.poll(), 2u);
  clock.advance(1);
  EXPECT_EQ(limited.poll(), 1u);
  clock.advance(1);
  EXPECT_EQ(limited.poll(), 0u);
  for (int fd : fds) {
    EXPECT_EQ(read_closed(fd), "{\"ok\":true}\n");
    ::close(fd);
  }
}

TEST_F(ManagementServerTest, LargeAnswerToASlowReaderGoesOutOverSeveralPolls) {
  const std::string big(1 << 20, 'a');
  server.set_handler([&](const std::string&, const json&) -> json { return {{"blob", big}}; }, {"ping"});
  ASSERT_TRUE(server.open(path)) << server.error();
  const int fd = connect_to(path);
  ASSERT_GE(fd, 0);
  send_all(fd, "{\"cmd\":\"ping\"}\n");
  EXPECT_EQ(server.poll(), 1u);
  EXPECT_EQ(server.connection_count(), 1u);  // the socket buffer cannot take 1 MiB at once
  std::string got;
  for (int i = 0; i < 10000 && server.connection_count() > 0; ++i) {
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    server.poll();
  }
  EXPECT_EQ(server.connection_count(), 0u);
  got += read_closed(fd);
  EXPECT_EQ(got, "{\"blob\":\"" + big + "\"}\n");
  ::close(fd);
}

TEST_F(ManagementServerTest, StaleSocketFileIsReplacedButALiveServerIsNotStolen) {
  // A socket file nobody listens on, as a crashed gateway leaves it.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  ASSERT_TRUE(file_exists(path));
  ASSERT_TRUE(server.open(path)) << server.error();

  ManagementServer second{clock};
  EXPECT_FALSE(second.open(path));
  EXPECT_EQ(second.error(), "another process is serving '" + path + "'");
  EXPECT_TRUE(file_exists(path));
  EXPECT_EQ(exchange("{\"cmd\":\"ping\"}\n"), "{\"cmd\":\"ping\",\"pong\":true}\n");
}

TEST_F(ManagementServerTest, RefusesToReplaceAFileThatIsNotASocket) {
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_FALSE(server.open(path));
  EXPECT_EQ(server.error(), "'" + path + "' exists and is not a socket");
  EXPECT_TRUE(file_exists(path));
}

TEST_F(ManagementServerTest, TooLongPathIsRefused) {
  const std::string long_path = dir + "/" + std::string(120, 's');
  EXPECT_FALSE(server.open(long_path));
  EXPECT_EQ(server.error(), "management socket path '" + long_path + "' is empty or longer than 107 bytes");
}

}  // namespace
}  // namespace sipedge::control
