/* driver.h: `kindling driver` -- the local Spark driver process a kernel's
 * local session talks to (so an engine crash never takes the kernel down).
 *
 * Protocol: one ZeroMQ PAIR socket, connected to the kernel's endpoint;
 * every message is one JSON object.
 *   driver -> kernel  {"type":"ready","pid":N}
 *   kernel -> driver  {"op":"sql","sql":TEXT,"maxrows":N,"sample":F}
 *   driver -> kernel  {"type":"progress",...}* {"type":"event","message":M}*
 *                     then {"type":"done","results":[{"schema":StructType,
 *                     "rows":[[...]],"total":N,"elapsed":S,"statement":T}...]}
 *                     or   {"type":"error","ename":E,"evalue":M,"line":L,
 *                           "column":C,"results":[...statements before it]}
 *   kernel -> driver  {"op":"info"} -> {"type":"info","executors":[...]}
 *   kernel -> driver  {"op":"stop"} -> exits
 * --scratch DIR names the kernel's directory for this session; the driver
 * removes it when it outlives the kernel (a SIGKILLed kernel cannot).
 * SIGUSR1 cancels the running statement (the kernel's control thread sends
 * it: a socket may not be shared between threads). The driver exits when
 * the kernel process disappears. */
#ifndef KINDLING_ENGINE_CLI_DRIVER_H
#define KINDLING_ENGINE_CLI_DRIVER_H

/* argv[0] is "driver". Returns the exit status. */
int driver_main(int argc, char **argv);

#endif
