/*
 * The C reference: an epoll echo server with nothing above the syscalls, to
 * show the kernel's share of each workload on this machine.  One recv, one
 * send per readable event; what the kernel does not take is kept and sent on
 * EPOLLOUT, with reading stopped meanwhile (so a slow reader is never lost).
 *
 *     c_echo HOST   (prints "ready PORT")
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536
#define BUFSIZE 262144

struct pending { char *data; size_t length, offset; };
static struct pending pending[MAXFD];
static char buffer[BUFSIZE];

static void watch(int ep, int op, int fd, unsigned events) {
    struct epoll_event event = {.events = events, .data.fd = fd};
    epoll_ctl(ep, op, fd, &event);
}

static void drop(int fd) {
    free(pending[fd].data);
    pending[fd].data = NULL;
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: c_echo HOST\n"); return 2; }
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET};
    inet_pton(AF_INET, argv[1], &address.sin_addr);
    socklen_t size = sizeof address;
    if (bind(listener, (void *)&address, size) || listen(listener, 4096)) { perror("listen"); return 1; }
    getsockname(listener, (void *)&address, &size);
    printf("ready %d\n", ntohs(address.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    watch(ep, EPOLL_CTL_ADD, listener, EPOLLIN);
    struct epoll_event events[512];
    for (;;) {
        int n = epoll_wait(ep, events, 512, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (client >= MAXFD) { close(client); continue; }
                    watch(ep, EPOLL_CTL_ADD, client, EPOLLIN);
                }
                continue;
            }
            struct pending *p = &pending[fd];
            if (p->data) {  /* EPOLLOUT: flush what is left, then read again */
                ssize_t sent = send(fd, p->data + p->offset, p->length - p->offset, MSG_NOSIGNAL);
                if (sent < 0 && errno != EAGAIN) { drop(fd); continue; }
                if (sent > 0) p->offset += (size_t)sent;
                if (p->offset == p->length) {
                    free(p->data);
                    p->data = NULL;
                    watch(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
                }
                continue;
            }
            ssize_t got = recv(fd, buffer, sizeof buffer, 0);
            if (got < 0 && errno == EAGAIN) continue;
            if (got <= 0) { drop(fd); continue; }
            ssize_t sent = send(fd, buffer, (size_t)got, MSG_NOSIGNAL);
            if (sent < 0 && errno != EAGAIN) { drop(fd); continue; }
            if (sent < got) {
                size_t kept = (size_t)(got - (sent > 0 ? sent : 0));
                p->data = malloc(kept);
                memcpy(p->data, buffer + (got - kept), kept);
                p->length = kept;
                p->offset = 0;
                watch(ep, EPOLL_CTL_MOD, fd, EPOLLOUT);
            }
        }
    }
}
