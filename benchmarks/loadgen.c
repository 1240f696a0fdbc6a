/*
 * Echo-server load generator for the txnetserver benchmarks (loopback only).
 *
 *   loadgen MODE HOST PORT CONNECTIONS SIZE SECONDS
 *
 * MODE  rr       CONNECTIONS clients each send SIZE bytes and wait for the
 *                whole echo before sending again; reports round trips/s and
 *                latency percentiles.
 *       connect  CONNECTIONS workers each connect, send SIZE bytes, read the
 *                echo and close, over and over; reports connections/s.
 *       stream   CONNECTIONS clients push 64 KiB writes and drain the echo;
 *                reports echoed MB/s.
 *       idle     open CONNECTIONS connections, print "ready", hold them for
 *                SECONDS; reports how many were held.
 *       once     CONNECTIONS clients each make one round trip and stay open
 *                until every one has, then all close: a test of capacity
 *                that does not depend on the machine's speed (SECONDS is
 *                only a safety limit).
 *
 * One epoll loop, non-blocking sockets; the run stops by itself after
 * SECONDS.  Prints one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STREAM_CHUNK 65536
#define MAX_SAMPLES 2000000

typedef struct {
    int fd;
    size_t sent;     /* bytes of the current message sent */
    size_t received; /* bytes of the current echo received */
    double started;  /* when the current round trip started */
    int connecting;
} Conn;

static struct sockaddr_storage target;
static socklen_t targetLength;
static int epfd;
static char *message;
static size_t messageSize;
static double *samples;
static size_t sampleCount;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int openConnection(void) {
    int fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&target, targetLength) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static void watch(Conn *c, uint32_t events, int op) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(epfd, op, c->fd, &ev);
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double p) {
    if (sampleCount == 0) return 0;
    size_t i = (size_t)(p * (sampleCount - 1));
    return samples[i] * 1e6; /* microseconds */
}

/* Send what is left of the message; returns -1 on a dead connection. */
static int sendMessage(Conn *c) {
    while (c->sent < messageSize) {
        ssize_t n = send(c->fd, message + c->sent, messageSize - c->sent, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        c->sent += (size_t)n;
    }
    return 0;
}

static int startRound(Conn *c) {
    c->sent = 0;
    c->received = 0;
    c->started = now();
    return sendMessage(c);
}

/* rr and connect: read the echo; 1 when the round trip is complete. */
static int readEcho(Conn *c) {
    char buffer[65536];
    for (;;) {
        ssize_t n = recv(c->fd, buffer, sizeof buffer, 0);
        if (n == 0) return -1;
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        c->received += (size_t)n;
        if (c->received >= messageSize) return 1;
    }
}

static void recordSample(Conn *c) {
    if (sampleCount < MAX_SAMPLES) samples[sampleCount++] = now() - c->started;
}

static long connected = 0;  /* connections open now: "held" in the report */

static void reconnect(Conn *c) {
    if (!c->connecting) connected--;  /* it was counted when it connected */
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = openConnection();
    c->connecting = 1;
    c->sent = c->received = 0;
    if (c->fd >= 0) watch(c, EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s rr|connect|stream|idle HOST PORT CONNECTIONS SIZE SECONDS\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    int port = atoi(argv[3]), count = atoi(argv[4]);
    messageSize = (size_t)atol(argv[5]);
    double seconds = atof(argv[6]);
    memset(&target, 0, sizeof target);
    if (strchr(argv[2], ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&target;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        inet_pton(AF_INET6, argv[2], &a->sin6_addr);
        targetLength = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&target;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        inet_pton(AF_INET, argv[2], &a->sin_addr);
        targetLength = sizeof *a;
    }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);

    int streaming = strcmp(mode, "stream") == 0, idle = strcmp(mode, "idle") == 0;
    int connectMode = strcmp(mode, "connect") == 0, onceMode = strcmp(mode, "once") == 0;
    if (streaming) messageSize = STREAM_CHUNK;
    message = malloc(messageSize ? messageSize : 1);
    memset(message, 'x', messageSize);
    samples = malloc(sizeof(double) * MAX_SAMPLES);
    epfd = epoll_create1(0);
    Conn *conns = calloc((size_t)count, sizeof(Conn));
    int opened = 0;
    for (int i = 0; i < count; i++) {
        conns[i].fd = openConnection();
        conns[i].connecting = 1;
        if (conns[i].fd < 0) continue;
        opened++;
        watch(&conns[i], EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
    }
    struct epoll_event events[1024];
    long operations = 0, failures = 0;
    unsigned long long echoedBytes = 0;
    double start = now(), deadline = start + seconds, measureFrom = start;
    int announced = 0;
    while (now() < deadline) {
        int n = epoll_wait(epfd, events, 1024, 50);
        for (int i = 0; i < n; i++) {
            Conn *c = events[i].data.ptr;
            if (c->connecting) {
                int error = 0;
                socklen_t length = sizeof error;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length);
                if (error) {
                    failures++;
                    reconnect(c);
                    continue;
                }
                c->connecting = 0;
                connected++;
                if (idle) {
                    watch(c, EPOLLIN, EPOLL_CTL_MOD);
                    continue;
                }
                watch(c, streaming ? (EPOLLIN | EPOLLOUT) : EPOLLIN, EPOLL_CTL_MOD);
                if (!streaming && startRound(c) < 0) { failures++; reconnect(c); }
                continue;
            }
            if (idle) {
                char b[16];
                if (recv(c->fd, b, sizeof b, 0) == 0) { failures++; connected--; epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL); }
                continue;
            }
            if (streaming) {
                if (events[i].events & EPOLLOUT) {
                    ssize_t w = send(c->fd, message, STREAM_CHUNK, MSG_NOSIGNAL);
                    if (w < 0 && errno != EAGAIN) { failures++; reconnect(c); continue; }
                }
                char buffer[262144];
                for (;;) {
                    ssize_t r = recv(c->fd, buffer, sizeof buffer, 0);
                    if (r <= 0) break;
                    echoedBytes += (unsigned long long)r;
                }
                continue;
            }
            if (c->sent < messageSize && sendMessage(c) < 0) { failures++; reconnect(c); continue; }
            int done = readEcho(c);
            if (done < 0) { failures++; reconnect(c); continue; }
            if (done == 1) {
                operations++;
                recordSample(c);
                if (onceMode) {
                    watch(c, EPOLLIN, EPOLL_CTL_MOD);
                } else if (connectMode) {
                    reconnect(c);
                } else if (startRound(c) < 0) {
                    failures++;
                    reconnect(c);
                }
            }
        }
        if (onceMode && operations >= opened) break;
        if (idle && !announced && connected >= opened) {
            printf("ready %ld\n", connected);
            fflush(stdout);
            announced = 1;
            measureFrom = now();
        }
    }
    double elapsed = now() - (idle ? measureFrom : start);
    qsort(samples, sampleCount, sizeof(double), compare);
    printf("{\"mode\": \"%s\", \"connections\": %d, \"size\": %zu, \"seconds\": %.3f, "
           "\"operations\": %ld, \"rate\": %.1f, \"mbps\": %.1f, \"p50_us\": %.1f, "
           "\"p99_us\": %.1f, \"failures\": %ld, \"held\": %ld}\n",
           mode, count, messageSize, elapsed, operations, operations / elapsed,
           echoedBytes / elapsed / 1e6, percentile(0.50), percentile(0.99), failures, connected);
    return 0;
}
