/* tap.h: a tiny TAP producer for the C unit tests (run by automake's
 * tap-driver.sh). Each check prints one "ok"/"not ok" line; tap_done() prints
 * the plan and returns the exit status. */
#ifndef KINDLING_TAP_H
#define KINDLING_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)                                              \
  do {                                                                 \
    int tap_ok_ = (cond) ? 1 : 0; /* evaluate once: cond may have side effects */ \
    tap_n++;                                                           \
    if (tap_ok_) {                                                     \
      printf("ok %d - ", tap_n);                                       \
    } else {                                                           \
      tap_failed++;                                                    \
      printf("not ok %d - ", tap_n);                                   \
    }                                                                  \
    printf(__VA_ARGS__);                                               \
    printf("\n");                                                      \
    if (!tap_ok_) printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
  } while (0)

#define TAP_EQ_INT(a, b, name)                                         \
  do {                                                                 \
    long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);        \
    TAP_OK(tap_a_ == tap_b_, "%s", name);                              \
    if (tap_a_ != tap_b_) printf("#   got %lld, want %lld\n", tap_a_, tap_b_); \
  } while (0)

#define TAP_EQ_STR(a, b, name)                                         \
  do {                                                                 \
    const char *tap_a_ = (a), *tap_b_ = (b);                           \
    int tap_eq_ = tap_a_ && tap_b_ && strcmp(tap_a_, tap_b_) == 0;     \
    TAP_OK(tap_eq_, "%s", name);                                       \
    if (!tap_eq_) printf("#   got \"%s\", want \"%s\"\n", tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)"); \
  } while (0)

static inline int tap_done(void) {
  printf("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif
