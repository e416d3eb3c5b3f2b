/*
 * The attacker of the symlink-race suite: exchanges two directory entries (a managed directory and
 * a symlink to a directory outside the root) with renameat2(RENAME_EXCHANGE), as fast as it can,
 * for a bounded time. On exit it leaves the entries as it found them (an even number of swaps),
 * and prints how many exchanges it made.
 *
 * Usage: exchange-racer A B MILLISECONDS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int exchange(const char *a, const char *b) {
  return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s A B MILLISECONDS\n", argv[0]);
    return 2;
  }
  double end = now_ms() + atof(argv[3]);
  long swaps = 0;
  while (now_ms() < end) {
    for (int i = 0; i < 64; i++) {
      if (exchange(argv[1], argv[2]) != 0) {
        perror("renameat2");
        return 1;
      }
      swaps++;
    }
  }
  if (swaps % 2 != 0 && exchange(argv[1], argv[2]) == 0) swaps++;
  printf("%ld\n", swaps);
  return 0;
}
