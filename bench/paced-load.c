/*
 * A fixed-rate, open-loop HTTP/1.1 load generator for `npm run bench:online` (bench/online.ts
 * builds it with the system's C compiler when there is one, and falls back to its node:http
 * generator otherwise). Node's own generator, sharing the machine's two cores with the server,
 * was itself 1.4–3.8 ms late at p99: more than the 2 ms p99 the bench is asked to show.
 *
 * Request i is due at start + i / rate, whether or not earlier answers came back. Each
 * connection carries one request at a time (no pipelining); a due request takes an idle
 * keep-alive connection, or opens a new one. Latency runs from the request's scheduled time to
 * the last byte of its answer (no coordinated omission); the send lag (send time − scheduled
 * time) is reported beside it. The first half second is paced but not recorded.
 *
 *   paced-load HOST PORT PATH RATE SECONDS BODIES_FILE [HEADER ...]
 *
 * BODIES_FILE holds one request body per line, sent in turn. Prints one JSON object:
 * {"requests","non2xx","errors","p50","p99","sendLagP99","sockets"} (times in ms).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  int busy;
  int recorded;
  double scheduled;
  char *in;
  size_t in_len, in_cap;
} conn_t;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p) {
  if (n == 0) return -1;
  qsort(v, n, sizeof *v, cmp_double);
  size_t i = (size_t)(p * n);
  return v[i < n ? i : n - 1];
}

static struct sockaddr_in target;
static int epfd;

static int open_conn(conn_t *c) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&target, sizeof target) < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  c->fd = fd;
  c->busy = 0;
  c->in_len = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void close_conn(conn_t *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  c->busy = 0;
}

/* Whether c->in holds a whole response; sets *status. Answers carry Content-Length (fastify). */
static int response_complete(conn_t *c, int *status, size_t *total) {
  c->in[c->in_len] = 0;
  char *end = strstr(c->in, "\r\n\r\n");
  if (!end) return 0;
  size_t header = (size_t)(end - c->in) + 4;
  char *cl = strcasestr(c->in, "\r\ncontent-length:");
  if (!cl || cl > end) return -1;
  size_t body = strtoul(cl + 17, NULL, 10);
  if (c->in_len < header + body) return 0;
  *status = atoi(c->in + 9);
  *total = header + body;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: paced-load HOST PORT PATH RATE SECONDS BODIES_FILE [HEADER ...]\n");
    return 2;
  }
  const char *host = argv[1], *path = argv[3];
  double rate = atof(argv[4]), seconds = atof(argv[5]);
  target.sin_family = AF_INET;
  target.sin_port = htons((unsigned short)atoi(argv[2]));
  inet_pton(AF_INET, host, &target.sin_addr);

  /* Requests, prebuilt: one per body line. */
  FILE *f = fopen(argv[6], "r");
  if (!f) { perror("bodies"); return 2; }
  char extra[4096] = "";
  for (int i = 7; i < argc; i++) { strcat(extra, argv[i]); strcat(extra, "\r\n"); }
  size_t nreq = 0, cap = 64;
  char **reqs = malloc(cap * sizeof *reqs);
  size_t *req_len = malloc(cap * sizeof *req_len);
  char *line = NULL;
  size_t line_cap = 0;
  ssize_t got;
  while ((got = getline(&line, &line_cap, f)) > 0) {
    if (line[got - 1] == '\n') line[--got] = 0;
    if (got == 0) continue;
    if (nreq == cap) { cap *= 2; reqs = realloc(reqs, cap * sizeof *reqs); req_len = realloc(req_len, cap * sizeof *req_len); }
    size_t size = (size_t)got + strlen(extra) + strlen(path) + strlen(host) + 200;
    reqs[nreq] = malloc(size);
    req_len[nreq] = (size_t)snprintf(reqs[nreq], size,
      "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %zd\r\n%s\r\n%s",
      path, host, got, extra, line);
    nreq++;
  }
  fclose(f);
  if (nreq == 0) { fprintf(stderr, "no bodies\n"); return 2; }

  epfd = epoll_create1(0);
  size_t max_conns = 4096, nconns = 0;
  conn_t *conns = calloc(max_conns, sizeof *conns);
  for (size_t i = 0; i < 8; i++) {
    conns[i].in_cap = 1 << 16;
    conns[i].in = malloc(conns[i].in_cap + 1);
    if (open_conn(&conns[nconns++]) < 0) { perror("connect"); return 1; }
  }

  double interval = 1000.0 / rate;
  size_t warm = (size_t)(rate / 2), total = warm + (size_t)(rate * seconds);
  double *lat = malloc(total * sizeof *lat), *lag = malloc(total * sizeof *lag);
  size_t nlat = 0, nlag = 0, sent = 0, answered = 0, non2xx = 0, errors = 0, most_open = nconns;
  struct epoll_event events[64];
  double start = now_ms() + 50;

  while (answered < total) {
    double t = now_ms();
    /* Send every request that is due, each on an idle connection (a new one if none is). */
    while (sent < total && start + sent * interval <= t) {
      conn_t *c = NULL;
      for (size_t i = 0; i < nconns; i++) if (conns[i].fd >= 0 && !conns[i].busy) { c = &conns[i]; break; }
      if (!c) {
        for (size_t i = 0; i < nconns; i++) if (conns[i].fd < 0) { c = &conns[i]; break; }
        if (!c) {
          if (nconns == max_conns) { fprintf(stderr, "too many connections\n"); return 1; }
          c = &conns[nconns++];
          c->in_cap = 1 << 16;
          c->in = malloc(c->in_cap + 1);
        }
        if (open_conn(c) < 0) { errors++; answered++; sent++; continue; }
        size_t open = 0;
        for (size_t i = 0; i < nconns; i++) open += conns[i].fd >= 0;
        if (open > most_open) most_open = open;
      }
      const char *r = reqs[sent % nreq];
      size_t len = req_len[sent % nreq], off = 0;
      while (off < len) {
        ssize_t w = write(c->fd, r + off, len - off);
        if (w > 0) off += (size_t)w;
        else if (w < 0 && errno == EAGAIN) continue;
        else break;
      }
      c->scheduled = start + sent * interval;
      c->recorded = sent >= warm;
      if (c->recorded) lag[nlag++] = now_ms() - c->scheduled;
      if (off < len) { errors++; answered++; close_conn(c); }
      else c->busy = 1;
      sent++;
    }
    /* Wait for answers until the next request is due. */
    double next = sent < total ? start + sent * interval : now_ms() + 1000;
    double wait = next - now_ms();
    struct timespec timeout = {.tv_sec = 0, .tv_nsec = wait > 0 ? (long)(wait * 1e6) : 0};
    if (wait > 999) timeout = (struct timespec){.tv_sec = 1, .tv_nsec = 0};
    int n = epoll_pwait2(epfd, events, 64, &timeout, NULL);
    for (int e = 0; e < n; e++) {
      conn_t *c = events[e].data.ptr;
      for (;;) {
        if (c->in_len == c->in_cap) { c->in_cap *= 2; c->in = realloc(c->in, c->in_cap + 1); }
        ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (r > 0) { c->in_len += (size_t)r; continue; }
        if (r < 0 && errno == EAGAIN) break;
        /* closed by the server */
        if (c->busy) { errors++; answered++; }
        close_conn(c);
        break;
      }
      if (c->fd < 0 || !c->busy) continue;
      int status;
      size_t used;
      int done = response_complete(c, &status, &used);
      if (done < 0) { errors++; answered++; close_conn(c); continue; }
      if (!done) continue;
      double finished = now_ms();
      if (status >= 200 && status < 300) { if (c->recorded) lat[nlat++] = finished - c->scheduled; }
      else non2xx++;
      answered++;
      c->busy = 0;
      memmove(c->in, c->in + used, c->in_len - used);
      c->in_len -= used;
    }
  }
  printf("{\"requests\":%zu,\"non2xx\":%zu,\"errors\":%zu,\"p50\":%.4f,\"p99\":%.4f,\"sendLagP99\":%.4f,\"sockets\":%zu}\n",
    total - warm, non2xx, errors, percentile(lat, nlat, 0.5), percentile(lat, nlat, 0.99), percentile(lag, nlag, 0.99), most_open);
  return 0;
}
