// lead_read_load: a bounded fixed-rate HTTP load generator for
// GET /v1/leads/{id} (Debian's wrk has no fixed-rate mode). Open loop:
// request i is due at start + i / rate whether or not earlier ones were
// answered, and its latency is measured from that due time (no coordinated
// omission: a stalled server shows up as latency, not as fewer requests).
// Keep-alive connections, one request in flight on each; a due request with
// no idle connection waits (and its wait counts). One thread, epoll.
//
//   lead_read_load --addr 127.0.0.1:PORT --key KEY [--rate 10000]
//                  [--seconds 10] [--connections 32] [--leads 2000]
//                  [--prefix L-]
// Prints requests due/sent/answered, statuses, the achieved rate and the
// latency percentiles p50/p90/p99/p99.9/max.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Conn {
  int fd = -1;
  bool busy = false;
  int64_t due = 0;  // the due time of the request in flight
  std::string in;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "lead_read_load: %s\n", what.c_str());
  std::exit(2);
}

int Connect(const sockaddr_in& addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die(std::string("socket: ") + std::strerror(errno));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    Die(std::string("connect: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Whether `in` holds one whole response; sets its status and length.
bool Complete(const std::string& in, int* status, size_t* total) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  if (in.size() < 12) return false;
  *status = std::atoi(in.c_str() + 9);
  size_t len = 0;
  for (size_t p = 0; p < end;) {
    size_t nl = in.find("\r\n", p);
    std::string line = in.substr(p, nl - p);
    for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.rfind("content-length:", 0) == 0) len = std::strtoull(line.c_str() + 15, nullptr, 10);
    p = nl + 2;
  }
  *total = end + 4 + len;
  return in.size() >= *total;
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr_s, key, prefix = "L-";
  double rate = 10000, seconds = 10;
  int conns = 32, leads = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--addr")
      addr_s = val();
    else if (a == "--key")
      key = val();
    else if (a == "--rate")
      rate = std::stod(val());
    else if (a == "--seconds")
      seconds = std::stod(val());
    else if (a == "--connections")
      conns = std::stoi(val());
    else if (a == "--leads")
      leads = std::stoi(val());
    else if (a == "--prefix")
      prefix = val();
    else
      Die("unknown option " + a);
  }
  if (addr_s.empty() || key.empty()) Die("usage: --addr HOST:PORT --key KEY [--rate N] ...");
  if (rate <= 0 || seconds <= 0 || seconds > 600 || conns < 1 || leads < 1)
    Die("rate, seconds (<= 600), connections and leads must be positive");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  size_t colon = addr_s.rfind(':');
  if (colon == std::string::npos) Die("--addr must be HOST:PORT");
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(addr_s.substr(colon + 1))));
  if (inet_pton(AF_INET, addr_s.substr(0, colon).c_str(), &addr.sin_addr) != 1)
    Die("--addr: not an IPv4 address");

  int ep = epoll_create1(0);
  std::vector<Conn> cs(static_cast<size_t>(conns));
  for (size_t i = 0; i < cs.size(); ++i) {
    cs[i].fd = Connect(addr);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
  }
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, leads - 1);
  const int64_t total = static_cast<int64_t>(rate * seconds);
  const double gap_ns = 1e9 / rate;
  std::vector<int64_t> lat;  // ns
  lat.reserve(static_cast<size_t>(total));
  std::map<int, int64_t> statuses;
  std::deque<int64_t> waiting;  // due times of requests with no idle connection yet
  std::vector<size_t> idle;
  for (size_t i = 0; i < cs.size(); ++i) idle.push_back(i);
  int64_t next = 0, sent = 0, errors = 0;
  const int64_t start = NowNs() + 1000000;
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e9) + 5000000000LL;

  auto send_on = [&](size_t ci, int64_t due) {
    Conn& c = cs[ci];
    std::string req = "GET /v1/leads/" + prefix + std::to_string(pick(rng)) +
                      " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + key + "\r\n\r\n";
    ssize_t n = send(c.fd, req.data(), req.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(req.size())) Die("send failed");
    c.busy = true;
    c.due = due;
    ++sent;
  };

  int64_t answered = 0;
  std::vector<epoll_event> evs(static_cast<size_t>(conns));
  char buf[65536];
  while (answered + errors < total && NowNs() < deadline) {
    const int64_t now = NowNs();
    while (next < total &&
           start + static_cast<int64_t>(static_cast<double>(next) * gap_ns) <= now) {
      waiting.push_back(start + static_cast<int64_t>(static_cast<double>(next) * gap_ns));
      ++next;
    }
    while (!waiting.empty() && !idle.empty()) {
      size_t ci = idle.back();
      idle.pop_back();
      send_on(ci, waiting.front());
      waiting.pop_front();
    }
    int timeout_ms = 1;
    if (next >= total) timeout_ms = 50;
    int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), timeout_ms);
    for (int k = 0; k < n; ++k) {
      size_t ci = evs[static_cast<size_t>(k)].data.u64;
      Conn& c = cs[ci];
      ssize_t r = recv(c.fd, buf, sizeof buf, 0);
      if (r <= 0) {
        // The server closed: count the request in flight as an error, reconnect.
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
        if (c.busy) ++errors;
        c = Conn{};
        c.fd = Connect(addr);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = ci;
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        idle.push_back(ci);
        continue;
      }
      c.in.append(buf, static_cast<size_t>(r));
      int status = 0;
      size_t len = 0;
      if (c.busy && Complete(c.in, &status, &len)) {
        lat.push_back(NowNs() - c.due);
        ++statuses[status];
        ++answered;
        c.in.erase(0, len);
        c.busy = false;
        idle.push_back(ci);
      }
    }
  }
  const double wall = static_cast<double>(NowNs() - start) / 1e9;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty()) return 0.0;
    size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(lat.size() - 1) + 0.5);
    return static_cast<double>(lat[std::min(i, lat.size() - 1)]) / 1e6;
  };
  std::printf("due %lld requests at %.0f/s over %.1f s on %d connections; sent %lld, answered %lld",
              static_cast<long long>(total), rate, seconds, conns, static_cast<long long>(sent),
              static_cast<long long>(answered));
  std::printf(" (%.0f/s), connection errors %lld, unanswered %lld\n",
              static_cast<double>(answered) / wall, static_cast<long long>(errors),
              static_cast<long long>(total - answered - errors));
  std::printf("statuses:");
  for (auto& [s, n] : statuses) std::printf(" %d x %lld", s, static_cast<long long>(n));
  std::printf(
      "\nlatency from the due time: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, "
      "max %.2f ms\n",
      pct(50), pct(90), pct(99), pct(99.9),
      lat.empty() ? 0.0 : static_cast<double>(lat.back()) / 1e6);
  for (auto& c : cs) close(c.fd);
  close(ep);
  return answered == total && statuses.size() == 1 && statuses.count(200) ? 0 : 1;
}
