/* test_magic_corpus.c: replays tricky inputs through the magic fuzz target
 * (tests/fuzz/fuzz_magic.c) in every `make check`, the way SQLite's
 * fuzzcheck replays fuzzer corpora. The target aborts on a broken invariant;
 * under valgrind or the sanitizers this also catches leaks and overflows.
 *
 * Usage: test_magic_corpus [FILE...]  (files are replayed after the built-in
 * inputs, e.g. a libFuzzer crash file or corpus entries). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
  const char *name;
  const char *data;
  size_t len;
};

#define LIT(name, s) {name, s, sizeof(s) - 1}

static const struct input inputs[] = {
  LIT("empty", ""),
  LIT("lone percent", "%"),
  LIT("two percents", "%%"),
  LIT("many percents", "%%%%%%%%%%%%"),
  LIT("percent blank", "% \n"),
  LIT("nul in magic line", "%%sql\0 -o x\nSELECT 1"),
  LIT("nul in body", "%%sql\nSELECT '\0'"),
  LIT("nul first", "\0%%sql"),
  LIT("invalid utf8 name", "%%\xff\xfe"),
  LIT("invalid utf8 flag", "%%sql -o \xc3\x28"),
  LIT("truncated utf8", "%%sql -o \xe2\x82"),
  LIT("overlong utf8", "%%sql -o \xc0\xaf"),
  LIT("surrogate utf8", "%%sql -m \xed\xa0\x80"),
  LIT("invalid utf8 body", "%%sql\n\xff\xff"),
  LIT("unterminated single", "%%sql -o 'abc"),
  LIT("unterminated double", "%%sql -o \"abc"),
  LIT("escaped quote at end", "%%sql -o \"abc\\\""),
  LIT("trailing backslash", "%%sql -o abc\\"),
  LIT("quote spans newline", "%%sql -o 'a\nb'"),
  LIT("empty quotes", "%%sql -o '' -m \"\""),
  LIT("equals only", "%%sql --="),
  LIT("double dash", "%%sql --"),
  LIT("dash", "%%sql -"),
  LIT("flag equals", "%%sql -o="),
  LIT("long equals empty", "%%sql --output="),
  LIT("negative maxrows", "%%sql -n -1"),
  LIT("huge maxrows", "%%sql -n 99999999999999999999999999"),
  LIT("fraction exp", "%%sql -r 1e-3"),
  LIT("fraction inf", "%%sql -r inf"),
  LIT("fraction hex", "%%sql -r 0x1p-1"),
  LIT("spark c clash", "%%spark -c sql -c true -e false -c maybe"),
  LIT("spark subcommand only", "%%spark add"),
  LIT("spark subcommand case", "%spark ADD -s a -l PYTHON -u u -k"),
  LIT("spark delete url", "%%spark delete -u http://x -i 3"),
  LIT("matplot many", "%matplot a b c d"),
  LIT("local raw", "%local \n\n\n"),
  LIT("help with body", "%%help\n\t \n x"),
  LIT("comments then magic", "#a\n--b\n//c\n   \n\t%%sql -q\nSELECT 1"),
  LIT("comments only", "#a\n--b\n//c"),
  LIT("crlf", "%%sql -o x\r\nSELECT 1\r\n"),
  LIT("cr only", "%%sql\r-o x"),
  LIT("hidden endpoint", "%_do_not_call_change_endpoint -s u -u a -p 'p w' "
                         "-t Basic_Access"),
  LIT("hidden lang", "%%_do_not_call_change_language -l Klingon"),
  LIT("prefix ambiguous", "%%sql --sample take"),
  LIT("secret typo", "%%spark add --passwrd=hunter2"),
};

static char *repeat(const char *head, const char *unit, size_t times,
                    size_t *len) {
  size_t hl = strlen(head), ul = strlen(unit);
  char *s = malloc(hl + ul * times + 1);
  if (!s) return NULL;
  memcpy(s, head, hl);
  for (size_t i = 0; i < times; i++) memcpy(s + hl + i * ul, unit, ul);
  *len = hl + ul * times;
  s[*len] = '\0';
  return s;
}

static void run_big(const char *name, const char *head, const char *unit,
                    size_t times) {
  size_t len;
  char *s = repeat(head, unit, times, &len);
  TAP_OK(s != NULL, "alloc %s", name);
  if (!s) return;
  LLVMFuzzerTestOneInput((const uint8_t *)s, len);
  TAP_OK(1, "%s (%zu bytes)", name, len);
  free(s);
}

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) return -1;
  LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
    const struct input *in = &inputs[i];
    LLVMFuzzerTestOneInput((const uint8_t *)in->data, in->len);
    TAP_OK(1, "replay: %s", in->name);
  }
  run_big("1 MB magic name", "%%", "a", (size_t)1 << 20);
  run_big("1 MB flag value", "%%sql -o ", "v", (size_t)1 << 20);
  run_big("thousands of flags", "%%sql", " -q -n 5 --output=x", 20000);
  run_big("thousands of positionals", "%matplot", " p", 50000);
  run_big("thousands of unknown flags", "%%sql", " -z", 50000);
  run_big("1 MB of comment lines", "", "#\n", (size_t)1 << 19);
  run_big("1 MB of blank lines", "", "\n", (size_t)1 << 20);
  run_big("many quotes", "%%sql -o ", "''\"\"", 100000);
  for (int i = 1; i < argc; i++)
    TAP_OK(replay_file(argv[i]) == 0, "replay file %s", argv[i]);
  return tap_done();
}
