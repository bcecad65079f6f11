/* kernel.h: the protocol core of the Kindling kernel.
 *
 * Threads and socket ownership (one owner thread per ZeroMQ socket):
 *   main/shell  shell ROUTER, stdin ROUTER; runs cells one at a time.
 *   control     control ROUTER and the signal pipe; answers kernel_info,
 *               interrupt and shutdown while a cell runs on shell.
 *   heartbeat   zmq_proxy echoing the hb ROUTER to itself.
 * The IOPub PUB socket is the one exception: shell and control both publish
 * on it directly, one whole message at a time under iopub_lock. A mutex is
 * the full memory barrier ZeroMQ asks for when a socket changes threads, and
 * publishing directly saves a thread hop per message (an inproc queue to a
 * forwarding thread cost a wakeup and two copies for each of the four
 * messages of even an empty execute).
 * Every request on shell and control is wrapped in status busy/idle with the
 * request's header as parent; idle follows the reply and all its output. */
#ifndef KINDLING_KERNEL_H
#define KINDLING_KERNEL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "common/err.h"
#include "kernel/conn.h"
#include "kernel/wire.h"

enum kernel_lang { KERNEL_LANG_PYSPARK, KERNEL_LANG_SCALA, KERNEL_LANG_SQL };

struct history;
struct exec_state;

struct kernel;

/* One thread's view of a request channel. */
struct chan {
  struct kernel *k;
  void *sock;        /* ROUTER (shell or control), owned by this thread */
  const char *name;  /* "shell" or "control" */
};

struct kernel {
  struct conn conn;
  enum kernel_lang lang;
  void *zctx;
  void *iopub;                 /* PUB, used under iopub_lock; NULL once closed */
  pthread_mutex_t iopub_lock;
  void *hb;                    /* ROUTER, owned by the heartbeat thread */
  void *stdin_sock;            /* ROUTER, owned by the shell thread */
  struct chan shell, control;
  pthread_t hb_thread, control_thread;
  int sig_pipe[2];             /* signal handler -> control thread */
  int wake_pipe[2];            /* control thread -> shell thread (quit) */
  char session_id[37];         /* new per process: restart means new id */
  char username[64];
  int execution_count;         /* shell thread only */
  atomic_int interrupt;        /* set by control, read by the running cell */
  atomic_int quit;             /* shutdown requested */
  pid_t parent;                /* the frontend that started us (JPY_PARENT_PID),
                                  0 when not watched: its exit ends the kernel */
  atomic_int busy_exec;        /* 1 while a cell runs */
  struct history *hist;        /* shell thread only */
  struct exec_state *exec;     /* cell interpreter state (sessions, vars) */
};

/* Run the kernel for the connection file at path until shutdown. Returns
 * the process exit status. */
int kernel_run(const char *conn_path, enum kernel_lang lang);

/* Publish msg_type/content (content borrowed) on IOPub through ch with the
 * given parent header (borrowed, may be NULL for {}). */
void kernel_publish(struct chan *ch, json_t *parent, const char *msg_type, json_t *content);
/* Publish status {execution_state: state} with parent (may be NULL). */
void kernel_publish_status(struct chan *ch, json_t *parent, const char *state);
/* Send a reply for req on ch's socket (content borrowed). */
void kernel_reply(struct chan *ch, const struct wire_msg *req, const char *msg_type,
                  json_t *content);
/* Send a message on the stdin socket to the identities of req. */
int kernel_send_stdin(struct kernel *k, const struct wire_msg *req, const char *msg_type,
                      json_t *content);

/* The kernelspec name / language facts of lang. */
const char *kernel_lang_spec(enum kernel_lang lang);

#define klog(...) kernel_log(__VA_ARGS__)
void kernel_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
