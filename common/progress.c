/* progress.c: progress line rendering (see progress.h). */
#include "common/progress.h"

#include <stdio.h>

#include "common/buf.h"

json_t *progress_bundle(const struct progress *p) {
  struct buf t, h;
  buf_init(&t, 4096);
  buf_init(&h, 8192);
  double f = p->fraction < 0 ? 0 : (p->fraction > 1 ? 1 : p->fraction);
  int width = 30, fill = (int)(f * width + 0.5);
  buf_printf(&t, "%s [", p->label);
  for (int i = 0; i < width; i++) buf_putc(&t, i < fill ? '#' : '.');
  buf_printf(&t, "] %3.0f%%", f * 100);
  if (p->tasks_total > 0)
    buf_printf(&t, "  tasks %d/%d (%d running)", p->tasks_done, p->tasks_total, p->tasks_running);
  buf_printf(&t, "  %.1fs  %s", p->elapsed, p->state);
  const char *color = "#e8590c";
  if (p->state[0] == 'c' || p->state[0] == 'f') color = "#c92a2a";
  if (p->state[0] == 'd') color = "#2b8a3e";
  buf_puts(&h, "<div style=\"font-family:monospace;display:flex;align-items:center;gap:8px\"><span>");
  buf_put_html(&h, p->label);
  buf_printf(&h,
             "</span><div style=\"width:240px;height:12px;background:#eee;border-radius:3px\">"
             "<div style=\"width:%.1f%%;height:12px;background:%s;border-radius:3px\"></div></div>"
             "<span>%.0f%%</span>",
             f * 100, color, f * 100);
  if (p->tasks_total > 0)
    buf_printf(&h, "<span>tasks %d/%d (%d running)</span>", p->tasks_done, p->tasks_total,
               p->tasks_running);
  buf_printf(&h, "<span>%.1fs</span><span>", p->elapsed);
  buf_put_html(&h, p->state);
  buf_puts(&h, "</span></div>");
  json_t *b = json_pack("{s:s, s:s}", "text/plain", t.data, "text/html", h.data);
  buf_fini(&t);
  buf_fini(&h);
  return b;
}

void progress_show(struct out *o, char did[48], const struct progress *p) {
  json_t *b = progress_bundle(p);
  int update = did[0] != 0;
  if (!update) session_display_id(did);
  o->ops->display(o->ctx, b, did, update);
  json_decref(b);
}
